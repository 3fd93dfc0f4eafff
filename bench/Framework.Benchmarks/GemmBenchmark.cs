using System.Globalization;
using AlignFx.Tensors.Kernels;

namespace AlignFx.Benchmarks;

/// <summary>
/// SGEMM throughput of Framework.Tensors against OpenBLAS, in the same process: squares and the
/// tiny-GPT Linear shapes with the transposes their forward and backward passes use.
/// </summary>
internal sealed class GemmBenchmark : IBenchmarkSuite
{
    public string Name => "gemm";

    public string Description => "SGEMM GFLOP/s vs OpenBLAS (squares and tiny-GPT shapes)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        OpenBlas? peer = OpenBlas.TryLoad(out string reason);
        if (peer is not null && settings.SingleThread)
        {
            peer.Threads = 1;
        }

        var options = new GemmOptions(Threads: settings.SingleThread ? 1 : 0);
        output.WriteLine($"# gemm: ours path={Gemm.BestPath} threads={(settings.SingleThread ? 1 : GemmThreads.MaxParallelism)}");
        if (peer is null)
        {
            output.WriteLine($"# gemm: peer unavailable: {reason}; peer=n/a below");
        }
        else
        {
            output.WriteLine($"# gemm: peer OpenBLAS {peer.Path} core={peer.CoreName} threads={peer.Threads}");
        }

        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } core)
        {
            output.WriteLine($"# gemm: note: OPENBLAS_CORETYPE={core} is set and forces that kernel on the peer; for a fair peer run with `env -u OPENBLAS_CORETYPE`.");
        }

        output.WriteLine($"# gemm: values are GFLOP/s ({(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} rounds); ratio = our time / peer time (below 1 is faster).");
        foreach (var shape in Shapes().DistinctBy(s => s.Name))
        {
            if (settings.Includes(shape.Name))
            {
                output.WriteLine(Figure(shape, peer, options, settings));
            }
        }

        return 0;
    }

    /// <summary>One GEMM to time: C[m,n] = op(A) op(B).</summary>
    private sealed record Shape(string Name, bool TransA, bool TransB, int M, int N, int K);

    private static IEnumerable<Shape> Shapes()
    {
        foreach (int s in new[] { 512, 1024, 2048 })
        {
            yield return new Shape($"gemm_{s}x{s}x{s}_gflops", false, false, s, s, s);
        }

        // Tiny-GPT Linear layers (M tokens x N outputs x K inputs). With PyTorch's weight layout
        // W[N,K]: forward Y = X W^T (nt); backward dX = dY W (nn, M x K x N) and dW = dY^T X (tn, N x K x M).
        foreach (var (m, n, k) in new[] { (2048, 384, 128), (2048, 512, 128), (2048, 128, 512), (2048, 128, 128) })
        {
            yield return new Shape($"gemm_nn_{m}x{n}x{k}_gflops", false, false, m, n, k);
            yield return new Shape($"gemm_nt_{m}x{n}x{k}_gflops", false, true, m, n, k);
            yield return new Shape($"gemm_nn_{m}x{k}x{n}_gflops", false, false, m, k, n);
            yield return new Shape($"gemm_tn_{n}x{k}x{m}_gflops", true, false, n, k, m);
        }
    }

    private static string Figure(Shape s, OpenBlas? peer, GemmOptions options, BenchmarkSettings settings)
    {
        var random = new Random(1234);
        int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N, ldc = s.N;
        float[] a = RandomArray(random, s.M * s.K);
        float[] b = RandomArray(random, s.K * s.N);
        float[] ours = new float[s.M * s.N];
        float[] theirs = new float[s.M * s.N];

        Action oursCall = () => Gemm.Multiply(options, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, ours, ldc);
        double flops = 2.0 * s.M * s.N * s.K;
        if (peer is null)
        {
            double t = Measure.Seconds(settings.Rounds, settings.UseMinimum, oursCall)[0];
            return Format($"{s.Name} ours={flops / t / 1e9:F1} peer=n/a ratio=n/a");
        }

        Action peerCall = () => peer.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, theirs, ldc);
        double[] times = Measure.Seconds(settings.Rounds, settings.UseMinimum, oursCall, peerCall);
        string check = Agree(ours, theirs, s.K) ? "" : " # WARNING: results differ from the peer";
        return Format($"{s.Name} ours={flops / times[0] / 1e9:F1} peer={flops / times[1] / 1e9:F1} ratio={times[0] / times[1]:F3}{check}");
    }

    private static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    /// <summary>Sanity check that both sides computed the same product (float rounding aside).</summary>
    private static bool Agree(float[] x, float[] y, int k)
    {
        double tolerance = 1e-5 * k;
        for (int i = 0; i < x.Length; i++)
        {
            if (Math.Abs(x[i] - y[i]) > tolerance)
            {
                return false;
            }
        }

        return true;
    }
}
