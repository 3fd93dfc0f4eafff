using AlignFx.Evaluation;
using AlignFx.Tensors;
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
        var (advantages, returns) = PpoMath.Gae(rewards, values, gamma, lambda);
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
        var (_, mc) = PpoMath.Gae(rewards, values, gamma, 1.0);
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
        var x = new double[,] { { 1, 2, 3 }, { 4, 100, 0 } };
        var mask = new float[,] { { 1, 1, 1 }, { 1, 0, 0 } };
        PpoMath.MaskedWhiten(x, mask);
        double[] kept = [x[0, 0], x[0, 1], x[0, 2], x[1, 0]];
        Assert.Equal(0, kept.Average(), 10);
        Assert.Equal(1, kept.Sum(v => v * v) / 3, 6); // unbiased variance
        Assert.Equal(0, x[1, 1]);
    }

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
