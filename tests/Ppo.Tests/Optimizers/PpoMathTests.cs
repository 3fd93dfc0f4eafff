using AlignFx.Evaluation;
using AlignFx.Tensors;
using FsCheck;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.Ppo.Tests.Optimizers;

public sealed class PpoMathTests
{
    [Fact]
    public void The_adaptive_controller_multiplies_by_the_documented_factor()
    {
        // KL 12 against target 6 is clipped to +0.2; 512 sequences over a horizon of 10,000: 1 + 0.2 * 0.0512.
        var controller = new AdaptiveKlController(0.2, 6, 10_000);
        Assert.Equal(1.01024, controller.Multiplier(12, 512), 12);
        controller.Update(12, 512);
        Assert.Equal(0.2 * 1.01024, controller.Value, 12);
        // Below target the error is −0.5 → clipped to −0.2; at target nothing changes.
        Assert.Equal(1 - (0.2 * 64 / 10_000.0), controller.Multiplier(3, 64), 12);
        Assert.Equal(1.0, controller.Multiplier(6, 64), 12);
        var fixedController = new FixedKlController(0.3);
        fixedController.Update(100, 100);
        Assert.Equal(0.3, fixedController.Value);
    }

    [Fact]
    public void Gae_matches_the_sum_of_discounted_td_errors_and_the_monte_carlo_return_at_lambda_one()
    {
        var random = new Random(5);
        int b = 3, n = 7;
        var rewards = new double[b, n];
        var values = new double[b, n];
        for (int i = 0; i < b; i++)
        {
            for (int t = 0; t < n; t++)
            {
                rewards[i, t] = random.NextDouble() - 0.5;
                values[i, t] = random.NextDouble();
            }
        }
        const double gamma = 0.9, lambda = 0.8;
        var (advantagesT, returnsT) = PpoMath.Gae(tensor(rewards), tensor(values), gamma, lambda);
        double[,] advantages = Matrix(advantagesT), returns = Matrix(returnsT);
        for (int i = 0; i < b; i++)
        {
            for (int t = 0; t < n; t++)
            {
                // A_t = Σ_l (γλ)^l δ_{t+l}, δ_k = r_k + γ V_{k+1} − V_k, V_n = 0.
                double expected = 0;
                for (int k = t; k < n; k++)
                {
                    double next = k + 1 < n ? values[i, k + 1] : 0;
                    expected += Math.Pow(gamma * lambda, k - t) * (rewards[i, k] + (gamma * next) - values[i, k]);
                }
                Assert.Equal(expected, advantages[i, t], 12);
                Assert.Equal(expected + values[i, t], returns[i, t], 12);
            }
        }
        // λ = 1: the return is the discounted Monte-Carlo return, whatever the values.
        double[,] mc = Matrix(PpoMath.Gae(tensor(rewards), tensor(values), gamma, 1.0).Returns);
        for (int t = 0; t < n; t++)
        {
            double expected = 0;
            for (int k = t; k < n; k++)
            {
                expected += Math.Pow(gamma, k - t) * rewards[1, k];
            }
            Assert.Equal(expected, mc[1, t], 12);
        }
    }

    [Fact]
    public void K1_and_k3_estimators_have_their_closed_form_values()
    {
        double logp = Math.Log(0.5), refLogp = Math.Log(0.25);
        Assert.Equal(Math.Log(2), PpoMath.KlPerToken(logp, refLogp, KlEstimator.K1), 12);
        // r = 0.25 / 0.5 = 0.5: (0.5 − 1) − log 0.5 = 0.19314718...
        Assert.Equal(-0.5 + Math.Log(2), PpoMath.KlPerToken(logp, refLogp, KlEstimator.K3), 12);
        Assert.Equal(0, PpoMath.KlPerToken(logp, logp, KlEstimator.K3), 12);
        using var a = tensor(new[] { logp, refLogp }, [1, 2]);
        using var r = tensor(new[] { refLogp, logp }, [1, 2]);
        using var k3 = PpoMath.KlPerToken(a, r, KlEstimator.K3);
        double[] values = k3.ToArray<double>();
        Assert.Equal(PpoMath.KlPerToken(logp, refLogp, KlEstimator.K3), values[0], 12);
        Assert.Equal(PpoMath.KlPerToken(refLogp, logp, KlEstimator.K3), values[1], 12);
        Assert.All(values, v => Assert.True(v >= 0));
    }

