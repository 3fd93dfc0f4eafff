using AlignFx.Evaluation;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback.Tests;

/// <summary>The simulated annotators' labels against what their parameters imply, flaw by flaw.</summary>
public sealed class SimulatedHumanTests
{
    private static readonly List<(Response First, Response Second)> PairSample = Pairs.Sample(6000, seed: 21);

    public static TheoryData<string> Flaws => [.. FlawOptions.Keys];

    private static readonly Dictionary<string, Func<SimulatedHumanOptions>> FlawOptions = new()
    {
        ["unbiased"] = () => new SimulatedHumanOptions(),
        ["noisy"] = () => new SimulatedHumanOptions { Temperature = 2 },
        ["random-answers"] = () => new SimulatedHumanOptions { RandomRate = 0.5 },
        ["limited-oversight"] = () => new SimulatedHumanOptions { VerificationLimit = 1 },
        ["length-bias"] = () => new SimulatedHumanOptions { LengthBias = 0.05 },
        ["confidence-bias"] = () => new SimulatedHumanOptions { ConfidenceBias = 1.5 },
        ["sycophancy"] = () => new SimulatedHumanOptions { Sycophancy = 1.5 },
        ["poisoning"] = () => new SimulatedHumanOptions { PoisonFraction = 0.2 },
        ["quickstart"] = () => new SimulatedHumanOptions { VerificationLimit = 1, ConfidenceBias = 1 },
        ["mixed-annotators"] = () => new SimulatedHumanOptions
        {
            Annotators = 4,
            Profiles = [new() { Temperature = 1 }, new() { LengthBias = 0.1, RandomRate = 0 }, new() { VerificationLimit = 1, Sycophancy = 2 }, new() { Poisoner = true }],
        },
    };

    // The utility of SimulatedHumanOptions' documentation, written out independently of the source.
    private static double Utility(GoldEvaluation g, double limit, double weight, double length, double confidence, double sycophancy) =>
        (g.Get(GoldFeatures.Difficulty) <= limit ? weight * g.Get(GoldFeatures.Correct) : 0)
        + (length * g.Get(GoldFeatures.Length)) + (confidence * g.Get(GoldFeatures.Confident)) + (sycophancy * g.Get(GoldFeatures.AgreesWithHint));

    private static async Task<IReadOnlyList<FeedbackRecord>> Label(SimulatedHumanSource source, string prefix = "q") =>
        await source.AnswerAsync([.. PairSample.Select((p, i) => new PairwiseQuery($"{prefix}{i}", p.First, p.Second))], CancellationToken.None);

