using AlignFx.Evaluation;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Feedback;

namespace AlignFx.RewardModels.Tests.Learned;

/// <summary>
/// Reward models trained on labels collected from a small pretrained GPT. The encoder is frozen (a linear probe on
/// cached encodings) to keep the tests quick; fine-tuning it is exercised by the example manifest.
/// </summary>
public sealed class LearnedRewardTests(SmallPipeline pipeline) : IClassFixture<SmallPipeline>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static Task Train(TestStageContext context, string model, object options) =>
        new TrainRewardModelStage(new TrainRewardModelOptions { Model = SmallPipeline.Ref(model, options) }).RunAsync(context, None);

    [Fact]
    public async Task A_length_biased_evaluator_teaches_the_reward_to_like_length_where_gold_does_not()
    {
        using var context = pipeline.Context(6);
        await SmallPipeline.Collect(context, 600, new { lengthBias = 0.05 });
        await Train(context, "bradley-terry", new { trainEncoder = false, epochs = 6 });
        await new EvaluateRewardModelStage(new EvaluateRewardModelOptions { Pairs = 300, MaxNewTokens = 32 }).RunAsync(context, None);

        var metrics = context.Artifacts.Get<EvaluationResults>(EvaluateRewardModelStage.ResultsKey).Metrics;
        // Measured 0.657 against −0.080 at this seed.
        Assert.InRange(metrics[RewardModelMetrics.Evaluation.Correlation + GoldFeatures.Length], 0.3, 1);
        Assert.InRange(metrics[RewardModelMetrics.Evaluation.GoldCorrelation + GoldFeatures.Length], -1, 0.1);
        Assert.Equal(metrics[RewardModelMetrics.Evaluation.Accuracy], context.Values(RewardModelMetrics.Evaluation.Accuracy).Single());
        // Training logged its curves and left its results under the conventional keys.
        Assert.NotEmpty(context.Values(MetricNames.RewardModel.Loss));
        Assert.NotEmpty(context.Values(MetricNames.RewardModel.ValidationAccuracy));
        Assert.Equal(600, context.Artifacts.Get<EvaluationResults>(TrainRewardModelStage.ResultsKey).Metrics[RewardModelMetrics.Labels]);

        // Normalised over the training labels' responses: mean 0, unit variance.
        var reward = context.Artifacts.Get<IRewardModel>("reward");
        List<Response> reference = [.. context.Artifacts.Get<FeedbackDataset>().Pairwise.SelectMany(p => new[] { p.First, p.Second }).DistinctBy(r => (r.Prompt.Text, r.Text))];
        IReadOnlyList<double> scores = await reward.ScoreAsync(reference, None);
        Assert.Equal(0, scores.Average(), 3);
        Assert.Equal(1, Math.Sqrt(scores.Sum(s => s * s) / scores.Count), 3);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_rewards_and_another_seed_other_ones()
    {
        async Task<IReadOnlyList<double>> Rewards(long seed)
        {
            using var context = pipeline.Context(seed);
            await SmallPipeline.Collect(context, 150, new { });
            await Train(context, "bradley-terry", new { trainEncoder = false, epochs = 2 });
            var probe = pipeline.Task.GetPrompts(TaskSplits.Test).Take(5).Select(p => new Response(p, "it is 12.")).ToList();
            return await new TrainedRewardModel(new TrainedRewardOptions(), context.Artifacts).ScoreAsync(probe, None);
        }

        var a = await Rewards(21);
        Assert.Equal(a, await Rewards(21));
        Assert.NotEqual(a, await Rewards(22));
    }

    [Fact]
    public async Task A_fine_tuned_encoder_learns_at_its_own_rate_and_at_rate_zero_the_model_is_the_probe()
    {
        async Task<double[]> Rewards(object options)
        {
            using var context = pipeline.Context(12);
            await SmallPipeline.Collect(context, 150, new { });
            await Train(context, "bradley-terry", options);
            var responses = context.Artifacts.Get<FeedbackDataset>().Pairwise.Take(40).Select(p => p.First).ToList();
            return [.. await context.Artifacts.Get<IRewardModel>("reward").ScoreAsync(responses, None)];
        }

        // Without clipping, which would mix the encoder's gradients into the head's step.
        double[] probe = await Rewards(new { trainEncoder = false, epochs = 2, patience = 0, gradientClip = 0 });
        double[] frozen = await Rewards(new { trainEncoder = true, encoderLearningRate = 0.0, epochs = 2, patience = 0, gradientClip = 0 });
        double[] tuned = await Rewards(new { trainEncoder = true, encoderLearningRate = 3e-3, epochs = 2, patience = 0, gradientClip = 0 });
        // At encoder rate 0 the trunk does not move (AdamW's decay is scaled by the rate too): the head sees what the probe's does.
        Assert.All(probe.Zip(frozen), p => Assert.Equal(p.First, p.Second, 3));
        Assert.True(probe.Zip(tuned).Max(p => Math.Abs(p.First - p.Second)) > 0.05, "the encoder did not learn at its own rate");
    }

    [Fact]
    public async Task A_trained_model_scores_each_response_once_and_forgets_its_scores_when_trained_again()
    {
        using var first = pipeline.Context(13);
        await SmallPipeline.Collect(first, 150, new { });
        using var second = pipeline.Context(14);
        await SmallPipeline.Collect(second, 150, new { lengthBias = 0.2 });
        FeedbackDataset a = first.Artifacts.Get<FeedbackDataset>(), b = second.Artifacts.Get<FeedbackDataset>();
        List<Response> responses = [.. b.Pairwise.Take(30).Select(p => p.Second)];

        using var model = new BradleyTerryRewardModel(new BradleyTerryOptions { Epochs = 2 });
        model.InitialiseFrom(pipeline.Policy);
        await model.TrainAsync(a, first, None);
        IReadOnlyList<double> once = await model.ScoreAsync(responses, None);
        // Again, reversed and with repeats: the same score for the same response.
        List<Response> again = [.. Enumerable.Reverse(responses), responses[0], responses[0]];
        IReadOnlyList<double> twice = await model.ScoreAsync(again, None);
        Assert.Equal(once.Reverse().Concat([once[0], once[0]]), twice);

        // Trained again on other labels, the model scores as a fresh one trained on them does, not from its old scores.
        await model.TrainAsync(b, second, None);
        using var fresh = new BradleyTerryRewardModel(new BradleyTerryOptions { Epochs = 2 });
        fresh.InitialiseFrom(pipeline.Policy);
        await fresh.TrainAsync(b, second, None);
        IReadOnlyList<double> retrained = await model.ScoreAsync(responses, None);
        Assert.Equal(await fresh.ScoreAsync(responses, None), retrained);
        Assert.NotEqual(once, retrained);
    }

    [Fact]
    public async Task The_disagreement_selector_picks_disputed_pairs_and_active_collection_spends_the_budget()
    {
        using var context = pipeline.Context(8);
        await SmallPipeline.Collect(context, 300, new { randomRate = 0.3 });
        await Train(context, "ensemble", new { members = 3, member = new { trainEncoder = false, epochs = 3 } });
        var ensemble = Assert.IsType<EnsembleRewardModel>(context.Artifacts.Get<IRewardModel>("reward"));
        Assert.Equal(3, ensemble.Members.Count);

        // Candidates: pairs of the policy's samples for training prompts.
        var prompts = pipeline.Task.GetPrompts(TaskSplits.Train).Take(200).ToList();
        var samples = await pipeline.Policy.GenerateAsync([.. prompts.SelectMany(p => new[] { p, p })], new() { MaxNewTokens = 32, Seed = 9 }, None);
        List<FeedbackQuery> candidates = [.. prompts.Select((p, i) => new PairwiseQuery($"q{i}", samples[2 * i], samples[(2 * i) + 1]))];
        var selector = new EnsembleDisagreementSelector(new EnsembleDisagreementOptions(), context.Artifacts);
        double[] disagreement = selector.Disagreement(candidates, None);
        var chosen = await selector.SelectAsync(candidates, 50, None);
        Assert.Equal(50, chosen.Select(q => q.Id).Distinct().Count());
        double chosenMean = chosen.Average(q => disagreement[candidates.IndexOf(q)]);
        Assert.True(chosenMean > 2 * disagreement.Average(), $"chosen {chosenMean}, all {disagreement.Average()}");
        Assert.Equal(disagreement.OrderDescending().Take(50).Min(), chosen.Min(q => disagreement[candidates.IndexOf(q)]));

        // Uncertainty: the members' spread, consistent with the member scores.
        var estimates = await ensemble.ScoreWithUncertaintyAsync([samples[0]], None);
        double[][] members = ensemble.MemberScores([samples[0]], None);
        Assert.Equal(members.Average(m => m[0]), estimates[0].Mean, 9);

        // Active collection: 4 candidates per label, the labels spent stay at the budget.
        var before = context.Artifacts.Get<FeedbackDataset>().Records.Count;
        await new CollectFeedbackStage(new CollectFeedbackOptions
        {
            Labels = 40, Candidates = 4, MaxNewTokens = 32, BatchPrompts = 64,
            Source = SmallPipeline.Ref("simulated-human"), Selector = SmallPipeline.Ref("ensemble-disagreement"),
        }).RunAsync(context, None);
        Assert.Equal(before + 40, context.Artifacts.Get<FeedbackDataset>().Records.Count);
        Assert.Equal(40, context.Values(MetricNames.Feedback.Labels).Last());
    }

    [Fact]
    public async Task Training_without_pairwise_labels_and_the_trained_reward_without_a_model_are_refused_clearly()
    {
        using var context = pipeline.Context(9);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Train(context, "bradley-terry", new { }));
        Assert.Contains("collect-feedback", error.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<InvalidOperationException>(() => new TrainedRewardModel(new TrainedRewardOptions { Key = "rm2" }, context.Artifacts).Resolve());
        Assert.Contains("'rm2'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("train-reward-model", missing.Message, StringComparison.Ordinal);
    }
}