    [Fact]
    public void The_clipped_losses_match_hand_computations()
    {
        // Ratios e^0.5 = 1.6487 (clipped to 1.2), e^−0.5 = 0.6065 (clipped to 0.8), 1; padding last.
        using var logp = tensor(new[] { 0.5, -0.5, 0.0, 9.0 }, [1, 4]);
        using var old = zeros([1, 4], ScalarType.Float64);
        using var adv = tensor(new[] { 1.0, 1.0, -2.0, 5.0 }, [1, 4]);
        using var mask = tensor(new[] { 1.0, 1.0, 1.0, 0.0 }, [1, 4]);
        var (loss, clipFraction, meanRatio) = PpoMath.PolicyLoss(logp, old, adv, mask, 0.2);
        // Token 1: max(−1.6487, −1.2) = −1.2 (clipped); token 2: max(−0.6065, −0.8) = −0.6065; token 3: max(2, 2) = 2.
        double expected = (-1.2 - Math.Exp(-0.5) + 2) / 3;
        Assert.Equal(expected, loss.item<double>(), 10);
        Assert.Equal(1 / 3.0, clipFraction, 10);
        Assert.Equal((Math.Exp(0.5) + Math.Exp(-0.5) + 1) / 3, meanRatio, 10);

        using var values = tensor(new[] { 1.0, 0.0, 0.5 }, [1, 3]);
        using var oldValues = tensor(new[] { 0.5, 0.0, 0.5 }, [1, 3]);
        using var returns = tensor(new[] { 2.0, 1.0, 0.0 }, [1, 3]);
        using var vmask = ones([1, 3], ScalarType.Float64);
        var (vloss, vclip) = PpoMath.ValueLoss(values, oldValues, returns, vmask, 0.2);
        // Token 1: clip(1, 0.3, 0.7) = 0.7; max((1−2)², (0.7−2)²) = 1.69 (clipped). Token 2: max(1, 1) = 1. Token 3: 0.25.
        Assert.Equal(0.5 * (1.69 + 1 + 0.25) / 3, vloss.item<double>(), 10);
        Assert.Equal(1 / 3.0, vclip, 10);
    }

    [Fact]
    public void The_policy_loss_gradient_matches_finite_differences()
    {
        double[] logpValues = [0.1, -0.3, 0.25, -0.05, 0.15, 0.0];
        double[] oldValues = [0.0, 0.0, 0.1, 0.0, -0.1, 0.0];
        double[] advValues = [1.0, -0.5, 0.7, -1.2, 0.3, 2.0];
        double[] maskValues = [1, 1, 1, 1, 1, 0];
        double Loss(double[] lp)
        {
            using var scope = NewDisposeScope();
            var (loss, _, _) = PpoMath.PolicyLoss(tensor(lp, [2, 3]), tensor(oldValues, [2, 3]), tensor(advValues, [2, 3]), tensor(maskValues, [2, 3]), 0.2);
            return loss.item<double>();
        }
        using var logp = tensor(logpValues, [2, 3]).requires_grad_();
        var (l, _, _) = PpoMath.PolicyLoss(logp, tensor(oldValues, [2, 3]), tensor(advValues, [2, 3]), tensor(maskValues, [2, 3]), 0.2);
        l.backward();
        double[] grad = logp.grad!.ToArray<double>();
        for (int i = 0; i < logpValues.Length; i++)
        {
            const double h = 1e-6;
            double[] up = [.. logpValues], down = [.. logpValues];
            up[i] += h;
            down[i] -= h;
            Assert.Equal((Loss(up) - Loss(down)) / (2 * h), grad[i], 6);
        }
        // A clipped token (index 4: ratio e^0.25 > 1.2 with A > 0) and padding (index 5) get no gradient.
        Assert.Equal(0, grad[4], 12);
        Assert.Equal(0, grad[5], 12);
    }

