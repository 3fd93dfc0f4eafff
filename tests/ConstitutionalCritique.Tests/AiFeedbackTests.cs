using System.Text.Json.Nodes;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>ai-feedback and the simulated AI labeller on pairs of corpus-policy responses, without the host.</summary>
public sealed class AiFeedbackTests(ITestOutputHelper output)
{
    private static readonly List<PairwiseQuery> Queries =
        [.. Arithmetic.Pairs(3000, seed: 11).Select((p, i) => new PairwiseQuery($"q{i}", p.First, p.Second))];

    private static Constitution Shipped() =>
        System.Text.Json.JsonSerializer.Deserialize<Constitution>(Constitutions.Arithmetic().ToJsonString(), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;

    private static SimulatedAiLabeller Labeller(long seed, SimulatedAiOptions options) => new(options, new TestRunContext(seed), Arithmetic.Task);

    private static async Task<List<PairwiseFeedback>> Ask(IFeedbackSource source) =>
        [.. (await source.AnswerAsync(Queries, TestContext.Current.CancellationToken)).Cast<PairwiseFeedback>()];

    private static AiFeedbackSource Source(SimulatedAiLabeller model, bool swap, long seed = 1) =>
        AiFeedbackSource.WithModel(new AiFeedbackOptions { Constitution = Shipped(), SwapPositions = swap }, seed, model);

    /// <summary>Each label's weight on the gold-preferred side, over pairs whose gold scores differ.</summary>
    private static (double Mean, double StandardError) Agreement(IEnumerable<PairwiseFeedback> labels)
    {
        var values = labels.Select(l => (Label: l, A: Arithmetic.Task.Evaluate(l.First).Score, B: Arithmetic.Task.Evaluate(l.Second).Score))
            .Where(x => x.A != x.B).Select(x => x.A > x.B ? x.Label.PreferFirst : 1 - x.Label.PreferFirst).ToList();
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, sd / Math.Sqrt(values.Count));
    }

    [Fact]
    public async Task Asking_in_both_orders_removes_a_set_position_bias_agreement_with_gold_equals_the_unbiased_labellers_within_two_standard_errors()
    {
        var unbiased = new SimulatedAiOptions { Literalism = 0 };
        var biased = new SimulatedAiOptions { Literalism = 0, PositionBias = 2 };

        var (fair, fairSe) = Agreement(await Ask(Source(Labeller(5, unbiased), swap: true)));
        var (swapped, swappedSe) = Agreement(await Ask(Source(Labeller(6, biased), swap: true)));
        var (once, onceSe) = Agreement(await Ask(Source(Labeller(6, biased), swap: false)));
        var (fairOnce, fairOnceSe) = Agreement(await Ask(Source(Labeller(5, unbiased), swap: false)));
        output.WriteLine($"agreement with gold: unbiased both orders {fair:F6} ± {fairSe:F4}, unbiased one order {fairOnce:F4} ± {fairOnceSe:F4}, "
            + $"bias 2 both orders {swapped:F6} ± {swappedSe:F4}, bias 2 one order {once:F4} ± {onceSe:F4}");

        double twoSe = 2 * Math.Sqrt((fairSe * fairSe) + (swappedSe * swappedSe));
        Assert.True(Math.Abs(swapped - fair) <= twoSe, $"both orders: {swapped} vs unbiased {fair} (2 SE = {twoSe})");
        // The bias is real: asked once, the biased labeller agrees with gold far less.
        double twoSeOnce = 2 * Math.Sqrt((fairSe * fairSe) + (onceSe * onceSe));
        Assert.True(fair - once > 5 * twoSeOnce, $"one order: {once} vs unbiased {fair} (2 SE = {twoSeOnce})");
    }

