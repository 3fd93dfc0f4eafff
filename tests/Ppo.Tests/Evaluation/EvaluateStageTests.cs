using AlignFx.Evaluation;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo.Tests.Evaluation;

public sealed class EvaluateStageTests
{
    [Fact]
    public async Task Base_and_final_metrics_are_the_task_metrics_of_responses_sampled_with_the_stage_seed()
    {
        var task = Small.Task();
        using var policy = Small.Policy(task);
        using var context = new TestStageContext(11, task, policy, r => new LengthReward(0.5));
        context.Artifacts.Set(ArtifactKeys.BasePolicy, policy.Snapshot());
        var options = new EvaluateOptions { MaxPrompts = 24, MaxNewTokens = 16, VerificationLimit = 2, Samples = 3, Reward = new ComponentRef { Name = "length" } };

        await new EvaluateStage(options).RunAsync(context, TestContext.Current.CancellationToken);

        // Independently: the same prompts and seed, measured with TaskMetrics.
        var prompts = task.GetPrompts(TaskSplits.Test).Take(24).ToList();
        var generation = new GenerationOptions { MaxNewTokens = 16, Temperature = 1, Seed = RandomStreams.Derive(11, options.SeedStream) };
        var responses = await policy.GenerateAsync(prompts, generation, TestContext.Current.CancellationToken);
        var expected = TaskMetrics.MeasureResponses([.. responses.Select(task.Evaluate)], 2);

        var final = context.Artifacts.Get(PpoArtifacts.FinalResults);
        var before = context.Artifacts.Get(PpoArtifacts.BaseResults);
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value, final.Metrics[name]);
            Assert.Equal(value, before.Metrics[name]); // the snapshot has the same weights and the same seed
            Assert.Equal(value, context.Values(PpoMetrics.EvaluateFinalPrefix + name).Single());
        }
        Assert.Equal(responses.Average(r => 0.5 * r.Text.Length), final.Metrics[MetricNames.Proxy.RewardMean], 12);
        Assert.InRange(final.Metrics[MetricNames.Gold.CheckableFraction], 0.01, 0.99); // the limit splits the prompts

        var samples = context.Artifacts.Get<EvaluationSamples>();
        Assert.Equal(3, samples.Items.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(prompts[i].Text, samples.Items[i].Prompt);
            Assert.Equal(responses[i].Text, samples.Items[i].After.Text);
            Assert.Equal(responses[i].Text, samples.Items[i].Before!.Text);
            Assert.Equal(task.Evaluate(responses[i]).Get(GoldFeatures.Correct) == 1, samples.Items[i].After.Correct);
        }
        using var written = JsonDocument.Parse(File.ReadAllText(context.Files.GetPath(EvaluateStage.SamplesPath)));
        Assert.Equal(3, written.RootElement.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Without_a_base_policy_only_the_final_policy_is_evaluated()
    {
        var task = Small.Task();
        using var policy = Small.Policy(task);
        using var context = new TestStageContext(12, task, policy);

        await new EvaluateStage(new EvaluateOptions { MaxPrompts = 8, MaxNewTokens = 8, Samples = 2 }).RunAsync(context, TestContext.Current.CancellationToken);

        Assert.Null(context.Artifacts.TryGet(PpoArtifacts.BaseResults));
        Assert.False(context.Artifacts.Get(PpoArtifacts.FinalResults).Metrics.ContainsKey(MetricNames.Proxy.RewardMean));
        Assert.All(context.Artifacts.Get<EvaluationSamples>().Items, s => Assert.Null(s.Before));
        Assert.Empty(context.Values(PpoMetrics.EvaluateBasePrefix + MetricNames.Gold.Accuracy));
    }
}