    [Fact]
    public void Whitening_gives_zero_mean_and_unit_variance_over_the_mask()
    {
        var x = tensor(new double[,] { { 1, 2, 3 }, { 4, 100, 0 } });
        var mask = tensor(new double[,] { { 1, 1, 1 }, { 1, 0, 0 } });
        double[,] white = Matrix(PpoMath.MaskedWhiten(x, mask));
        double[] kept = [white[0, 0], white[0, 1], white[0, 2], white[1, 0]];
        Assert.Equal(0, kept.Average(), 10);
        Assert.Equal(1, kept.Sum(v => v * v) / 3, 6); // unbiased variance
        Assert.Equal(0, white[1, 1]);
        // Keeping the mean (rewards): the same values shifted back by the masked mean, 2.5.
        double[,] kept2 = Matrix(PpoMath.MaskedWhiten(x, mask, shiftMean: false));
        Assert.Equal(white[0, 0] + 2.5, kept2[0, 0], 10);
        Assert.Equal(0, kept2[1, 2]);
    }

    [Property(MaxTest = 100)]
    public void Gae_and_whitening_on_tensors_match_the_former_double_precision_loops(int seed)
    {
        // The former host implementation (double loops over a right-padded batch), kept here as the reference.
        var random = new Random(seed);
        int b = random.Next(1, 9), n = random.Next(1, 25);
        var rewards = new double[b, n];
        var values = new double[b, n];
        var mask = new double[b, n];
        for (int i = 0; i < b; i++)
        {
            int length = random.Next(0, n + 1);
            for (int t = 0; t < length; t++)
            {
                mask[i, t] = 1;
                rewards[i, t] = (random.NextDouble() - 0.5) * 0.2;
                values[i, t] = (random.NextDouble() * 2) - 1;
            }
            if (length > 0)
            {
                rewards[i, length - 1] += (random.NextDouble() * 4) - 2;
            }
        }
        double gamma = random.Next(2) == 0 ? 1.0 : 0.95, lambda = random.Next(2) == 0 ? 0.95 : 1.0;
        double[,] whitenedRewards = (double[,])rewards.Clone();
        ReferenceWhiten(whitenedRewards, mask, shiftMean: false);
        var (advantages, returns) = ReferenceGae(whitenedRewards, values, gamma, lambda);
        double varianceExplained = ReferenceVarianceExplained(values, returns, mask);
        ReferenceWhiten(advantages, mask, shiftMean: true);

        using var scope = NewDisposeScope();
        // In float64, as PPO runs them: equal up to the order of double additions.
        Tensor maskT = tensor(mask), valuesT = tensor(values);
        Tensor rewardsT = PpoMath.MaskedWhiten(tensor(rewards), maskT, shiftMean: false);
        var (advantagesT, returnsT) = PpoMath.Gae(rewardsT, valuesT, gamma, lambda);
        double varianceExplainedT = PpoMath.VarianceExplained(valuesT, returnsT, maskT);
        advantagesT = PpoMath.MaskedWhiten(advantagesT, maskT);
        AssertClose(returns, Matrix(returnsT), 1e-12);
        AssertClose(advantages, Matrix(advantagesT), 1e-10);
        if (double.IsNaN(varianceExplained))
        {
            Assert.True(double.IsNaN(varianceExplainedT) || Math.Abs(varianceExplainedT) < 1e-9);
        }
        else
        {
            Assert.Equal(varianceExplained, varianceExplainedT, 1e-9);
        }
        // Cast to float32 as the update uses them: the same floats but for the rare value within a double rounding
        // of a float32 rounding boundary.
        float[] expectedFloats = [.. Cells(advantages).Select(c => (float)advantages[c.B, c.T])];
        float[] actualFloats = advantagesT.to(ScalarType.Float32).contiguous().ToArray<float>();
        Assert.True(expectedFloats.Zip(actualFloats).Count(p => p.First != p.Second) <= 1);
    }

    [Fact]
    public void Gae_refuses_inputs_of_different_shapes()
    {
        var error = Assert.Throws<ArgumentException>(() => PpoMath.Gae(zeros(2, 3), zeros(2, 4), 1, 0.95));
        Assert.Equal("GAE needs rewards and values of one [batch, tokens] shape; got [2, 3] and [2, 4].", error.Message);
    }