    [Fact]
    public async Task At_the_same_label_budget_ai_feedback_agrees_with_gold_more_than_the_quickstarts_flawed_human()
    {
        // The quickstart's task and evaluator (checks one-step sums only, likes a confident tone) against the AI labeller
        // of examples/constitutional-rl.json, on the same 2,000 pairs of corpus-distribution answers.
        var task = new AlignFx.Tasks.Arithmetic.ArithmeticOptions { Operators = "+-", HardDigits = 1, HardOperations = 2 };
        List<PairwiseQuery> queries = [.. Arithmetic.Pairs(2000, seed: 21, task).Select((p, i) => new PairwiseQuery($"h{i}", p.First, p.Second))];
        var human = new AlignFx.Feedback.SimulatedHumanSource(new AlignFx.Feedback.SimulatedHumanOptions { VerificationLimit = 1, ConfidenceBias = 1 }, new TestRunContext(3), Arithmetic.Task);
        var ai = Source(Labeller(3, new SimulatedAiOptions { VerificationLimit = 2, PositionBias = 1, Literalism = 0.25 }), swap: true);

        var (humanAgreement, humanSe) = Agreement((await human.AnswerAsync(queries, TestContext.Current.CancellationToken)).Cast<PairwiseFeedback>());
        var (aiAgreement, aiSe) = Agreement((await ai.AnswerAsync(queries, TestContext.Current.CancellationToken)).Cast<PairwiseFeedback>());
        output.WriteLine($"agreement with gold on 2,000 pairs: flawed human {humanAgreement:F4} ± {humanSe:F4}, ai-feedback {aiAgreement:F4} ± {aiSe:F4}");

        Assert.True(aiAgreement - humanAgreement > 2 * Math.Sqrt((humanSe * humanSe) + (aiSe * aiSe)), $"ai {aiAgreement} vs human {humanAgreement}");
    }

    [Fact]
    public void The_swap_average_of_log_odds_cancels_any_additive_position_bias_exactly()
    {
        foreach (double x in new[] { -3.0, -0.5, 0, 0.7, 4 })
        {
            foreach (double bias in new[] { -2.0, 0, 1.5 })
            {
                double unbiased = SimulatedAiLabeller.Sigmoid(x);
                double averaged = AiFeedbackSource.SwapAverage(SimulatedAiLabeller.Sigmoid(x + bias), SimulatedAiLabeller.Sigmoid(-x + bias));
                Assert.Equal(unbiased, averaged, 9);
            }
        }
    }

