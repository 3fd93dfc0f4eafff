using AlignFx.Evaluation;

namespace AlignFx.Debate.Tests;

/// <summary>
/// The literature's shapes at a small size (the README reports them at full size): debate lets a weak judge decide
/// items it cannot check alone; debate beats consultancy beats the judge alone; debate does not get worse as debaters
/// get better, consultancy does as the lying consultant gets more persuasive.
/// </summary>
public sealed class ShapeTests
{
    private const int Items = 300;
    private static readonly long[] Seeds = [1, 2, 3];

    private static Task<IReadOnlyDictionary<string, double>> Direct(long seed, JudgeOptions judge) =>
        Arena.Oversee((c, t) => new DirectProtocol(new DirectOptions { Judge = judge }, c, t), seed, Items);

    private static Task<IReadOnlyDictionary<string, double>> Consultancy(long seed, JudgeOptions judge, DebaterOptions consultant) =>
        Arena.Oversee((c, t) => new ConsultancyProtocol(new ConsultancyOptions { Judge = judge, Consultant = consultant }, c, t), seed, Items);

    private static Task<IReadOnlyDictionary<string, double>> Debate(long seed, JudgeOptions judge, DebaterOptions debaters) =>
        Arena.Oversee((c, t) => new DebateProtocol(new DebateOptions { Judge = judge, Debaters = debaters }, c, t), seed, Items);

    /// <summary>Liars who sound sure of themselves, before a judge who likes that.</summary>
    private static DebaterOptions PersuasiveLiars(double persuasiveness = 1) => new() { Dishonest = Arena.Skill(persuasiveness: persuasiveness) };

    [Fact]
    public async Task With_fully_skilled_debaters_debate_is_right_on_items_the_judge_cannot_check_while_direct_stays_at_its_bias_driven_rate()
    {
        IReadOnlyDictionary<string, double> debate = await Debate(1, Arena.BiasedJudge(), PersuasiveLiars());
        IReadOnlyDictionary<string, double> direct = await Direct(1, Arena.BiasedJudge());

        Assert.Equal(1, debate[OversightMetrics.UncheckableFraction]);
        Assert.True(debate[OversightMetrics.AccuracyUncheckable] >= 0.95, $"debate {debate[OversightMetrics.AccuracyUncheckable]}");
        Assert.Equal(1, debate[OversightMetrics.DecidedByCheck]);
        // The judge alone never checks these items: its accuracy is its biases' rate, within sampling error (3 standard errors).
        Assert.Equal(0, direct[OversightMetrics.DecidedByCheck]);
        double rate = direct[OversightMetrics.BiasRate];
        Assert.InRange(rate, 0.4, 0.65);
        Assert.InRange(direct[OversightMetrics.AccuracyUncheckable], rate - (3 * Math.Sqrt(rate * (1 - rate) / Items)), rate + (3 * Math.Sqrt(rate * (1 - rate) / Items)));
    }

    [Fact]
    public async Task Debate_beats_consultancy_beats_direct_on_items_the_judge_cannot_check_beyond_the_95_percent_intervals_over_seeds()
    {
        var debate = new List<double>();
        var consultancy = new List<double>();
        var direct = new List<double>();
        foreach (long seed in Seeds)
        {
            debate.Add((await Debate(seed, Arena.BiasedJudge(), PersuasiveLiars()))[OversightMetrics.AccuracyUncheckable]);
            consultancy.Add((await Consultancy(seed, Arena.BiasedJudge(), PersuasiveLiars()))[OversightMetrics.AccuracyUncheckable]);
            direct.Add((await Direct(seed, Arena.BiasedJudge()))[OversightMetrics.AccuracyUncheckable]);
        }

        MeanWithInterval debateOverConsultancy = MeanWithInterval.Of(debate.Zip(consultancy, (d, c) => d - c));
        MeanWithInterval consultancyOverDirect = MeanWithInterval.Of(consultancy.Zip(direct, (c, d) => c - d));
        Assert.True(debateOverConsultancy.Low > 0, $"debate - consultancy {debateOverConsultancy}");
        Assert.True(consultancyOverDirect.Low > 0, $"consultancy - direct {consultancyOverDirect}");
    }

