using AlignFx.Tensors;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.RewardModels.Tests.Learned;

public sealed class LossTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void The_loss_equals_the_closed_form_mixture_cross_entropy(double epsilon)
    {
        double[] r1 = [0.3, -1.2, 2.5, 0.0, 7.0];
        double[] r2 = [-0.4, 0.8, 2.5, 1.1, -6.0];
        double[] y = [1, 0, 0.5, 0.7, 0];
        using var loss = BradleyTerryLoss.Compute(Tensor(r1), Tensor(r2), Tensor(y), epsilon);

        double expected = 0;
        for (int i = 0; i < r1.Length; i++)
        {
            double p = ((1 - epsilon) / (1 + Math.Exp(-(r1[i] - r2[i])))) + (epsilon / 2);
            expected -= (y[i] * Math.Log(p)) + ((1 - y[i]) * Math.Log(1 - p));
        }
        Assert.Equal(expected / r1.Length, loss.item<float>(), 5);
    }

    [Fact]
    public void The_head_gradient_matches_finite_differences()
    {
        // Rewards from a linear head on fixed features: the gradient of the loss in the head's weights.
        float[] features = [0.5f, -1f, 2f, 0.3f, -0.7f, 1.5f, 0.2f, 0.9f, -1.1f, 0.4f, 0.6f, -0.2f];
        float[] labels = [1f, 0.3f, 0f];
        double[] w = [0.2, -0.5];
        double Loss(double[] weights)
        {
            using var scope = NewDisposeScope();
            var x = tensor(features, [6, 2]).to(ScalarType.Float64);
            var weight = tensor(weights, [2, 1]);
            var r = x.matmul(weight).reshape(6);
            return BradleyTerryLoss.Compute(r.narrow(0, 0, 3), r.narrow(0, 3, 3), tensor(labels, [3]).to(ScalarType.Float64), 0.1).item<double>();
        }

        using var scope = NewDisposeScope();
        var wt = tensor(w, [2, 1]).requires_grad_();
        var rewards = tensor(features, [6, 2]).to(ScalarType.Float64).matmul(wt).reshape(6);
        BradleyTerryLoss.Compute(rewards.narrow(0, 0, 3), rewards.narrow(0, 3, 3), tensor(labels, [3]).to(ScalarType.Float64), 0.1).backward();
        double[] analytic = wt.grad!.ToArray<double>();
        for (int j = 0; j < w.Length; j++)
        {
            const double h = 1e-6;
            double[] plus = [.. w], minus = [.. w];
            plus[j] += h;
            minus[j] -= h;
            Assert.Equal((Loss(plus) - Loss(minus)) / (2 * h), analytic[j], 6);
        }
    }

    [Fact]
    public void Calibration_error_and_correlation_match_hand_computed_values()
    {
        // Bins of width 0.5: {0.1, 0.3} with outcomes {0, 1}: |0.2 − 0.5| = 0.3; {0.8, 0.9} with {1, 1}: |0.85 − 1| = 0.15.
        double ece = RewardEvaluation.ExpectedCalibrationError([0.1, 0.3, 0.8, 0.9], [0, 1, 1, 1], 2);
        Assert.Equal(((2 * 0.3) + (2 * 0.15)) / 4, ece, 12);
        Assert.Equal(1, RewardEvaluation.Pearson([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(-1, RewardEvaluation.Pearson([1, 2, 3], [3, 2, 1]), 12);
        Assert.True(double.IsNaN(RewardEvaluation.Pearson([1, 1, 1], [3, 2, 1])));
    }

    [Fact]
    public void Ensemble_aggregations_are_the_mean_the_minimum_and_the_variance_penalised_mean()
    {
        double[][] scores = [[1, 0], [3, 0], [2, 3]];
        Assert.Equal([2, 1], EnsembleRewardModel.Aggregate(scores, EnsembleAggregation.Mean, 0));
        Assert.Equal([1, 0], EnsembleRewardModel.Aggregate(scores, EnsembleAggregation.WorstCase, 0));
        // Variances 2/3 and 2: mean − 0.5·variance.
        double[] uwo = EnsembleRewardModel.Aggregate(scores, EnsembleAggregation.UncertaintyWeighted, 0.5);
        Assert.Equal(2 - (0.5 * 2.0 / 3), uwo[0], 12);
        Assert.Equal(1 - (0.5 * 2), uwo[1], 12);
    }

    [Fact]
    public void The_best_of_n_estimator_is_exact_on_a_small_case()
    {
        // Proxy ranks 0..3 ascending with gold values; brute force over all 2-subsets of 4.
        double[] gold = [0.0, 1.0, 0.0, 1.0];
        double expected = 0;
        int subsets = 0;
        for (int a = 0; a < 4; a++)
        {
            for (int b = a + 1; b < 4; b++)
            {
                expected += gold[Math.Max(a, b)];
                subsets++;
            }
        }
        Assert.Equal(expected / subsets, BestOfN.Expected(gold, 2), 12);
        Assert.Equal(gold.Average(), BestOfN.Expected(gold, 1), 12);
        Assert.Equal(1.0, BestOfN.Expected(gold, 4), 12);
    }

    private static Tensor Tensor(double[] values) => tensor(values, [values.Length]);
}

/// <summary>The unbiased best-of-n estimator (Nakano et al. 2021; Gao et al. 2022).</summary>
internal static class BestOfN
{
    /// <summary>
    /// The expected gold value of the proxy's best of a random n-subset of N samples, given the samples' gold values
    /// sorted by ascending proxy score: the item of rank i is the subset's maximum with probability C(i, n−1)/C(N, n).
    /// </summary>
    public static double Expected(IReadOnlyList<double> goldByAscendingProxy, int n)
    {
        int total = goldByAscendingProxy.Count;
        double logDenominator = LogChoose(total, n);
        double sum = 0;
        for (int i = n - 1; i < total; i++)
        {
            sum += Math.Exp(LogChoose(i, n - 1) - logDenominator) * goldByAscendingProxy[i];
        }
        return sum;
    }

    private static double LogChoose(int n, int k)
    {
        double result = 0;
        for (int j = 1; j <= k; j++)
        {
            result += Math.Log(n - k + j) - Math.Log(j);
        }
        return result;
    }
}

public sealed class LikelihoodFeatureTests
{
    [Fact]
    public void Likelihood_features_are_the_totals_and_the_largest_excess_surprisal_over_unmasked_tokens()
    {
        // Three tokens and one padding position: log-probabilities, the policy's entropy at each step, the mask.
        float[] features = Features([-0.1f, -2.0f, -0.5f, 0f], [0.3f, 0.2f, 1.5f, 0.7f], [1f, 1f, 1f, 0f]);

        // Excess surprisal −log π − H per token: −0.2, 1.8, −1.0 (the padding's 0 − 0.7 must not count).
        Assert.Equal([-0.26f, -2.6f / 3, -0.06f, -1.8f], features, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void A_surprising_token_where_the_policy_was_sure_costs_more_than_one_where_it_was_unsure()
    {
        // Same log-probability of the response; the wrong digit is surprising at a low-entropy step in the first.
        float[] mask = [1f, 1f];
        float[] sureAndWrong = Features([-0.2f, -3f], [0.2f, 0.1f], mask);
        float[] unsureStyle = Features([-3f, -0.2f], [2.5f, 0.1f], mask);

        Assert.Equal(sureAndWrong[0], unsureStyle[0]);
        Assert.True(sureAndWrong[2] < unsureStyle[2]);
        Assert.True(sureAndWrong[3] < unsureStyle[3]);
    }

    [Property(MaxTest = 100)]
    public void A_batch_of_right_padded_rows_gives_the_features_of_the_former_per_row_double_loop(int seed)
    {
        var random = new Random(seed);
        int rows = random.Next(1, 7), width = random.Next(1, 20);
        var logProbs = new float[rows * width];
        var entropy = new float[rows * width];
        var mask = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            int length = random.Next(0, width + 1);
            for (int t = 0; t < width; t++)
            {
                logProbs[(r * width) + t] = (float)(-random.NextDouble() * 5);
                entropy[(r * width) + t] = (float)(random.NextDouble() * 3);
                mask[(r * width) + t] = t < length ? 1 : 0;
            }
        }
        using var scope = NewDisposeScope();
        float[] actual = BradleyTerryRewardModel.LikelihoodFeatures(
            tensor(logProbs, [rows, width]), tensor(entropy, [rows, width]), tensor(mask, [rows, width])).ToArray<float>();
        int differing = 0;
        for (int r = 0; r < rows; r++)
        {
            float[] expected = ReferenceFeatures(logProbs.AsSpan(r * width, width), entropy.AsSpan(r * width, width), mask.AsSpan(r * width, width));
            for (int f = 0; f < 4; f++)
            {
                float got = actual[(r * 4) + f];
                Assert.True(Math.Abs(expected[f] - got) <= 1e-6f * Math.Max(1, Math.Abs(expected[f])), $"row {r} feature {f}: {expected[f]} vs {got}");
                differing += BitConverter.SingleToInt32Bits(expected[f]) == BitConverter.SingleToInt32Bits(got) ? 0 : 1;
            }
        }
        // The sums run in float64 in another order: the floats (signed zeros of empty rows included) agree bit for bit
        // but for the rare sum within a double rounding of a float32 rounding boundary.
        Assert.True(differing <= 1, $"{differing} features differ in their bits");
    }

    private static float[] Features(float[] logProbs, float[] entropy, float[] mask)
    {
        using var scope = NewDisposeScope();
        long[] shape = [1, logProbs.Length];
        return BradleyTerryRewardModel.LikelihoodFeatures(tensor(logProbs, shape), tensor(entropy, shape), tensor(mask, shape)).ToArray<float>();
    }

    /// <summary>The former host implementation, one row at a time in double precision: the reference.</summary>
    private static float[] ReferenceFeatures(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> entropy, ReadOnlySpan<float> mask)
    {
        double total = 0, excess = 0, largestExcess = 0;
        int count = 0;
        for (int t = 0; t < logProbs.Length; t++)
        {
            if (mask[t] == 0)
            {
                continue;
            }
            double tokenExcess = -logProbs[t] - entropy[t];
            largestExcess = count == 0 ? tokenExcess : Math.Max(largestExcess, tokenExcess);
            total += logProbs[t];
            excess += tokenExcess;
            count++;
        }
        return [(float)(total / 10), (float)(total / Math.Max(1, count)), (float)(-excess / 10), (float)-largestExcess];
    }
}
