using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.TestPlugins.Shadowing;

[assembly: AlignFxPlugin(typeof(ShadowingModule))]

namespace AlignFx.TestPlugins.Shadowing;

/// <summary>Registers a stage named <c>echo</c>, which GoodPlugin (loaded first) already registered.</summary>
public sealed class ShadowingModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) =>
        builder.AddStage<OtherEchoStage, NoOptions>("echo", "Another stage that claims the name echo.");
}

/// <summary>Does nothing.</summary>
public sealed class OtherEchoStage : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct) => Task.CompletedTask;
}
