using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.TestPlugins.Helper;
using AlignFx.TestPlugins.MissingDependency;

[assembly: AlignFxPlugin(typeof(MissingDependencyModule))]

namespace AlignFx.TestPlugins.MissingDependency;

/// <summary>A plugin whose folder lacks TestPluginHelper.dll, which it references.</summary>
public sealed class MissingDependencyModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) =>
        builder.AddStage<ShoutStage, NoOptions>("shout", "Shouts into the log.");
}

/// <summary>Uses the missing dependency.</summary>
public sealed class ShoutStage : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        context.Metrics.Log("shout/length", Shouter.Shout("x").Length, 0);
        return Task.CompletedTask;
    }
}
