using AlignFx.Abstractions.Plugins;

namespace AlignFx.Ppo.Tests;

public sealed class ModuleTests
{
    [Fact]
    public void The_plugin_declares_its_module()
    {
        var attribute = typeof(PpoModule).Assembly.GetCustomAttributes(typeof(AlignFxPluginAttribute), false);
        Assert.Single(attribute);
    }
}