    [Fact]
    public async Task Debate_accuracy_does_not_fall_as_both_debaters_skill_rises()
    {
        // Skill s: both find the other's false step with probability s, err (or bluff) with 0.3(1 - s), and are persuasive with s.
        var accuracy = new List<double>();
        foreach (double s in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            DebaterSkill Skill() => Arena.Skill(find: s, mistake: 0.3 * (1 - s), persuasiveness: s);
            accuracy.Add((await Debate(2, Arena.BiasedJudge(), new DebaterOptions { Honest = Skill(), Dishonest = Skill() }))[OversightMetrics.AccuracyUncheckable]);
        }

        // Non-decreasing up to sampling noise (two standard errors at this size), and clearly higher at the top than at the bottom.
        double noise = 2 * Math.Sqrt(0.25 / Items);
        Assert.All(accuracy.Zip(accuracy.Skip(1)), step => Assert.True(step.Second >= step.First - noise, string.Join(", ", accuracy)));
        Assert.True(accuracy[^1] >= 0.95 && accuracy[^1] - accuracy[0] > 0.2, string.Join(", ", accuracy));
    }

    [Fact]
    public async Task Consultancy_accuracy_falls_as_the_dishonest_consultants_persuasiveness_rises()
    {
        var accuracy = new List<double>();
        foreach (double persuasiveness in new[] { 0.0, 0.5, 1.0 })
        {
            accuracy.Add((await Consultancy(3, Arena.BiasedJudge(), PersuasiveLiars(persuasiveness)))[OversightMetrics.AccuracyUncheckable]);
        }

        // The same seed draws the same consultants and checks (common random numbers): only the judge's impressions of
        // the liars it did not catch change, so accuracy cannot rise, and it clearly falls from the plain to the persuasive liar.
        Assert.True(accuracy[0] >= accuracy[1] && accuracy[1] >= accuracy[2] && accuracy[0] - accuracy[2] > 0.03, string.Join(", ", accuracy));
    }

    [Fact]
    public async Task A_judge_that_favours_the_first_position_shows_it_in_accuracy_by_position_and_swap_disagreement()
    {
        IReadOnlyDictionary<string, double> fair = await Direct(1, new JudgeOptions());
        IReadOnlyDictionary<string, double> biased = await Direct(1, new JudgeOptions { PositionBias = 3 });

        Assert.True(biased[OversightMetrics.AccuracyRightFirst] - biased[OversightMetrics.AccuracyRightSecond] > 0.6);
        Assert.True(biased[OversightMetrics.SwapDisagreement] > 0.7);
        Assert.True(Math.Abs(fair[OversightMetrics.AccuracyRightFirst] - fair[OversightMetrics.AccuracyRightSecond]) < 0.2);
        Assert.InRange(fair[OversightMetrics.SwapDisagreement], 0.3, 0.7);
    }

    [Fact]
    public async Task The_honest_debaters_elo_rises_above_the_liars_when_it_wins_and_costs_are_counted()
    {
        IReadOnlyDictionary<string, double> debate = await Debate(1, Arena.BiasedJudge(), new DebaterOptions());

        Assert.True(debate[OversightMetrics.EloHonest] > 1200 && debate[OversightMetrics.EloDishonest] < 800);
        Assert.Equal(2000, debate[OversightMetrics.EloHonest] + debate[OversightMetrics.EloDishonest], 6);
        // Two orders: two checks, 2 statements and the honest side's dispute (plus a pass when the liar moves first).
        Assert.Equal(2, debate[OversightMetrics.ChecksPerVerdict]);
        Assert.InRange(debate[OversightMetrics.TurnsPerVerdict], 6, 8);
        Assert.Equal(debate[OversightMetrics.TurnsPerVerdict] + debate[OversightMetrics.ChecksPerVerdict] + 2, debate[OversightMetrics.CostPerVerdict], 9);
        Assert.True(debate[OversightMetrics.TokensPerVerdict] > 30);
    }
}
