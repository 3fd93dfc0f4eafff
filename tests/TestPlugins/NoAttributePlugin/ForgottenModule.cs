using AlignFx.Abstractions.Plugins;

namespace AlignFx.TestPlugins.NoAttribute;

/// <summary>A module whose author forgot [assembly: AlignFxPlugin(typeof(ForgottenModule))].</summary>
public sealed class ForgottenModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder)
    {
    }
}
