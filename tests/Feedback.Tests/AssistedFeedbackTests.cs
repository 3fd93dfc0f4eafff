using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using AlignFx.Critics;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Feedback.Tests;

/// <summary>
/// The assisted source: evaluators with limited oversight label the same queries with and without a scripted critic's
/// critiques. The task's hard items have three operations (difficulty 4) while their working steps stay within the
/// evaluators' limit of 3, so a critique pointing at a wrong step makes an uncheckable item checkable.
/// </summary>
public sealed class AssistedFeedbackTests
{
    private const double Limit = 3;
    private static readonly ArithmeticTask Task = new(new ArithmeticOptions { TrainPrompts = 5000, HardOperations = 3, Operators = "+-" }, new TestRunContext(31));
    private static readonly List<PairwiseQuery> WithSteps = Queries(stepsRate: 1);
    private static readonly List<PairwiseQuery> Mixed = Queries(stepsRate: 0.5);

    /// <summary>Two corpus-distribution responses per prompt (hard items right half the time), as pairwise queries.</summary>
    private static List<PairwiseQuery> Queries(double stepsRate)
    {
        var corpus = new PretrainingCorpusOptions { StepsRate = stepsRate, HardCorrectRate = 0.5 };
        var random = new Random(17);
        return [.. Task.GetPrompts(TaskSplits.Train).Select((p, i) =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text)!;
            Response Respond(string id) => new(p, PretrainingCorpus.Respond(problem, problem.Difficulty > 1, corpus, random).Text) { Id = id };
            return new PairwiseQuery($"q{i}", Respond($"r{i}a"), Respond($"r{i}b"));
        })];
    }

    private static readonly SimulatedHumanOptions Evaluators = new() { VerificationLimit = Limit };

    private static SimulatedHumanSource Alone(long seed = 5) => new(Evaluators, new TestRunContext(seed), TestGold.Arithmetic);

    private static (AssistedFeedbackSource Source, TestStageContext Context) Assisted(AssistedFeedbackOptions options, ScriptedCriticOptions? critic = null, long seed = 5)
    {
        TestStageContext context = new(seed, Task, new ScriptedCorpusPolicy(), r => r.Name switch
        {
            SimulatedHumanSource.Name => Alone(seed),
            ScriptedCritic.Name => new ScriptedCritic(critic ?? new ScriptedCriticOptions(), Task, new TestRunContext(seed)),
            "gold" => new GoldFeedbackSource(TestGold.Arithmetic),
            _ => throw new InvalidOperationException($"no component '{r.Name}' in this test"),
        });
        return (new AssistedFeedbackSource(options, context.Components, Task, context, TestGold.Arithmetic), context);
    }

    private static async Task<List<PairwiseFeedback>> Answer(IFeedbackSource source, List<PairwiseQuery> queries) =>
        [.. (await source.AnswerAsync(queries, CancellationToken.None)).Cast<PairwiseFeedback>()];

    /// <summary>Agreement with gold on the decisive pairs that <paramref name="include"/> keeps, with its standard error.</summary>
    private static (double Rate, double Se, int Count) Agreement(List<PairwiseFeedback> labels, Func<PairwiseFeedback, bool> include)
    {
        var agree = new List<double>();
        foreach (PairwiseFeedback label in labels.Where(include))
        {
            double a = TestGold.Arithmetic.Evaluate(label.First).Score, b = TestGold.Arithmetic.Evaluate(label.Second).Score;
            if (a != b)
            {
                agree.Add(a > b ? label.PreferFirst : 1 - label.PreferFirst);
            }
        }
        double rate = agree.Average();
        return (rate, Math.Sqrt(rate * (1 - rate) / agree.Count), agree.Count);
    }

    private static bool Uncheckable(PairwiseFeedback label) => TestGold.Arithmetic.Evaluate(label.First).Get(GoldFeatures.Difficulty) > Limit;

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task With_a_helpful_critic_at_recall_one_labels_on_uncheckable_items_agree_with_gold_as_the_evaluators_do_on_checkable_ones()
    {
        var (source, _) = Assisted(new AssistedFeedbackOptions { Trust = 1 }, new ScriptedCriticOptions { Recall = 1 });
        List<PairwiseFeedback> assisted = await Answer(source, WithSteps);
        List<PairwiseFeedback> alone = await Answer(Alone(), WithSteps);

        var checkable = Agreement(assisted, l => !Uncheckable(l));
        var uncheckable = Agreement(assisted, Uncheckable);
        var unassisted = Agreement(alone, Uncheckable);
        Report($"checkable {checkable.Rate:0.000} ({checkable.Count}), assisted uncheckable {uncheckable.Rate:0.000} ({uncheckable.Count}), unassisted uncheckable {unassisted.Rate:0.000}");

        Assert.True(checkable.Count > 400 && uncheckable.Count > 400, $"{checkable.Count} checkable and {uncheckable.Count} uncheckable decisive pairs");
        double se = Math.Sqrt((checkable.Se * checkable.Se) + (uncheckable.Se * uncheckable.Se));
        Assert.InRange(uncheckable.Rate, checkable.Rate - (2 * se), checkable.Rate + (2 * se));
        // Without the critic the same evaluators are near chance there.
        Assert.True(unassisted.Rate + (4 * Math.Sqrt((unassisted.Se * unassisted.Se) + (uncheckable.Se * uncheckable.Se))) < uncheckable.Rate);
        Assert.InRange(unassisted.Rate, 0.4, 0.6);
        // The source's own measurements say the same.
        Assert.Equal(uncheckable.Rate, source.Measurements[AssistedMetrics.GoldAgreementUncheckable], 9);
        Assert.Equal(checkable.Rate, source.Measurements[AssistedMetrics.GoldAgreementCheckable], 9);
        Assert.Equal(unassisted.Rate, source.Measurements[AssistedMetrics.UnassistedGoldAgreementUncheckable], 9);
    }

    [Fact]
    public async Task An_adversarial_critic_lowers_agreement_with_gold_below_the_unassisted_rate()
    {
        var (source, _) = Assisted(new AssistedFeedbackOptions(), new ScriptedCriticOptions { Mode = CriticMode.Adversarial });
        List<PairwiseFeedback> assisted = await Answer(source, Mixed);
        List<PairwiseFeedback> alone = await Answer(Alone(), Mixed);

        var misled = Agreement(assisted, Uncheckable);
        var unassisted = Agreement(alone, Uncheckable);
        var overall = (Assisted: Agreement(assisted, _ => true), Alone: Agreement(alone, _ => true));
        Report($"uncheckable: adversarial {misled.Rate:0.000}, unassisted {unassisted.Rate:0.000}; overall {overall.Assisted.Rate:0.000} vs {overall.Alone.Rate:0.000}");

        Assert.True(misled.Rate + (4 * Math.Sqrt((misled.Se * misled.Se) + (unassisted.Se * unassisted.Se))) < unassisted.Rate);
        Assert.True(overall.Assisted.Rate < overall.Alone.Rate);
        Assert.Equal(0, source.Measurements[AssistedMetrics.FlawsFoundPerLabel]);
        Assert.True(source.Measurements[AssistedMetrics.FlippedRightToWrong] > source.Measurements[AssistedMetrics.FlippedWrongToRight]);
    }

    [Fact]
    public async Task A_noisy_critic_helps_less_than_a_helpful_one_and_more_than_none_when_its_false_alarms_can_be_checked()
    {
        var helpful = Assisted(new AssistedFeedbackOptions(), new ScriptedCriticOptions { Recall = 0.9 }).Source;
        var noisy = Assisted(new AssistedFeedbackOptions(), new ScriptedCriticOptions { Recall = 0.9, FalseAlarmRate = 0.4 }).Source;
        var h = Agreement(await Answer(helpful, WithSteps), Uncheckable);
        var n = Agreement(await Answer(noisy, WithSteps), Uncheckable);
        var none = Agreement(await Answer(Alone(), WithSteps), Uncheckable);
        Report($"uncheckable: helpful {h.Rate:0.000}, noisy {n.Rate:0.000}, none {none.Rate:0.000}");

        Assert.True(n.Rate < h.Rate);
        Assert.True(none.Rate < n.Rate);
    }

    [Fact]
    public async Task Without_critiques_the_assisted_source_gives_exactly_the_wrapped_sources_labels()
    {
        var (source, _) = Assisted(new AssistedFeedbackOptions { Critiqued = CritiquedResponses.None });
        List<PairwiseFeedback> assisted = await Answer(source, Mixed);
        List<PairwiseFeedback> alone = await Answer(Alone(), Mixed);

        Assert.Equal(alone.Select(l => (l.QueryId, l.PreferFirst, l.Provenance.Annotator, l.Provenance.Confidence, l.Provenance.Latency, l.Provenance.Cost)),
            assisted.Select(l => (l.QueryId, l.PreferFirst, l.Provenance.Annotator, l.Provenance.Confidence, l.Provenance.Latency, l.Provenance.Cost)));
        Assert.All(assisted, l => Assert.Equal(AssistedFeedbackSource.Name, l.Provenance.Source));
        Assert.Equal(0, source.Measurements[AssistedMetrics.FlippedRightToWrong] + source.Measurements[AssistedMetrics.FlippedWrongToRight]);
        Assert.Equal(source.Measurements[AssistedMetrics.UnassistedGoldAgreement], source.Measurements[AssistedMetrics.GoldAgreement]);
    }

    [Fact]
    public async Task Records_carry_the_critiques_their_cost_and_time_and_the_flips_are_counted_against_the_unassisted_labels()
    {
        List<PairwiseQuery> queries = [.. Mixed.Take(800)];
        var options = new AssistedFeedbackOptions { Critiqued = CritiquedResponses.First, SecondsPerCritique = 20, EvaluatorCostPerCritique = 0.05 };
        var (source, context) = Assisted(options, new ScriptedCriticOptions { Recall = 0.8, FalseAlarmRate = 0.2, CostPerCritique = 0.01 });
        List<PairwiseFeedback> assisted = [.. await Answer(source, queries[..500]), .. await Answer(source, queries[500..])];
        List<PairwiseFeedback> alone = await Answer(Alone(), queries);

        Assert.All(assisted, l =>
        {
            TranscriptTurn turn = Assert.Single(l.Transcript!);
            Assert.Equal(AssistedFeedbackSource.CriticSpeaker, turn.Speaker);
            Assert.StartsWith("On the first response (scripted): ", turn.Text, StringComparison.Ordinal);
            Assert.Equal(0.1 + 0.05 + 0.01, l.Provenance.Cost, 9);
        });
        Assert.All(assisted.Zip(alone), p => Assert.Equal(p.Second.Provenance.Latency + TimeSpan.FromSeconds(20), p.First.Provenance.Latency));
        int rightToWrong = 0, wrongToRight = 0;
        foreach (var (a, u) in assisted.Zip(alone))
        {
            double first = TestGold.Arithmetic.Evaluate(a.First).Score, second = TestGold.Arithmetic.Evaluate(a.Second).Score;
            if (first != second && a.PreferFirst != u.PreferFirst)
            {
                bool wasRight = (u.PreferFirst == 1) == (first > second);
                rightToWrong += wasRight ? 1 : 0;
                wrongToRight += wasRight ? 0 : 1;
            }
        }
        Assert.True(wrongToRight > 0);
        Assert.Equal((double)rightToWrong / queries.Count, source.Measurements[AssistedMetrics.FlippedRightToWrong], 9);
        Assert.Equal((double)wrongToRight / queries.Count, source.Measurements[AssistedMetrics.FlippedWrongToRight], 9);
        Assert.Equal(0.01, source.Measurements[AssistedMetrics.CriticCostPerLabel], 9);
        Assert.Equal(0.15, source.Measurements[AssistedMetrics.EvaluatorCostPerLabel], 9);
        Assert.True(source.Measurements[AssistedMetrics.FlawsFoundPerLabel] > 0);
        // Logged cumulatively after each batch, at the labels answered so far.
        Assert.Equal(2, context.Values(AssistedMetrics.GoldAgreement).Count);
        Assert.Equal(source.Measurements[AssistedMetrics.GoldAgreement], context.Values(AssistedMetrics.GoldAgreement)[^1]);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_assisted_labels()
    {
        var options = new AssistedFeedbackOptions();
        var critic = new ScriptedCriticOptions { Recall = 0.7, FalseAlarmRate = 0.2 };
        List<PairwiseQuery> queries = [.. Mixed.Take(500)];
        var once = await Answer(Assisted(options, critic, seed: 8).Source, queries);
        var again = await Answer(Assisted(options, critic, seed: 8).Source, queries);
        var other = await Answer(Assisted(options, critic, seed: 9).Source, queries);

        Assert.Equal(once.Select(l => (l.PreferFirst, l.Transcript![0].Text)), again.Select(l => (l.PreferFirst, l.Transcript![0].Text)));
        Assert.NotEqual(once.Select(l => l.PreferFirst), other.Select(l => l.PreferFirst));
    }

    [Fact]
    public void Wrapping_a_source_that_cannot_read_critiques_is_refused_with_the_source_that_can()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Assisted(new AssistedFeedbackOptions { Source = new ComponentRef { Name = "gold" } }));
        Assert.Contains("'gold' cannot use critiques", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{SimulatedHumanSource.Name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rating_queries_are_refused_with_what_to_collect_instead()
    {
        var (source, _) = Assisted(new AssistedFeedbackOptions());
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => source.AnswerAsync([new RatingQuery("r", Mixed[0].First)], CancellationToken.None));
        Assert.Contains("pairwise", error.Message, StringComparison.Ordinal);
    }
}
