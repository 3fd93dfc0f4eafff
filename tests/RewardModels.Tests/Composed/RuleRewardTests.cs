using AlignFx.Abstractions.Tasks;
using AlignFx.RewardModels.Composed;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.RewardModels.Tests.Composed;

/// <summary>The rule and gold rewards on arithmetic responses written with the task's own response grammar, against values worked out by hand.</summary>
public sealed class RuleRewardTests
{
    // 73*60+19 = 4399; the user's hint, 4398, is wrong.
    private static readonly ArithmeticProblem Problem = new([73, 60, 19], "*+", hint: 4398);
    private static readonly Prompt Prompt = new("p0", Problem.PromptText);

    private static readonly string[] Texts =
    [
        new ArithmeticResponse(4399, Problem.Steps, ResponseTone.Confident, Padded: true).Format(0),
        new ArithmeticResponse(4398, [], ResponseTone.Plain, Padded: false).Format(0),
        new ArithmeticResponse(4399, [], ResponseTone.Hedged, Padded: true).Format(0),
        new ArithmeticResponse(4399, [], ResponseTone.Confident, Padded: false).Format(1),
    ];

    private static readonly Response[] Responses = [.. Texts.Select((t, i) => new Response(Prompt, t) { Id = $"r{i}" })];

    private static Task<IReadOnlyList<double>> Score(AlignFx.Abstractions.Rewards.IRewardModel reward) =>
        reward.ScoreAsync(Responses, TestContext.Current.CancellationToken);

    [Fact]
    public void The_responses_are_the_grammar_s_texts()
    {
        Assert.Equal(
            ["73*60=4380, 4380+19=4399. Surely 4399. Trust me.", "4398", "Maybe 4399? Not sure.", "Definitely 4399."],
            Texts);
        Assert.Equal([48, 4, 21, 16], Texts.Select(t => t.Length));
    }

    [Fact]
    public async Task Length_penalty_charges_each_character_past_the_target()
    {
        var reward = new LengthPenaltyReward(new LengthPenaltyOptions { Target = 20, Coefficient = 0.5 });
        // 48 − 20 = 28 characters over → −14; 21 − 20 = 1 → −0.5; the others are at or under 20.
        Assert.Equal([-14, 0, -0.5, 0], await Score(reward));
        Assert.Equal([-1.4, 0, -0.05, 0], await Score(new LengthPenaltyReward(new LengthPenaltyOptions())), new ToleranceComparer(1e-12));
    }

    [Fact]
    public async Task Format_by_default_asks_for_an_answer_at_the_end_with_no_padding()
    {
        // Padding ("Trust me.", "Not sure.") after the answer fails; a bare or toned answer passes.
        Assert.Equal([0, 1, 0, 1], await Score(new FormatReward(new FormatOptions())));
        Assert.Equal(0, new FormatReward(new FormatOptions()).Score("That is all."));
        Assert.Equal(0, new FormatReward(new FormatOptions()).Score(""));
        Assert.Equal(1, new FormatReward(new FormatOptions()).Score("-12"));
    }

    [Fact]
    public async Task Format_counts_every_failed_check_when_graded()
    {
        var reward = new FormatReward(new FormatOptions
        {
            ForbiddenPattern = "(?i)surely|definitely",
            MaxLength = 20,
            PassScore = 0,
            FailScore = 0,
            PenaltyPerViolation = 1,
        });
        // r0: padded, confident and 48 > 20 characters (3); r1: none; r2: padded and 21 > 20 (2); r3: confident (1).
        Assert.Equal([3, 0, 2, 1], Texts.Select(reward.Violations));
        Assert.Equal([-3, 0, -2, -1], await Score(reward));

        var checksOff = new FormatReward(new FormatOptions { RequiredPattern = null, PassScore = 2, FailScore = -1 });
        Assert.Equal([2, 2, 2, 2], await Score(checksOff));
    }

    [Fact]
    public async Task Regex_counts_matches_or_rewards_a_match()
    {
        // r0 holds 73, 60, 4380, 4380, 19, 4399, 4399: seven numbers.
        Assert.Equal([3.5, 0.5, 0.5, 0.5], await Score(new RegexReward(new RegexRewardOptions { Pattern = @"\d+", Weight = 0.5 })));
        var padding = new RegexReward(new RegexRewardOptions { Pattern = "trust me|not sure", Weight = -2, Scoring = RegexScoring.Match, IgnoreCase = true });
        Assert.Equal([-2, 0, -2, 0], await Score(padding));
        var caseSensitive = new RegexReward(new RegexRewardOptions { Pattern = "trust me", Scoring = RegexScoring.Match });
        Assert.Equal([0, 0, 0, 0], await Score(caseSensitive));
        // "(?s)." counts characters: the length.
        Assert.Equal([48, 4, 21, 16], await Score(new RegexReward(new RegexRewardOptions { Pattern = "(?s)." })));
    }

    [Fact]
    public async Task Gold_scores_with_the_task_s_evaluator_or_one_of_its_features()
    {
        var task = new ArithmeticTask(new ArithmeticOptions(), new TestRunContext(1));
        Assert.Equal([1, 0, 1, 1], await Score(new GoldReward(new GoldRewardOptions(), task)));
        Assert.Equal([0, 1, 0, 0], await Score(new GoldReward(new GoldRewardOptions { Feature = GoldFeatures.AgreesWithHint }, task)));
        Assert.Equal([1, 0, 0, 1], await Score(new GoldReward(new GoldRewardOptions { Feature = GoldFeatures.Confident }, task)));
        Assert.Equal([48, 4, 21, 16], await Score(new GoldReward(new GoldRewardOptions { Feature = GoldFeatures.Length }, task)));

        var unknown = new GoldReward(new GoldRewardOptions { Feature = "politeness" }, task);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Score(unknown));
        Assert.Contains("does not label 'politeness'", error.Message, StringComparison.Ordinal);
        Assert.Contains(GoldFeatures.AgreesWithHint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gold_refuses_a_task_without_a_gold_evaluator()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new GoldReward(new GoldRewardOptions(), new TaskWithoutTruth()));
        Assert.Contains("needs a task with a gold evaluator", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TaskWithoutTruth), error.Message, StringComparison.Ordinal);
    }

    private sealed class TaskWithoutTruth : ITask
    {
        public IReadOnlyList<string> Splits => [TaskSplits.Train];
        public IReadOnlyList<Prompt> GetPrompts(string split) => [Prompt];
        public IGoldEvaluator? Gold => null;
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => [];
    }
}

/// <summary>Equality of doubles within an absolute tolerance.</summary>
internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(double obj) => 0;
}
