using AlignFx.Abstractions.Plugins;

namespace AlignFx.RewardModels.Tests;

public sealed class ModuleTests
{
    [Fact]
    public void The_plugin_declares_its_module()
    {
        var attribute = typeof(RewardModelsModule).Assembly.GetCustomAttributes(typeof(AlignFxPluginAttribute), false);
        Assert.Single(attribute);
    }
}
