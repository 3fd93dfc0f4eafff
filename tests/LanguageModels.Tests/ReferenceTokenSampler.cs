using AlignFx.Abstractions.Policies;

namespace AlignFx.LanguageModels.Tests;

/// <summary>
/// The host sampler GptPolicy used before sampling moved onto tensor ops (plugins/LanguageModels/TokenSampler.cs at
/// ca42584), kept unchanged as the reference the tensor sampler must equal bit for bit. Draws one token from a row of
/// logits under temperature, top-k and top-p, and reports its log-probability under the distribution it was drawn from
/// (computed in double precision). Temperature 0 is greedy decoding (log-probability 0).
/// </summary>
internal static class ReferenceTokenSampler
{
    public static (int Token, float LogProb) Sample(ReadOnlySpan<float> logits, GenerationOptions options, Random random)
    {
        var (token, ratio) = Draw(logits, options, random);
        return (token, (float)Math.Log(ratio));
    }

    /// <summary>
    /// The former Sample's body unchanged but for its ends: it returns the token and the float64 ratio probs[chosen] /
    /// total (1 when greedy, whose log-probability 0f is (float)Math.Log(1)), so a test can compare the double before
    /// the float cast hides a last-bit difference.
    /// </summary>
    public static (int Token, double Ratio) Draw(ReadOnlySpan<float> logits, GenerationOptions options, Random random)
    {
        int v = logits.Length;
        if (options.Temperature <= 0)
        {
            int best = 0;
            for (int i = 1; i < v; i++)
            {
                if (logits[i] > logits[best])
                {
                    best = i;
                }
            }
            return (best, 1.0);
        }
        var scaled = new double[v];
        double max = double.NegativeInfinity;
        for (int i = 0; i < v; i++)
        {
            scaled[i] = logits[i] / options.Temperature;
            max = Math.Max(max, scaled[i]);
        }
        // Candidates by descending logit (ties by id, so the order is deterministic).
        int[] order = [.. Enumerable.Range(0, v).OrderByDescending(i => scaled[i]).ThenBy(i => i)];
        int keep = options.TopK > 0 ? Math.Min(options.TopK, v) : v;
        var probs = new double[keep];
        double total = 0;
        for (int j = 0; j < keep; j++)
        {
            probs[j] = Math.Exp(scaled[order[j]] - max);
            total += probs[j];
        }
        if (options.TopP < 1)
        {
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < keep)
            {
                cumulative += probs[nucleus] / total;
                nucleus++;
                if (cumulative >= options.TopP)
                {
                    break;
                }
            }
            keep = nucleus;
            total = 0;
            for (int j = 0; j < keep; j++)
            {
                total += probs[j];
            }
        }
        double u = random.NextDouble() * total;
        int chosen = keep - 1;
        double acc = 0;
        for (int j = 0; j < keep; j++)
        {
            acc += probs[j];
            if (u < acc)
            {
                chosen = j;
                break;
            }
        }
        return (order[chosen], probs[chosen] / total);
    }
}
