using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;
using AlignFx.RewardModels.Composed;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.RewardModels.Tests.Composed;

/// <summary>
/// Linear and Tchebycheff scalarisation: reference values, and the classic result that on a non-convex Pareto front
/// linear weights reach only the extremes while Tchebycheff weights reach every point.
/// </summary>
public sealed class MultiObjectiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>K points on x^p + y^p = 1 (p &lt; 1: the front bows in towards the origin, so it is non-convex), from (0, 1) to (1, 0).</summary>
    private static (double X, double Y)[] Front(double p, int k = 21) =>
        [.. Enumerable.Range(0, k).Select(i =>
        {
            double x = (double)i / (k - 1);
            return (x, Math.Pow(1 - Math.Pow(x, p), 1 / p));
        })];

    private static MultiObjectiveReward TwoObjectives(IComponentFactory factory, Scalarisation scalarisation, double wx, double wy, double augmentation = 0) =>
        new(new MultiObjectiveOptions
        {
            Scalarisation = scalarisation,
            Augmentation = augmentation,
            Objectives =
            [
                new() { Name = "x", Reward = new ComponentRef { Name = "x" }, Weight = wx, Ideal = 1 },
                new() { Name = "y", Reward = new ComponentRef { Name = "y" }, Weight = wy, Ideal = 1 },
            ],
        }, factory);

    private static int Choice(IComponentFactory factory, Response[] responses, Scalarisation scalarisation, double wx, double wy) =>
        Candidates.ArgMax(TwoObjectives(factory, scalarisation, wx, wy).ScoreAsync(responses, CancellationToken.None).GetAwaiter().GetResult());

    [Fact]
    public async Task Scores_match_hand_computed_linear_and_tchebycheff_values_after_normalisation()
    {
        var (responses, factory) = Candidates.Of([(0.5, -2), (1, 0), (0, 4)]);
        List<WeightedObjectiveOptions> Objectives() =>
        [
            new() { Name = "x", Reward = new ComponentRef { Name = "x" }, Weight = 2, Ideal = 1 },
            new() { Name = "y", Reward = new ComponentRef { Name = "y" }, Weight = 0.5, Ideal = 0, Offset = -4, Scale = 2 },
        ];
        // Normalised y = (y + 4)/2: 1, 2, 4.
        var linear = new MultiObjectiveReward(new MultiObjectiveOptions { Objectives = Objectives() }, factory);
        Assert.Equal([2 * 0.5 + (0.5 * 1), 2 + (0.5 * 2), 0 + (0.5 * 4)], await linear.ScoreAsync(responses, Ct));
        var tchebycheff = new MultiObjectiveReward(new MultiObjectiveOptions { Objectives = Objectives(), Scalarisation = Scalarisation.Tchebycheff }, factory);
        // −max(2·|1 − x|, 0.5·|0 − ỹ|): −max(1, 0.5), −max(0, 1), −max(2, 2).
        Assert.Equal([-1, -1, -2], await tchebycheff.ScoreAsync(responses, Ct));
        var augmented = new MultiObjectiveReward(new MultiObjectiveOptions { Objectives = Objectives(), Scalarisation = Scalarisation.Tchebycheff, Augmentation = 0.1 }, factory);
        Assert.Equal([-1 + (0.1 * 1.5), -1 + (0.1 * 3), -2 + (0.1 * 2)], await augmented.ScoreAsync(responses, Ct), new ToleranceComparer(1e-12));

        // The objectives' values come back raw, by name, in order.
        Assert.Equal(["x", "y"], tchebycheff.Objectives);
        IReadOnlyDictionary<string, double[]> raw = await tchebycheff.ScoreObjectivesAsync(responses, Ct);
        Assert.Equal([0.5, 1, 0], raw["x"]);
        Assert.Equal([-2, 0, 4], raw["y"]);
    }

    [Fact]
    public async Task Each_nested_reward_scores_a_batch_once_whatever_is_asked_of_it()
    {
        var (responses, factory) = Candidates.Of(Front(0.5, 8));
        MultiObjectiveReward reward = TwoObjectives(factory, Scalarisation.Linear, 1, 1);
        var x = (StubReward)factory.Create<IRewardModel>(new ComponentRef { Name = "x" });

        await reward.ScoreAsync(responses, Ct);
        (await reward.ScoreObjectivesAsync(responses, Ct))["x"][0] = 99; // callers get copies
        await reward.ScoreAsync(responses, Ct);
        Assert.Equal((1, 8), (x.Calls, x.Scored));
        Assert.Equal(0, (await reward.ScoreObjectivesAsync(responses, Ct))["x"][0]);

        // Another batch (even of equal texts) is scored anew, in one call.
        Response[] again = [.. responses.Select(r => r with { })];
        await reward.ScoreAsync(again, Ct);
        Assert.Equal((2, 16), (x.Calls, x.Scored));
    }

    [Fact]
    public void On_a_non_convex_front_linear_weights_reach_only_the_extremes_and_tchebycheff_weights_reach_every_point()
    {
        (double X, double Y)[] front = Front(0.5);
        var (responses, factory) = Candidates.Of(front);
        var linear = new HashSet<int>();
        var tchebycheff = new HashSet<int>();
        for (int i = 0; i <= 2000; i++)
        {
            double w = i / 2000.0;
            linear.Add(Choice(factory, responses, Scalarisation.Linear, w, 1 - w));
            tchebycheff.Add(Choice(factory, responses, Scalarisation.Tchebycheff, w, 1 - w));
        }

        Assert.Equal([0, front.Length - 1], linear.Order());
        Assert.Equal(Enumerable.Range(0, front.Length), tchebycheff.Order());
        // Equal weights pick the middle of the front, (0.25, 0.25), which no weighted sum ever prefers.
        Assert.Equal(5, Choice(factory, responses, Scalarisation.Tchebycheff, 0.5, 0.5));
        Assert.Equal((0.25, 0.25), (front[5].X, Math.Round(front[5].Y, 12)));
    }

    [Fact]
    public void Linear_scalarisation_never_picks_an_interior_point_of_a_non_convex_front()
    {
        Gen<(double P, double W)> cases =
            from p in Gen.Choose(10, 95).Select(n => n / 100.0)
            from w in Gen.Choose(0, 1000).Select(n => n / 1000.0)
            select (p, w);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (double X, double Y)[] front = Front(c.P);
            var (responses, factory) = Candidates.Of(front);
            int chosen = Choice(factory, responses, Scalarisation.Linear, c.W, 1 - c.W);
            return chosen == 0 || chosen == front.Length - 1;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Tchebycheff_with_weights_inverse_to_the_gap_from_the_ideal_picks_exactly_that_point()
    {
        Gen<(double P, int Index)> cases =
            from p in Gen.Choose(20, 95).Select(n => n / 100.0)
            from index in Gen.Choose(1, 19)
            select (p, index);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (double X, double Y)[] front = Front(c.P);
            var (responses, factory) = Candidates.Of(front);
            (double x, double y) = front[c.Index];
            // w_i ∝ 1/(z_i* − R_i) makes every objective's weighted gap equal at the target: no other point beats it.
            double wx = 1 / (1 - x), wy = 1 / (1 - y);
            return Choice(factory, responses, Scalarisation.Tchebycheff, wx / (wx + wy), wy / (wx + wy)) == c.Index;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Augmented_tchebycheff_always_picks_a_pareto_optimal_candidate()
    {
        Gen<(double X, double Y)[]> points = Gen.Choose(0, 100).Two().Select(t => (t.Item1 / 10.0, t.Item2 / 10.0)).ArrayOf().Where(a => a.Length > 0);
        Gen<((double X, double Y)[] Points, double W)> cases =
            from ps in points
            from w in Gen.Choose(1, 999).Select(n => n / 1000.0)
            select (ps, w);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            double[] ideal = [c.Points.Max(p => p.X), c.Points.Max(p => p.Y)];
            double[] weights = [c.W, 1 - c.W];
            int chosen = Candidates.ArgMax([.. c.Points.Select(p => Scalarise.Tchebycheff([p.X, p.Y], weights, ideal, augmentation: 0.001))]);
            (double x, double y) = c.Points[chosen];
            bool dominated = c.Points.Any(q => q.X >= x && q.Y >= y && (q.X > x || q.Y > y));
            return !dominated;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Tchebycheff_needs_every_ideal_value_and_objective_names_must_be_unique()
    {
        var options = new MultiObjectiveOptions
        {
            Scalarisation = Scalarisation.Tchebycheff,
            Objectives =
            [
                new() { Name = "x", Reward = new ComponentRef { Name = "x" } },
                new() { Name = "x", Reward = new ComponentRef { Name = "y" }, Ideal = 1 },
            ],
        };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();
        Assert.Equal(
            ["names the objective 'x' twice; objective names must be unique", "objective 'x' needs an 'ideal' value (z*) for Tchebycheff scalarisation"],
            errors);
    }
}
