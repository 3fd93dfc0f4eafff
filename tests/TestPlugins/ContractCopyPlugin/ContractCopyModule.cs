using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.TestPlugins.ContractCopy;

[assembly: AlignFxPlugin(typeof(ContractCopyModule))]

namespace AlignFx.TestPlugins.ContractCopy;

/// <summary>A correct module in a folder that also holds a copy of Framework.Abstractions.dll.</summary>
public sealed class ContractCopyModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) =>
        builder.AddStage<NothingStage, NoOptions>("nothing", "Does nothing.");
}

/// <summary>Does nothing.</summary>
public sealed class NothingStage : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct) => Task.CompletedTask;
}
