using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Tests.Runs;

public class ArtifactBagTests
{
    [Fact]
    public void ResultsAreFoundByTypeAndKey()
    {
        var bag = new ArtifactBag();
        var @base = new EvaluationResults("base", new Dictionary<string, double> { [MetricNames.Gold.Accuracy] = 0.4 });
        var tuned = new EvaluationResults("tuned", new Dictionary<string, double> { [MetricNames.Gold.Accuracy] = 0.7 });

        bag.Set(@base, "base");
        bag.Set(tuned, "tuned");

        Assert.Same(@base, bag.Get<EvaluationResults>("base"));
        Assert.Same(tuned, bag.Get<EvaluationResults>("tuned"));
        Assert.Null(bag.TryGet<EvaluationResults>());
    }

    [Fact]
    public void AResultStoredUnderItsClassIsFoundThroughItsInterface()
    {
        var bag = new ArtifactBag();
        var reward = new TrainedReward();
        bag.Set(reward);

        Assert.Same(reward, bag.Get<IRewardModel>());
        Assert.Same(reward, bag.Get<ITrainableRewardModel>());
    }

    [Fact]
    public void AmbiguityAndAbsenceAreExplained()
    {
        var bag = new ArtifactBag();
        bag.Set(new TrainedReward());
        bag.Set<IRewardModel>(new OtherReward(), "gold");

        var missing = Assert.Throws<InvalidOperationException>(() => bag.Get<FeedbackDataset>());
        Assert.Equal("No result FeedbackDataset is available (an earlier stage must produce it); the pipeline holds IRewardModel 'gold', TrainedReward.", missing.Message);

        bag.Set(new OtherReward());
        var ambiguous = Assert.Throws<InvalidOperationException>(() => bag.TryGet<IRewardModel>());
        Assert.StartsWith("Several results match IRewardModel: ", ambiguous.Message, StringComparison.Ordinal);
        bag.Set<IRewardModel>(new OtherReward());
        Assert.IsType<OtherReward>(bag.Get<IRewardModel>()); // an exact registration settles it
    }

    private sealed class TrainedReward : ITrainableRewardModel
    {
        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
        public Task<EvaluationResults> TrainAsync(FeedbackDataset data, IRunContext context, CancellationToken ct) => throw new NotSupportedException();
    }

    private sealed class OtherReward : IRewardModel
    {
        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
    }
}
