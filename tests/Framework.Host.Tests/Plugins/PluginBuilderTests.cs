using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Plugins;

namespace AlignFx.Host.Tests.Plugins;

public class PluginBuilderTests
{
    [Fact]
    public void ValidComponentsAreKeptWithThePluginsName()
    {
        var builder = new PluginBuilder("Demo");

        builder.AddStage<QuietStage, StageOptions>("quiet-stage-2", "Does nothing.")
               .AddRewardModel<ZeroReward, NoOptions>("zero", "Scores 0.");

        Assert.Equal([("stage", "quiet-stage-2", "Demo"), ("reward-model", "zero", "Demo")],
            builder.Components.Select(c => (c.Kind, c.Name, c.Plugin)));
    }

    [Theory]
    [InlineData("wizard", "quiet", typeof(QuietStage), typeof(StageOptions), "Component 'quiet' has unknown kind 'wizard'; kinds are task, policy, stage, feedback-source, query-selector, reward-model, optimizer, oversight, chat-model, critic. (Parameter 'descriptor')")]
    [InlineData("stage", "Quiet_Stage", typeof(QuietStage), typeof(StageOptions), "Component name 'Quiet_Stage' (stage) must be kebab-case: lower-case letters and digits in words joined by '-'. (Parameter 'descriptor')")]
    [InlineData("reward-model", "quiet", typeof(QuietStage), typeof(StageOptions), "The implementation of reward-model 'quiet', AlignFx.Host.Tests.Plugins.PluginBuilderTests+QuietStage, does not implement AlignFx.Abstractions.Rewards.IRewardModel. (Parameter 'descriptor')")]
    [InlineData("stage", "quiet", typeof(QuietStage), typeof(OptionsWithoutDefaults), "The options type of stage 'quiet', AlignFx.Host.Tests.Plugins.PluginBuilderTests+OptionsWithoutDefaults, must be a class with a public parameterless constructor. (Parameter 'descriptor')")]
    [InlineData("stage", "quiet", typeof(IStage), typeof(StageOptions), "The implementation of stage 'quiet', AlignFx.Abstractions.Runs.IStage, must be a concrete, non-generic class. (Parameter 'descriptor')")]
    public void InvalidComponentsAreRejectedWithTheReason(string kind, string name, Type implementation, Type options, string message)
    {
        var builder = new PluginBuilder("Demo");

        var error = Assert.Throws<ArgumentException>(() => builder.AddComponent(new ComponentDescriptor(kind, name, implementation, options, "A line.")));

        Assert.Equal(message, error.Message);
        Assert.Empty(builder.Components);
    }

    [Fact]
    public void ANameIsRegisteredOncePerKind()
    {
        var builder = new PluginBuilder("Demo");
        builder.AddStage<QuietStage, NoOptions>("quiet", "Does nothing.");

        var error = Assert.Throws<ArgumentException>(() => builder.AddStage<QuietStage, NoOptions>("quiet", "Again."));

        Assert.StartsWith("stage 'quiet' is registered twice.", error.Message, StringComparison.Ordinal);
        builder.AddRewardModel<ZeroReward, NoOptions>("quiet", "Another kind may reuse the name.");
        Assert.Equal(2, builder.Components.Count);
    }

    public sealed class StageOptions
    {
        public int Level { get; set; } = 3;
    }

    public sealed class OptionsWithoutDefaults(int level)
    {
        public int Level { get; } = level;
    }

    public sealed class QuietStage : IStage
    {
        public Task RunAsync(IStageContext context, CancellationToken ct) => Task.CompletedTask;
    }

    public sealed class ZeroReward : IRewardModel
    {
        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<double>>([.. responses.Select(_ => 0.0)]);
    }
}
