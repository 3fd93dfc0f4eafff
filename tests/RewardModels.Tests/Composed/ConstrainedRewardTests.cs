using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;
using AlignFx.RewardModels.Composed;

namespace AlignFx.RewardModels.Tests.Composed;

/// <summary>
/// The constrained reward's Lagrangian, and the dual-ascent update optimisers apply to its multipliers
/// (<see cref="RewardConstraint.UpdateMultiplier"/>) on a toy problem whose answer is known.
/// </summary>
public sealed class ConstrainedRewardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Prompt Prompt = new("p", "2*3=?");

    /// <summary>Responses "0", "1", ... and rewards "r", "c1", "c2" reading each response's row of the table.</summary>
    private static (Response[] Responses, ConstrainedReward Reward) Build(double[][] table, double threshold1 = 0.3, double lambda1 = 0, double lambda2 = 0)
    {
        Response[] responses = [.. table.Select((_, i) => new Response(Prompt, i.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        double[] Row(Response r) => table[int.Parse(r.Text, System.Globalization.CultureInfo.InvariantCulture)];
        var factory = new StubFactory(new Dictionary<string, IRewardModel>
        {
            ["r"] = new StubReward(r => Row(r)[0]),
            ["c1"] = new StubReward(r => Row(r)[1]),
            ["c2"] = new StubReward(r => Row(r)[2]),
        });
        var options = new ConstrainedRewardOptions
        {
            Objective = new PrimaryObjectiveOptions { Name = "helpful", Reward = new ComponentRef { Name = "r" } },
            Constraints =
            [
                new() { Name = "harm", Reward = new ComponentRef { Name = "c1" }, Threshold = threshold1, InitialMultiplier = lambda1 },
                new() { Name = "length", Reward = new ComponentRef { Name = "c2" }, Threshold = 10, InitialMultiplier = lambda2 },
            ],
        };
        return (responses, new ConstrainedReward(options, factory));
    }

    [Fact]
    public async Task The_score_is_the_objective_less_each_multiplier_times_its_cost()
    {
        var (responses, reward) = Build([[1, 0.9, 12], [0.8, 0.3, 4], [0.3, 0, 0]], lambda1: 0.5, lambda2: 2);

        Assert.Equal(["helpful", "harm", "length"], reward.Objectives);
        Assert.Equal(["harm", "length"], reward.Constraints.Select(c => c.Objective));
        Assert.Equal([0.3, 10], reward.Constraints.Select(c => c.Threshold));
        // R − 0.5·C1 − 2·C2.
        Assert.Equal([1 - 0.45 - 24, 0.8 - 0.15 - 8, 0.3], await reward.ScoreAsync(responses, Ct), new ToleranceComparer(1e-12));

        // The score follows the multipliers as they are now; the raw values do not depend on them.
        reward.Constraints[0].Multiplier = 0;
        reward.Constraints[1].Multiplier = 0.25;
        Assert.Equal([1 - 3, 0.8 - 1, 0.3], await reward.ScoreAsync(responses, Ct), new ToleranceComparer(1e-12));
        IReadOnlyDictionary<string, double[]> raw = await reward.ScoreObjectivesAsync(responses, Ct);
        Assert.Equal([1, 0.8, 0.3], raw["helpful"]);
        Assert.Equal([0.9, 0.3, 0], raw["harm"]);
        Assert.Equal([12, 4, 0], raw["length"]);
    }

    [Fact]
    public void The_dual_step_rises_while_the_constraint_is_violated_and_never_goes_below_zero()
    {
        var constraint = new RewardConstraint("harm", threshold: 0.3, multiplier: 1);
        Assert.Equal(1 + (0.5 * 0.2), constraint.UpdateMultiplier(meanValue: 0.5, learningRate: 0.5), 12);
        Assert.Equal(1.1 - (0.5 * 0.1), constraint.UpdateMultiplier(meanValue: 0.2, learningRate: 0.5), 12);
        Assert.Equal(0, constraint.UpdateMultiplier(meanValue: -10, learningRate: 0.5));
        Assert.Equal(0, constraint.Multiplier);
        Assert.Equal(0, constraint.UpdateMultiplier(meanValue: 0.3, learningRate: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => constraint.UpdateMultiplier(0.5, -1));
    }

    /// <summary>
    /// A softmax policy over three candidates (R, C) = A (1.0, 0.9), B (0.8, 0.3), C (0.3, 0.0) with E[C] ≤ 0.3.
    /// A is best but infeasible; B is the best feasible point (and, on the concave hull of the candidates, the
    /// optimum over mixtures too). Primal-dual: the policy ascends the exact gradient of E[R − λC] (the reward's
    /// score), λ takes the dual step on E[C]. Without the constraint the policy goes to A.
    /// </summary>
    [Fact]
    public async Task Dual_ascent_on_a_toy_problem_converges_to_the_best_feasible_point()
    {
        double[][] table = [[1.0, 0.9, 0], [0.8, 0.3, 0], [0.3, 0.0, 0]];
        const double threshold = 0.3, dualRate = 0.2, policyRate = 2;

        async Task<(double[] Policy, double Lambda, List<(double Lambda, double MeanCost)> Trace)> Solve(bool constrained)
        {
            var (responses, reward) = Build(table, threshold);
            RewardConstraint harm = reward.Constraints[0];
            double[] logits = new double[3];
            var trace = new List<(double, double)>();
            for (int step = 0; step < 1500; step++)
            {
                double[] policy = Softmax(logits);
                IReadOnlyList<double> lagrangian = await reward.ScoreAsync(responses, Ct);
                double[] cost = (await reward.ScoreObjectivesAsync(responses, Ct))["harm"];
                double expected = policy.Zip(lagrangian, (p, l) => p * l).Sum();
                for (int k = 0; k < logits.Length; k++)
                {
                    logits[k] += policyRate * policy[k] * (lagrangian[k] - expected);
                }
                double meanCost = policy.Zip(cost, (p, c) => p * c).Sum();
                trace.Add((harm.Multiplier, meanCost));
                if (constrained)
                {
                    harm.UpdateMultiplier(meanCost, dualRate);
                }
            }
            return (Softmax(logits), harm.Multiplier, trace);
        }

        var (final, lambda, steps) = await Solve(constrained: true);
        Assert.True(final[1] > 0.99, $"π = [{string.Join(", ", final)}]");
        Assert.Equal(threshold, final.Zip(table, (p, row) => p * row[1]).Sum(), 0.01);
        // λ settles where B beats both neighbours: R − λC larger for B than for A (λ > 1/3) and than for C (λ < 5/3).
        Assert.InRange(lambda, 1 / 3.0, 5 / 3.0);
        // While the uniform start violates the constraint (E[C] = 0.4), λ climbs every step.
        Assert.True(steps[0].MeanCost > threshold);
        int violated = steps.FindIndex(s => s.MeanCost <= threshold);
        Assert.True(violated > 1);
        for (int i = 1; i < violated; i++)
        {
            Assert.True(steps[i].Lambda > steps[i - 1].Lambda);
        }

        var (unconstrained, zero, _) = await Solve(constrained: false);
        Assert.Equal(0, zero);
        Assert.True(unconstrained[0] > 0.99, $"π = [{string.Join(", ", unconstrained)}]");
    }

    [Fact]
    public void Objective_and_constraint_names_must_be_unique()
    {
        var options = new ConstrainedRewardOptions
        {
            Objective = new PrimaryObjectiveOptions { Name = "harm", Reward = new ComponentRef { Name = "r" } },
            Constraints = [new() { Name = "harm", Reward = new ComponentRef { Name = "c1" } }],
        };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage);
        Assert.Equal(["names the objective 'harm' twice; the objective's and the constraints' names must be unique"], errors);
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        double[] e = [.. logits.Select(l => Math.Exp(l - max))];
        double sum = e.Sum();
        return [.. e.Select(x => x / sum)];
    }
}