    [Theory]
    [MemberData(nameof(Flaws))]
    public async Task Agreement_with_gold_matches_what_the_parameters_imply(string flaw)
    {
        SimulatedHumanOptions options = FlawOptions[flaw]();
        var source = new SimulatedHumanSource(options, new TestRunContext(5), TestGold.Arithmetic);
        IReadOnlyList<FeedbackRecord> labels = await Label(source);

        double expectedSum = 0, variance = 0, measuredSum = 0;
        int decisive = 0;
        for (int i = 0; i < PairSample.Count; i++)
        {
            GoldEvaluation a = TestGold.Arithmetic.Evaluate(PairSample[i].First), b = TestGold.Arithmetic.Evaluate(PairSample[i].Second);
            if (a.Score == b.Score)
            {
                continue;
            }
            // Each query goes to an annotator drawn uniformly: the label's chance of siding with gold averages over them.
            double towardsGold = 0;
            for (int k = 0; k < options.Annotators; k++)
            {
                AnnotatorProfile p = k < options.Profiles.Count ? options.Profiles[k] : new AnnotatorProfile();
                double limit = p.VerificationLimit ?? options.VerificationLimit, weight = p.CorrectnessWeight ?? options.CorrectnessWeight;
                double length = p.LengthBias ?? options.LengthBias, confidence = p.ConfidenceBias ?? options.ConfidenceBias, syc = p.Sycophancy ?? options.Sycophancy;
                double t = p.Temperature ?? options.Temperature, epsilon = p.RandomRate ?? options.RandomRate;
                double du = Utility(a, limit, weight, length, confidence, syc) - Utility(b, limit, weight, length, confidence, syc);
                double firstWins = 1 / (1 + Math.Exp(-du / t));
                double honest = (epsilon / 2) + ((1 - epsilon) * (a.Score > b.Score ? firstWins : 1 - firstWins));
                towardsGold += source.Annotators[k].Poisoner ? 1 - honest : honest;
            }
            towardsGold /= options.Annotators;
            expectedSum += towardsGold;
            variance += towardsGold * (1 - towardsGold);
            double label = ((PairwiseFeedback)labels[i]).PreferFirst;
            measuredSum += a.Score > b.Score ? label : 1 - label;
            decisive++;
        }

        Assert.True(decisive > 1000, $"only {decisive} decisive pairs");
        double expected = expectedSum / decisive, measured = measuredSum / decisive, se = Math.Sqrt(variance) / decisive;
        TestContext.Current.TestOutputHelper?.WriteLine($"{flaw}: measured {measured:0.0000}, implied {expected:0.0000}, 4 SE {4 * se:0.0000}, {decisive} decisive pairs");
        Assert.True(Math.Abs(measured - expected) <= 4 * se,
            $"{flaw}: measured agreement {measured:0.0000} over {decisive} decisive pairs, implied {expected:0.0000} ± {4 * se:0.0000}");
        Assert.Equal(measured, TaskMetrics.GoldAgreement(labels.Cast<PairwiseFeedback>(), TestGold.Arithmetic), 12);
    }

    [Fact]
    public async Task Flaws_pull_agreement_below_the_unbiased_evaluator()
    {
        var gold = TestGold.Arithmetic;
        async Task<double> Agreement(SimulatedHumanOptions options) =>
            TaskMetrics.GoldAgreement((await Label(new SimulatedHumanSource(options, new TestRunContext(5), TestGold.Arithmetic))).Cast<PairwiseFeedback>(), gold);

        double unbiased = await Agreement(FlawOptions["unbiased"]());
        Assert.InRange(unbiased, 0.85, 0.97); // ≈ 0.05 + 0.9·σ(4) on decisive pairs
        foreach (string flaw in new[] { "noisy", "random-answers", "limited-oversight", "poisoning", "quickstart" })
        {
            Assert.True(await Agreement(FlawOptions[flaw]()) < unbiased - 0.05, flaw);
        }
    }

    [Fact]
    public async Task The_same_seed_and_queries_give_the_same_labels_however_they_are_batched()
    {
        var options = new SimulatedHumanOptions { PoisonFraction = 0.4, ConfidenceBias = 0.5 };
        var all = await Label(new SimulatedHumanSource(options, new TestRunContext(9), TestGold.Arithmetic));
        var again = await Label(new SimulatedHumanSource(options, new TestRunContext(9), TestGold.Arithmetic));
        var source = new SimulatedHumanSource(options, new TestRunContext(9), TestGold.Arithmetic);
        var oneByOne = new List<FeedbackRecord>();
        for (int i = 0; i < 200; i++)
        {
            oneByOne.AddRange(await source.AnswerAsync([new PairwiseQuery($"q{i}", PairSample[i].First, PairSample[i].Second)], CancellationToken.None));
        }
        var otherSeed = await Label(new SimulatedHumanSource(options, new TestRunContext(10), TestGold.Arithmetic));

        Assert.Equal(all, again);
        Assert.Equal(all.Take(200), oneByOne);
        Assert.NotEqual(all.Select(r => ((PairwiseFeedback)r).PreferFirst), otherSeed.Select(r => ((PairwiseFeedback)r).PreferFirst));
    }

