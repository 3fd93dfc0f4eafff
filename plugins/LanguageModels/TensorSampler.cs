using AlignFx.Abstractions.Policies;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels;

/// <summary>
/// Draws one token per row of a logits tensor [rows, vocabulary] under temperature, top-k and top-p, with tensor
/// operations on the logits' device, and reports each token's log-probability under the distribution it was drawn
/// from. Only the uniform draws go to the device (one per live row) and only each row's token and probability ratio
/// come back. Temperature 0 is greedy decoding (log-probability 0, no draws).
/// </summary>
/// <remarks>
/// The arithmetic is the former host sampler's, operation for operation in float64, so the tokens and log-probabilities
/// are bitwise the same (proved against that sampler, kept in the tests as the reference): logits / temperature;
/// candidates by descending value, ties by id (a stable descending sort); p = exp(x − max) by the C library's exp
/// (<c>exp_libm</c>; the vectorised exp differs in the last bit); totals and running sums added in order (cumsum is
/// sequential); top-p keeps candidates up to the first whose running sum of p / total reaches top-p; u = draw × total;
/// the token is the first candidate whose running sum exceeds u (else the last kept); its log-probability is
/// (float)log(p / total), the log taken on the host for the one value per row.
/// </remarks>
internal static class TensorSampler
{
    public static (int[] Tokens, float[] LogProbs) Sample(Tensor logits, IReadOnlyList<bool> live, GenerationOptions options, Random random)
    {
        var (tokens, ratios) = Draw(logits, live, options, random);
        var logProbs = new float[tokens.Length];
        for (int j = 0; j < tokens.Length; j++)
        {
            logProbs[j] = (float)Math.Log(ratios[j]);
        }
        return (tokens, logProbs);
    }

    /// <summary>Each row's token and the float64 ratio p / total of its probability to the kept total (1 when greedy).</summary>
    internal static (int[] Tokens, double[] Ratios) Draw(Tensor logits, IReadOnlyList<bool> live, GenerationOptions options, Random random)
    {
        int rows = (int)logits.size(0);
        int v = (int)logits.size(1);
        if (live.Count != rows)
        {
            throw new ArgumentException($"{live.Count} live flags for {rows} rows.", nameof(live));
        }
        var tokens = new int[rows];
        var ratios = new double[rows];
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var device = logits.device;
        if (options.Temperature <= 0)
        {
            // The first maximum (a stable descending sort keeps ties, and −0 = +0, in id order).
            var (_, byValue) = logits.sort(1, descending: true, stable: true);
            long[] best = byValue.narrow(1, 0, 1).contiguous().ToArray<long>();
            for (int j = 0; j < rows; j++)
            {
                tokens[j] = (int)best[j];
                ratios[j] = 1;
            }
            return (tokens, ratios);
        }
        var temperature = tensor(options.Temperature).to(device);
        var scaled = logits.to(ScalarType.Float64) / temperature;
        var (sorted, order) = scaled.sort(1, descending: true, stable: true);
        int keep = options.TopK > 0 ? Math.Min(options.TopK, v) : v;
        var probs = (sorted.narrow(1, 0, keep) - sorted.narrow(1, 0, 1)).exp_libm();
        var running = probs.cumsum(1);
        Tensor last;
        if (options.TopP < 1)
        {
            // The nucleus ends at the first candidate whose running share reaches top-p (shares only grow).
            var share = (probs / running.narrow(1, keep - 1, 1)).cumsum(1);
            last = share.lt(options.TopP).sum(1, keepdim: true).clamp(0, keep - 1);
        }
        else
        {
            last = full([rows, 1], keep - 1, ScalarType.Int64).to(device);
        }
        var total = running.gather(1, last);
        var draws = new double[rows];
        for (int j = 0; j < rows; j++)
        {
            draws[j] = live[j] ? random.NextDouble() : 0;
        }
        var u = tensor(draws, [rows, 1]).to(device) * total;
        // The first candidate whose running sum exceeds u: running sums only grow, so that is the count of those not above u.
        var chosen = running.le(u).sum(1, keepdim: true).minimum(last);
        var picked = cat([order.gather(1, chosen).to(ScalarType.Float64), probs.gather(1, chosen) / total], 1);
        double[] back = picked.contiguous().ToArray<double>();
        for (int j = 0; j < rows; j++)
        {
            tokens[j] = (int)back[2 * j];
            ratios[j] = back[(2 * j) + 1];
        }
        return (tokens, ratios);
    }
}