    private static void AssertClose(double[,] expected, double[,] actual, double tolerance)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
        {
            for (int t = 0; t < expected.GetLength(1); t++)
            {
                double scale = Math.Max(1, Math.Abs(expected[i, t]));
                Assert.True(Math.Abs(expected[i, t] - actual[i, t]) <= tolerance * scale,
                    $"[{i}, {t}]: expected {expected[i, t]}, got {actual[i, t]}");
            }
        }
    }

    private static double[,] Matrix(Tensor t)
    {
        int rows = (int)t.size(0), cols = (int)t.size(1);
        double[] flat = t.to(ScalarType.Float64).contiguous().ToArray<double>();
        var matrix = new double[rows, cols];
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(double));
        return matrix;
    }

    private static (double[,] Advantages, double[,] Returns) ReferenceGae(double[,] rewards, double[,] values, double gamma, double lambda)
    {
        int batch = rewards.GetLength(0), length = rewards.GetLength(1);
        var advantages = new double[batch, length];
        var returns = new double[batch, length];
        for (int b = 0; b < batch; b++)
        {
            double last = 0;
            for (int t = length - 1; t >= 0; t--)
            {
                double next = t < length - 1 ? values[b, t + 1] : 0;
                last = rewards[b, t] + (gamma * next) - values[b, t] + (gamma * lambda * last);
                advantages[b, t] = last;
                returns[b, t] = last + values[b, t];
            }
        }
        return (advantages, returns);
    }

    private static void ReferenceWhiten(double[,] values, double[,] mask, bool shiftMean)
    {
        var kept = Cells(values).Where(c => mask[c.B, c.T] != 0).Select(c => values[c.B, c.T]).ToList();
        if (kept.Count < 2)
        {
            foreach (var (b, t) in Cells(values).Where(c => mask[c.B, c.T] == 0))
            {
                values[b, t] = 0;
            }
            return;
        }
        double mean = kept.Average();
        double scale = 1 / Math.Sqrt((kept.Sum(v => (v - mean) * (v - mean)) / (kept.Count - 1)) + 1e-8);
        foreach (var (b, t) in Cells(values).ToList())
        {
            double white = (values[b, t] - mean) * scale;
            values[b, t] = mask[b, t] == 0 ? 0 : shiftMean ? white : white + mean;
        }
    }

    private static double ReferenceVarianceExplained(double[,] values, double[,] returns, double[,] mask)
    {
        var cells = Cells(values).Where(c => mask[c.B, c.T] != 0).ToList();
        double Variance(IReadOnlyList<double> xs) => xs.Count == 0 ? 0 : xs.Sum(x => (x - xs.Average()) * (x - xs.Average())) / xs.Count;
        double varReturns = Variance([.. cells.Select(c => returns[c.B, c.T])]);
        return varReturns == 0 ? double.NaN : 1 - (Variance([.. cells.Select(c => returns[c.B, c.T] - values[c.B, c.T])]) / varReturns);
    }

    private static IEnumerable<(int B, int T)> Cells(double[,] values) =>
        from b in Enumerable.Range(0, values.GetLength(0)) from t in Enumerable.Range(0, values.GetLength(1)) select (b, t);

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.193)]
    [InlineData(4, 0.636)]
    [InlineData(16, 1.835)]
    public void Best_of_n_kl_is_log_n_minus_n_minus_one_over_n(int n, double expected) =>
        Assert.Equal(expected, Overoptimisation.BestOfNKl(n), 3);

    [Fact]
    public void Running_moments_match_the_moments_of_all_values_seen()
    {
        var moments = new RunningMoments();
        double[] first = [1, 2, 3, 4], second = [10, -2, 0.5];
        moments.Update(first);
        moments.Update(second);
        double[] all = [.. first, .. second];
        double mean = all.Average();
        Assert.Equal(mean, moments.Mean, 12);
        Assert.Equal(Math.Sqrt(all.Sum(v => (v - mean) * (v - mean)) / (all.Length - 1)), moments.StdDev, 12);
    }
}