    [Fact]
    public async Task Every_record_carries_its_provenance()
    {
        var options = new SimulatedHumanOptions { Annotators = 3, CostPerLabel = 0.2, MeanLatencySeconds = 10, Profiles = [new() { CostPerLabel = 1 }] };
        var labels = await Label(new SimulatedHumanSource(options, new TestRunContext(2), TestGold.Arithmetic));

        Assert.All(labels, r =>
        {
            Assert.Equal("simulated-human", r.Provenance.Source);
            Assert.Contains(r.Provenance.Annotator, new[] { "annotator-0", "annotator-1", "annotator-2" });
            Assert.Equal(r.Provenance.Annotator == "annotator-0" ? 1 : 0.2, r.Provenance.Cost);
            Assert.InRange(r.Provenance.Latency.TotalSeconds, 5, 15);
            Assert.InRange(r.Provenance.Confidence, 0.5, 1);
            Assert.Contains(((PairwiseFeedback)r).PreferFirst, new[] { 0.0, 1.0 });
        });
        Assert.Equal(3, labels.Select(r => r.Provenance.Annotator).Distinct().Count());
        Assert.Equal(PairSample.Select((_, i) => $"q{i}"), labels.Select(r => r.QueryId));
    }

    [Fact]
    public void Poisoners_are_a_seeded_share_of_the_annotators_and_profiles_override_it()
    {
        Assert.Equal(2, new SimulatedHumanSource(new SimulatedHumanOptions { Annotators = 10, PoisonFraction = 0.2 }, new TestRunContext(1), TestGold.Arithmetic).Annotators.Count(a => a.Poisoner));
        Assert.Equal(0, new SimulatedHumanSource(new SimulatedHumanOptions(), new TestRunContext(1), TestGold.Arithmetic).Annotators.Count(a => a.Poisoner));
        var overridden = new SimulatedHumanSource(new SimulatedHumanOptions { Annotators = 2, Profiles = [new() { Poisoner = true }] }, new TestRunContext(1), TestGold.Arithmetic);
        Assert.Equal([true, false], overridden.Annotators.Select(a => a.Poisoner));
    }

    [Fact]
    public async Task Ratings_are_whole_numbers_on_the_scale_and_rank_checkable_right_answers_higher()
    {
        var source = new SimulatedHumanSource(new SimulatedHumanOptions(), new TestRunContext(4), TestGold.Arithmetic);
        var responses = PairSample.Select(p => p.First).ToList();
        var ratings = (await source.AnswerAsync([.. responses.Select((r, i) => new RatingQuery($"r{i}", r))], CancellationToken.None)).Cast<RatingFeedback>().ToList();

        Assert.All(ratings, r => Assert.True(r.Rating is >= 1 and <= 7 && r.Rating == Math.Round(r.Rating)));
        double right = ratings.Where(r => TestGold.Arithmetic.Evaluate(r.Response).Score == 1).Average(r => r.Rating);
        double wrong = ratings.Where(r => TestGold.Arithmetic.Evaluate(r.Response).Score == 0).Average(r => r.Rating);
        Assert.True(right > wrong + 2, $"right {right:0.00}, wrong {wrong:0.00}");
    }

    [Fact]
    public async Task The_gold_source_prefers_the_higher_gold_score_and_calls_ties_even()
    {
        var labels = (await new GoldFeedbackSource(TestGold.Arithmetic).AnswerAsync([.. PairSample.Select((p, i) => new PairwiseQuery($"q{i}", p.First, p.Second))], CancellationToken.None))
            .Cast<PairwiseFeedback>().ToList();

        Assert.Equal(1, TaskMetrics.GoldAgreement(labels, TestGold.Arithmetic));
        Assert.All(labels.Where(l => TestGold.Arithmetic.Evaluate(l.First).Score == TestGold.Arithmetic.Evaluate(l.Second).Score), l => Assert.Equal(0.5, l.PreferFirst));
        Assert.All(labels, l => Assert.Equal(("gold", "oracle", 0.0), (l.Provenance.Source, l.Provenance.Annotator, l.Provenance.Cost)));
    }
}
