using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;

namespace AlignFx.Abstractions.Tests.Plugins;

public class ContractsTests
{
    [Fact]
    public void TheContractVersionConstantsMatchTheAssemblyVersion()
    {
        Version version = typeof(IPluginModule).Assembly.GetName().Version!;

        Assert.Equal((AlignFxContracts.Major, AlignFxContracts.Minor), (version.Major, version.Minor));
        Assert.Equal(version, AlignFxContracts.Version);
        Assert.Equal("Framework.Abstractions", AlignFxContracts.AssemblyName);
    }

    [Theory]
    [InlineData("2.0.0.0", true)] // built before 2.1 added the chat-model kind and role prompts
    [InlineData("2.1.0.0", true)]
    [InlineData("2.1.5.2", true)]
    [InlineData("2.2.0.0", true)] // 2.2 added report contributions (disclosure facts and sections)
    [InlineData("2.3.0.0", true)] // 2.3 organised metric names by family added typed artifact keys, multi-series charts and dialogues in report sections
    [InlineData("2.4.0.0", true)] // 2.4 added IClaimChecker.SplitWithFalseStep, moved IAssistableSource (with Assistance and AssistedAnswer) into the contracts and added ComponentKindAttribute.Contract
    [InlineData("2.5.0.0", true)] // 2.5 added IRunContext.TranscriptLog (ITranscriptLog)
    [InlineData("2.6.0.0", false)] // built against newer additions this host lacks
    [InlineData("1.2.0.0", false)] // built before 2.0 (gold metadata on responses, TaskMetrics in the contracts)
    [InlineData("3.0.0.0", false)]
    public void CompatibilityNeedsTheSameMajorAndNoNewerMinor(string builtAgainst, bool compatible) =>
        Assert.Equal(compatible, AlignFxContracts.IsCompatible(Version.Parse(builtAgainst)));

    [Fact]
    public void EveryKindHasAContractAndContractsMapBackToTheirKind()
    {
        foreach (string kind in ComponentKinds.All)
        {
            Type contract = ComponentKinds.ContractOf(kind)!;
            Assert.True(contract.IsInterface, kind);
            Assert.Equal(kind, ComponentKinds.KindOf(contract));
        }
        Assert.Null(ComponentKinds.ContractOf("judge"));
        Assert.Equal(ComponentKinds.RewardModel, ComponentKinds.KindOf(typeof(IConstrainedRewardModel)));
        Assert.Equal(ComponentKinds.Policy, ComponentKinds.KindOf(typeof(ITrainablePolicy)));
        Assert.Equal(ComponentKinds.Optimizer, ComponentKinds.KindOf(typeof(IPolicyOptimizer)));
        Assert.Null(ComponentKinds.KindOf(typeof(string)));
    }
}
