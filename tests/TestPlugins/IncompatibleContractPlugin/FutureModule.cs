using AlignFx.Abstractions.Plugins;
using AlignFx.TestPlugins.IncompatibleContract;

[assembly: AlignFxPlugin(typeof(FutureModule))]

namespace AlignFx.TestPlugins.IncompatibleContract;

/// <summary>A module written for contracts 99.0 (a future major version).</summary>
public sealed class FutureModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(string hostName) => _ = hostName;
}
