using AlignFx.Abstractions.Policies;
using AlignFx.Tensors.Torch;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels.Tests;

/// <summary>The tensor sampler against the former host sampler (<see cref="ReferenceTokenSampler"/>), bit for bit.</summary>
public sealed class TensorSamplerTests
{
    private static readonly float[] Palette =
    [
        0f, -0f, 1f, 1f, -1f, 2.5f, 2.5f, -3.25f, 7f, -40f, 1e-30f, -1e30f, float.MinValue, float.MaxValue / 8,
        float.NegativeInfinity,
    ];

    private static readonly double[] Temperatures = [0, 0.05, 0.3, 0.7, 1, 1.3, 4];
    private static readonly int[] TopKs = [0, 0, 1, 2, 3, 7, 1000];
    private static readonly double[] TopPs = [1, 1, 0, 0.2, 0.5, 0.9, 0.95, 0.999999];

    /// <summary>One generated case: logits [rows, vocabulary] with ties and extreme values, options, live rows, a seed.</summary>
    private sealed record Case(int Rows, int Vocabulary, float[] Logits, bool[][] Live, GenerationOptions Options, int Seed);

    private static Case Make(int seed)
    {
        var r = new Random(seed);
        int rows = r.Next(1, 6);
        int v = r.Next(1, 50);
        var logits = new float[rows * v];
        for (int j = 0; j < rows; j++)
        {
            int mode = r.Next(4);
            for (int i = 0; i < v; i++)
            {
                logits[(j * v) + i] = mode switch
                {
                    0 => Palette[r.Next(Palette.Length)],
                    1 => (float)(r.NextDouble() * 8 - 4),
                    2 => (float)Math.Round(r.NextDouble() * 4 - 2, 1),
                    _ => r.Next(3) == 0 ? Palette[r.Next(Palette.Length)] : (float)(r.NextDouble() * 30 - 15),
                };
            }
            // At least one finite logit per row (a row of −inf has no distribution in either sampler).
            int k = j * v + r.Next(v);
            if (float.IsNegativeInfinity(logits[k]))
            {
                logits[k] = 0.5f;
            }
        }
        var live = new bool[3][];
        for (int s = 0; s < live.Length; s++)
        {
            live[s] = [.. Enumerable.Range(0, rows).Select(_ => r.Next(4) != 0)];
        }
        var options = new GenerationOptions
        {
            Temperature = r.Next(5) == 0 ? r.NextDouble() * 3 : Temperatures[r.Next(Temperatures.Length)],
            TopK = r.Next(5) == 0 ? r.Next(0, v + 2) : TopKs[r.Next(TopKs.Length)],
            TopP = r.Next(5) == 0 ? r.NextDouble() : TopPs[r.Next(TopPs.Length)],
        };
        return new Case(rows, v, logits, live, options, r.Next());
    }

    /// <summary>Samples the case three times (three live patterns) with both samplers from equal random streams.</summary>
    private static void AssertIdentical(Case c, Device device)
    {
        var reference = new Random(c.Seed);
        var random = new Random(c.Seed);
        using var logits = tensor(c.Logits, [c.Rows, c.Vocabulary]).to(device);
        for (int s = 0; s < c.Live.Length; s++)
        {
            bool[] live = c.Live[s];
            // Odd steps through Sample (tokens and float log-probabilities, what GptPolicy uses), even steps through Draw,
            // whose float64 ratio p / total shows a last-bit difference the float cast would hide.
            int[]? tokens = null, drawn = null;
            float[]? logProbs = null;
            double[]? ratios = null;
            if (s % 2 == 1)
            {
                (tokens, logProbs) = TensorSampler.Sample(logits, live, c.Options, random);
            }
            else
            {
                (drawn, ratios) = TensorSampler.Draw(logits, live, c.Options, random);
            }
            for (int j = 0; j < c.Rows; j++)
            {
                if (!live[j])
                {
                    continue;
                }
                var row = c.Logits.AsSpan(j * c.Vocabulary, c.Vocabulary);
                if (tokens is not null)
                {
                    var (token, logProb) = ReferenceTokenSampler.Sample(row, c.Options, reference);
                    Assert.Equal(token, tokens[j]);
                    Assert.Equal(BitConverter.SingleToInt32Bits(logProb), BitConverter.SingleToInt32Bits(logProbs![j]));
                }
                else
                {
                    var (token, ratio) = ReferenceTokenSampler.Draw(row, c.Options, reference);
                    Assert.Equal(token, drawn![j]);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(ratio), BitConverter.DoubleToInt64Bits(ratios![j]));
                }
            }
        }
        // The same number of draws: the streams are still in step.
        Assert.Equal(reference.NextDouble(), random.NextDouble());
    }

    [Property(MaxTest = 400)]
    public void The_tensor_sampler_draws_the_host_samplers_tokens_and_log_probs_bit_for_bit(int seed) =>
        AssertIdentical(Make(seed), CPU);

    [Property(MaxTest = 150)]
    public void On_libtorchs_cpu_device_the_tensor_sampler_draws_the_host_samplers_tokens_and_log_probs_bit_for_bit(int seed)
    {
        TorchBackends.Register();
        AssertIdentical(Make(seed), TorchBackends.Cpu);
    }

    [Fact]
    public void Greedy_decoding_takes_the_first_maximum_and_draws_nothing()
    {
        var random = new Random(5);
        using var logits = tensor(new float[] { 1, 3, 3, -0f, 0f, 0f, -1, -1, -1 }, [3, 3]);
        var (tokens, logProbs) = TensorSampler.Sample(logits, [true, true, true], new GenerationOptions { Temperature = 0 }, random);
        Assert.Equal([1, 0, 0], tokens);
        Assert.Equal([0f, 0f, 0f], logProbs);
        Assert.Equal(new Random(5).NextDouble(), random.NextDouble());
    }

    [Fact]
    public void Top_p_keeps_the_smallest_prefix_that_reaches_it_and_reports_log_probs_under_the_renormalised_distribution()
    {
        // Probabilities 0.5, 0.25, 0.125, 0.125: top-p 0.7 keeps two candidates (0.75 ≥ 0.7), renormalised to 2/3 and 1/3.
        float l2 = MathF.Log(2);
        using var logits = tensor(new[] { 0f, -l2, -2 * l2, -2 * l2 }, [1, 4]);
        var seen = new HashSet<int>();
        var random = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            var (tokens, logProbs) = TensorSampler.Sample(logits, [true], new GenerationOptions { TopP = 0.7 }, random);
            seen.Add(tokens[0]);
            Assert.Equal(tokens[0] == 0 ? Math.Log(2.0 / 3) : Math.Log(1.0 / 3), logProbs[0], 1e-6);
        }
        Assert.Equal([0, 1], seen.Order());
    }
}