    [Fact]
    public async Task Records_carry_the_sampled_principle_both_rationales_and_the_cost_of_two_calls()
    {
        List<PairwiseFeedback> labels = await Ask(Source(Labeller(5, new SimulatedAiOptions { CostPerCall = 0.002 }), swap: true));

        Assert.Equal(Queries.Select(q => q.Id), labels.Select(l => l.QueryId));
        Assert.All(labels, l =>
        {
            Assert.Equal(CaiComponents.AiFeedback, l.Provenance.Source);
            Assert.Equal(CaiComponents.SimulatedAi, l.Provenance.Annotator);
            Assert.Equal(0.004, l.Provenance.Cost, 12);
            Assert.InRange(l.PreferFirst, 0, 1);
            Assert.Equal(3, l.Transcript!.Count);
            Assert.Equal(2, l.Transcript.Count(t => t.Speaker == CaiKeys.FeedbackModelSpeaker && t.Text.Contains(AiFeedbackSource.PrincipleOf(l)!, StringComparison.Ordinal)));
        });
        // Sampled by weight: wrong-steps (weight 2 of 5) about 40% of the time.
        var byPrinciple = labels.GroupBy(AiFeedbackSource.PrincipleOf).ToDictionary(g => g.Key!, g => g.Count() / (double)labels.Count);
        Assert.Equal(4, byPrinciple.Count);
        Assert.InRange(byPrinciple["wrong-steps"], 0.4 - 0.05, 0.4 + 0.05);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_labels_and_another_seed_other_ones()
    {
        var options = new SimulatedAiOptions { PositionBias = 0.5, VerbosityBias = 0.01 };
        List<PairwiseFeedback> first = await Ask(Source(Labeller(5, options), swap: true));
        List<PairwiseFeedback> again = await Ask(Source(Labeller(5, options), swap: true));
        List<PairwiseFeedback> other = await Ask(Source(Labeller(9, options), swap: true, seed: 2));

        Assert.Equal(first.Select(l => (l.PreferFirst, AiFeedbackSource.PrincipleOf(l))), again.Select(l => (l.PreferFirst, AiFeedbackSource.PrincipleOf(l))));
        Assert.NotEqual(first.Select(l => l.PreferFirst), other.Select(l => l.PreferFirst));
    }

    [Fact]
    public async Task Principle_literalism_lowers_agreement_with_gold_under_principles_whose_letter_is_not_correctness()
    {
        IReadOnlyDictionary<string, double> spirit = PrincipleAgreementStage.Measure(await Ask(Source(Labeller(5, new SimulatedAiOptions { Literalism = 0 }), swap: true)), Arithmetic.Task);
        IReadOnlyDictionary<string, double> letter = PrincipleAgreementStage.Measure(await Ask(Source(Labeller(5, new SimulatedAiOptions { Literalism = 0.9 }), swap: true)), Arithmetic.Task);
        foreach (var (name, value) in letter.Where(kv => kv.Key.StartsWith(CaiMetrics.PrincipleAgreementPrefix, StringComparison.Ordinal)))
        {
            output.WriteLine($"{name}: literalism 0 {spirit[name]:F3}, literalism 0.9 {value:F3}");
        }

        string showWorking = CaiMetrics.PrincipleAgreementPrefix + "show-working", wrongSteps = CaiMetrics.PrincipleAgreementPrefix + "wrong-steps";
        Assert.True(letter[showWorking] < spirit[showWorking] - 0.1, $"show-working: {spirit[showWorking]} -> {letter[showWorking]}");
        // A principle whose letter includes correctness stays close to gold.
        Assert.True(letter[wrongSteps] > letter[showWorking] + 0.1);
        Assert.Equal(Queries.Count, letter.Where(kv => kv.Key.StartsWith(CaiMetrics.PrincipleLabelsPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value));
    }

    [Fact]
    public async Task Verbosity_bias_and_self_preference_move_labels_towards_long_and_own_style_responses()
    {
        var plain = await Ask(Labeller(5, new SimulatedAiOptions()));
        var verbose = await Ask(Labeller(5, new SimulatedAiOptions { VerbosityBias = 0.05 }));
        var self = await Ask(Labeller(5, new SimulatedAiOptions { SelfPreference = 1, OwnStyle = GoldFeatures.Hedged }));

        double Towards(List<PairwiseFeedback> labels, string feature) => labels
            .Select(l => (l, a: Arithmetic.Task.Evaluate(l.First).Get(feature), b: Arithmetic.Task.Evaluate(l.Second).Get(feature)))
            .Where(x => x.a != x.b).Average(x => x.a > x.b ? x.l.PreferFirst : 1 - x.l.PreferFirst);
        output.WriteLine($"towards longer: {Towards(plain, GoldFeatures.Length):F3} -> {Towards(verbose, GoldFeatures.Length):F3}; "
            + $"towards hedged: {Towards(plain, GoldFeatures.Hedged):F3} -> {Towards(self, GoldFeatures.Hedged):F3}");

        Assert.True(Towards(verbose, GoldFeatures.Length) > Towards(plain, GoldFeatures.Length) + 0.05);
        Assert.True(Towards(self, GoldFeatures.Hedged) > Towards(plain, GoldFeatures.Hedged) + 0.05);
        Assert.True(TaskMetrics.GoldAgreement(verbose, Arithmetic.Task) < TaskMetrics.GoldAgreement(plain, Arithmetic.Task));
    }

    [Fact]
    public async Task A_critic_can_be_the_feedback_model_and_its_labels_follow_what_it_flags_under_the_principle()
    {
        var constitution = new JsonObject { ["principles"] = new JsonArray(Constitutions.Only("wrong-steps")["principles"]![0]!.DeepClone()) };
        var manifest = new JsonObject
        {
            ["name"] = "critic-feedback",
            ["seed"] = 2,
            ["task"] = new JsonObject { ["name"] = "arithmetic", ["options"] = new JsonObject { ["trainPrompts"] = 300 } },
            ["policy"] = "corpus",
            ["stages"] = new JsonArray(
                new JsonObject
                {
                    ["stage"] = "collect-feedback",
                    ["labels"] = 300,
                    ["source"] = new JsonObject
                    {
                        ["name"] = CaiComponents.AiFeedback,
                        ["options"] = new JsonObject { ["constitution"] = constitution, ["critic"] = CaiComponents.DefaultCritic },
                    },
                },
                new JsonObject { ["stage"] = CaiComponents.PrincipleAgreement }),
        };
        using var run = new ExampleRun();
        await run.RunAsync(manifest, TestCatalog.Instance, TestContext.Current.CancellationToken);
        double agreement = run.Metric(CaiMetrics.PrincipleAgreementPrefix + "wrong-steps").Single();
        output.WriteLine($"scripted critic as the feedback model, wrong-steps: agreement with gold {agreement:F3}");

        var labels = run.Outcome.Artifacts.Get<FeedbackDataset>().Pairwise.ToList();
        Assert.Equal(300, labels.Count);
        Assert.All(labels, l => Assert.Equal(CaiComponents.DefaultCritic, l.Provenance.Annotator));
        // A right answer states no false claim; a wrong one that states an answer does: the critic at recall 1 tells them apart.
        Assert.True(agreement > 0.8, $"agreement {agreement}");
        Assert.Contains(labels, l => l.PreferFirst is > 0.5 and < 1);
    }
}
