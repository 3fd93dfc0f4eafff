using AlignFx.Tensors.Kernels;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlignFx.Tensors.Tests.Kernels;

/// <summary>One randomised GEMM problem; the matrices are drawn from <see cref="Seed"/>.</summary>
public sealed record GemmCase(
    int M, int N, int K, bool TransA, bool TransB, int PadA, int PadB, int PadC,
    float Alpha, float Beta, string Path, int Threads, bool ForceBlocked, int Seed)
{
    internal GemmOptions Options => new(Enum.Parse<GemmPath>(Path), Threads, ForceBlocked ? -1 : GemmOptions.DefaultDirectLimit);

    public int Lda => (TransA ? M : K) + PadA;

    public int Ldb => (TransB ? K : N) + PadB;

    public int Ldc => N + PadC;
}

/// <summary>FsCheck generators for GEMM problems: edge sizes, every transpose, padded strides, alpha/beta.</summary>
public static class GemmArbitraries
{
    /// <summary>Paths the tests can run at hardware speed on this machine (scalar always).</summary>
    internal static GemmPath[] AcceleratedPaths { get; } =
        [.. new[] { GemmPath.Vector512, GemmPath.Vector256, GemmPath.Vector128, GemmPath.Scalar }.Where(Gemm.IsAccelerated)];

    public static Arbitrary<GemmCase> Cases()
    {
        // Size classes: small tiles and remainders, medium, deep k (several KC slices), and tall m
        // (several MC blocks), keeping the double-precision reference cheap.
        Gen<(int M, int N, int K)> dims = Gen.Frequency(
            (6, Dims(Gen.Choose(0, 40), Gen.Choose(0, 40), Gen.Choose(0, 40))),
            (3, Dims(Gen.Choose(1, 100), Gen.Choose(1, 100), Gen.Choose(1, 100))),
            (1, Dims(Gen.Choose(1, 30), Gen.Choose(1, 40), Gen.Choose(250, 600))),
            (1, Dims(Gen.Choose(370, 420), Gen.Choose(1, 40), Gen.Choose(1, 40))));
        Gen<float> scalars = Gen.Elements(0f, 1f, -1f, 0.5f, -2.25f);
        Gen<bool> flags = Gen.Elements(false, true);
        Gen<int> pads = Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 17)));
        Gen<GemmCase> cases =
            from d in dims
            from ta in flags
            from tb in flags
            from pa in pads
            from pb in pads
            from pc in pads
            from alpha in scalars
            from beta in scalars
            from path in Gen.Elements(AcceleratedPaths.Select(p => p.ToString()))
            from threads in Gen.Elements(0, 1, 2, 3)
            from blocked in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
            from seed in Gen.Choose(0, int.MaxValue)
            select new GemmCase(d.M, d.N, d.K, ta, tb, pa, pb, pc, alpha, beta, path, threads, blocked, seed);
        return cases.ToArbitrary();
    }

    private static Gen<(int, int, int)> Dims(Gen<int> m, Gen<int> n, Gen<int> k) =>
        from a in m
        from b in n
        from c in k
        select (a, b, c);
}

public sealed class GemmTests
{
    [Property(Arbitrary = [typeof(GemmArbitraries)], MaxTest = 300)]
    public void Sgemm_matches_a_double_precision_triple_loop(GemmCase g)
    {
        var random = new Random(g.Seed);
        float[] a = Matrix(random, g.TransA ? g.K : g.M, g.Lda - g.PadA, g.Lda);
        float[] b = Matrix(random, g.TransB ? g.N : g.K, g.Ldb - g.PadB, g.Ldb);
        float[] c = Matrix(random, g.M, g.Ldc);
        float[] original = (float[])c.Clone();

        Gemm.Multiply(g.Options, g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, a, g.Lda, b, g.Ldb, g.Beta, c, g.Ldc);

        for (int i = 0; i < g.M; i++)
        {
            for (int j = 0; j < g.Ldc; j++)
            {
                int at = i * g.Ldc + j;
                if (j >= g.N)
                {
                    // Padding between rows of C belongs to the caller and must be left alone.
                    Assert.Equal(original[at], c[at]);
                    continue;
                }

                (double exact, double magnitude) = Reference(g, a, b, i, j);
                double expected = g.Alpha * exact + (g.Beta == 0 ? 0 : g.Beta * (double)original[at]);
                double scale = Math.Abs(g.Alpha) * magnitude + Math.Abs(g.Beta * (double)original[at]);
                double tolerance = (g.K + 4) * Math.Pow(2, -23) * scale + 1e-30;
                Assert.True(Math.Abs(c[at] - expected) <= tolerance,
                    $"C[{i},{j}] = {c[at]:R}, expected {expected:R} (tolerance {tolerance:E2}) for {g}");
            }
        }
    }

    [Property(Arbitrary = [typeof(GemmArbitraries)], MaxTest = 100)]
    public void Dgemm_matches_a_compensated_reference_on_every_path(GemmCase g)
    {
        var random = new Random(g.Seed);
        double[] a = [.. Matrix(random, g.TransA ? g.K : g.M, g.Lda - g.PadA, g.Lda).Select(x => (double)x)];
        double[] b = [.. Matrix(random, g.TransB ? g.N : g.K, g.Ldb - g.PadB, g.Ldb).Select(x => (double)x)];
        double[] c = [.. Matrix(random, g.M, g.Ldc).Select(x => (double)x)];
        double[] original = (double[])c.Clone();

        Gemm.Multiply(g.Options, g.TransA, g.TransB, g.M, g.N, g.K, (double)g.Alpha, a, g.Lda, b, g.Ldb, (double)g.Beta, c, g.Ldc);

        for (int i = 0; i < g.M; i++)
        {
            for (int j = 0; j < g.N; j++)
            {
                // Products of floats are exact in double; sum them with Neumaier compensation.
                double sum = 0, compensation = 0, magnitude = 0;
                for (int p = 0; p < g.K; p++)
                {
                    double term = (g.TransA ? a[p * g.Lda + i] : a[i * g.Lda + p]) * (g.TransB ? b[j * g.Ldb + p] : b[p * g.Ldb + j]);
                    double t = sum + term;
                    compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - t) + term : (term - t) + sum;
                    sum = t;
                    magnitude += Math.Abs(term);
                }

                double cij = original[i * g.Ldc + j];
                double expected = g.Alpha * (sum + compensation) + (g.Beta == 0 ? 0 : g.Beta * cij);
                double tolerance = (g.K + 4) * Math.Pow(2, -52) * (Math.Abs(g.Alpha) * magnitude + Math.Abs(g.Beta * cij)) + 1e-300;
                Assert.True(Math.Abs(c[i * g.Ldc + j] - expected) <= tolerance, $"C[{i},{j}] = {c[i * g.Ldc + j]:R}, expected {expected:R} for {g}");
            }
        }
    }

    [Property(Arbitrary = [typeof(GemmArbitraries)], MaxTest = 60)]
    public void Every_path_and_thread_count_gives_bitwise_the_same_result(GemmCase g)
    {
        var random = new Random(g.Seed);
        float[] a = Matrix(random, g.TransA ? g.K : g.M, g.Lda - g.PadA, g.Lda);
        float[] b = Matrix(random, g.TransB ? g.N : g.K, g.Ldb - g.PadB, g.Ldb);
        float[] c0 = Matrix(random, g.M, g.Ldc);

        float[]? first = null;
        foreach (GemmOptions options in AllVariants())
        {
            float[] c = (float[])c0.Clone();
            Gemm.Multiply(options, g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, a, g.Lda, b, g.Ldb, g.Beta, c, g.Ldc);
            if (first is null)
            {
                first = c;
            }
            else
            {
                Assert.True(first.AsSpan().SequenceEqual(c), $"{options} differs from the first variant for {g}");
            }
        }
    }

    [Fact]
    public void Threaded_runs_are_bitwise_reproducible_at_benchmark_sizes()
    {
        // Large enough for the default options to use every core; 300 rows and 600 k cross MC and KC.
        const int m = 300, n = 200, k = 600;
        var random = new Random(7);
        float[] a = Matrix(random, m, k), b = Matrix(random, n, k);
        float[] reference = new float[m * n];
        Gemm.Multiply(new GemmOptions(Threads: 1), false, true, m, n, k, 1f, a, k, b, k, 0f, reference, n);
        for (int run = 0; run < 5; run++)
        {
            float[] c = new float[m * n];
            Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
            Assert.True(reference.AsSpan().SequenceEqual(c), $"run {run} differs");
        }
    }

    [Fact]
    public void Concurrent_callers_share_the_worker_pool_safely()
    {
        // Several threads issue threaded GEMMs at once: one wins the pool, the rest run their parts
        // inline; every result must still equal its single-threaded reference bit for bit.
        var shapes = new[] { (130, 70, 90), (40, 300, 33), (257, 31, 260), (64, 64, 64) };
        var random = new Random(21);
        var inputs = shapes.Select(s => (A: Matrix(random, s.Item1, s.Item3), B: Matrix(random, s.Item3, s.Item2))).ToArray();
        var expected = shapes.Select((s, i) =>
        {
            var c = new float[s.Item1 * s.Item2];
            Gemm.Multiply(new GemmOptions(Threads: 1), false, false, s.Item1, s.Item2, s.Item3, 1f, inputs[i].A, s.Item3, inputs[i].B, s.Item2, 0f, c, s.Item2);
            return c;
        }).ToArray();

        var mismatches = 0;
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 4 }, call =>
        {
            int i = call % shapes.Length;
            var (m, n, k) = shapes[i];
            var c = new float[m * n];
            for (int repeat = 0; repeat < 5; repeat++)
            {
                Gemm.Multiply(new GemmOptions(Threads: 2, DirectLimit: -1), false, false, m, n, k, 1f, inputs[i].A, k, inputs[i].B, n, 0f, c, n);
                if (!c.AsSpan().SequenceEqual(expected[i]))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Beta_zero_ignores_nan_in_c_and_alpha_zero_ignores_a_and_b()
    {
        const int m = 37, n = 45, k = 19;
        var random = new Random(3);
        float[] a = Matrix(random, m, k), b = Matrix(random, k, n);
        float[] c = new float[m * n];
        Array.Fill(c, float.NaN);
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        Assert.All(c, x => Assert.True(float.IsFinite(x)));

        // alpha = 0: C = beta * C, and NaN in A must not leak in.
        Array.Fill(a, float.NaN);
        float[] before = (float[])c.Clone();
        Gemm.Sgemm(false, false, m, n, k, 0f, a, k, b, n, 2f, c, n);
        for (int i = 0; i < c.Length; i++)
        {
            Assert.Equal(2f * before[i], c[i]);
        }
    }

    [Fact]
    public void Empty_inner_dimension_scales_c_and_reads_no_operands()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        Gemm.Sgemm(false, false, 2, 3, 0, 1f, [], 0, [], 3, 0.5f, c, 3);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f], c);
        Gemm.Sgemm(true, true, 2, 3, 0, 1f, [], 2, [], 0, 0f, c, 3);
        Assert.All(c, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Columns_beyond_one_packed_block_of_b_are_computed()
    {
        // n exceeds NC (4096 floats per packed B block), so the outer column loop runs twice.
        const int m = 5, n = 4200, k = 7;
        var random = new Random(11);
        float[] a = Matrix(random, m, k), b = Matrix(random, k, n);
        float[] c = new float[m * n];
        Gemm.Multiply(new GemmOptions(DirectLimit: -1), false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j += 97)
            {
                double expected = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += (double)a[i * k + p] * b[p * n + j];
                }

                Assert.Equal(expected, c[i * n + j], 1e-5);
            }
        }
    }

    [Fact]
    public void Dgemm_matches_the_triple_loop_to_double_rounding()
    {
        var random = new Random(5);
        foreach (var (m, n, k, ta, tb) in new[] { (13, 29, 300, false, true), (50, 17, 9, true, false), (3, 2, 1, true, true), (200, 40, 31, false, false) })
        {
            double[] a = DoubleMatrix(random, ta ? k : m, ta ? m : k);
            double[] b = DoubleMatrix(random, tb ? n : k, tb ? k : n);
            double[] c = DoubleMatrix(random, m, n);
            double[] original = (double[])c.Clone();
            Gemm.Dgemm(ta, tb, m, n, k, 0.75, a, ta ? m : k, b, tb ? k : n, -1.5, c, n);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double term = (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                        sum += term;
                        magnitude += Math.Abs(term);
                    }

                    double expected = 0.75 * sum - 1.5 * original[i * n + j];
                    double tolerance = 2 * (k + 4) * Math.Pow(2, -52) * (0.75 * magnitude + 1.5 * Math.Abs(original[i * n + j]));
                    Assert.True(Math.Abs(c[i * n + j] - expected) <= tolerance, $"({m},{n},{k},{ta},{tb}) C[{i},{j}]");
                }
            }
        }
    }

    [Fact]
    public void Steady_state_calls_do_not_allocate_on_the_calling_thread()
    {
        const int m = 96, n = 80, k = 300;
        var random = new Random(9);
        float[] a = Matrix(random, m, k), b = Matrix(random, k, n), c = new float[m * n];
        var threaded = new GemmOptions(Threads: 2);
        for (int i = 0; i < 3; i++)
        {
            Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            Gemm.Multiply(threaded, true, true, n, m, k, 1f, b, n, a, k, 0f, c, m);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            Gemm.Multiply(threaded, true, true, n, m, k, 1f, b, n, a, k, 0f, c, m);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Operands_too_short_for_their_shape_are_rejected()
    {
        float[] small = new float[10], c = new float[16];
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, small, 4, new float[16], 4, 0f, c, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 3, new float[16], 4, 0f, c, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 4, 4, 1f, small, 4, small, 4, 0f, c, 4));
    }

    private static IEnumerable<GemmOptions> AllVariants()
    {
        yield return new GemmOptions(GemmPath.Scalar, Threads: 1, DirectLimit: long.MaxValue);
        foreach (GemmPath path in GemmArbitraries.AcceleratedPaths)
        {
            yield return new GemmOptions(path, Threads: 1, DirectLimit: -1);
            yield return new GemmOptions(path, Threads: 2, DirectLimit: -1);
            yield return new GemmOptions(path, Threads: 5, DirectLimit: -1);
        }
    }

    /// <summary>The exact dot product (in double) and the sum of |terms| that bounds its rounding error.</summary>
    private static (double Sum, double Magnitude) Reference(GemmCase g, float[] a, float[] b, int i, int j)
    {
        double sum = 0, magnitude = 0;
        for (int p = 0; p < g.K; p++)
        {
            double av = g.TransA ? a[p * g.Lda + i] : a[i * g.Lda + p];
            double bv = g.TransB ? b[j * g.Ldb + p] : b[p * g.Ldb + j];
            sum += av * bv;
            magnitude += Math.Abs(av * bv);
        }

        return (sum, magnitude);
    }

    /// <summary>A rows x ld matrix of values in [-1, 1).</summary>
    private static float[] Matrix(Random random, int rows, int ld) => Matrix(random, rows, ld, ld);

    /// <summary>
    /// A rows x cols matrix stored with row stride ld; the padding columns hold NaN, so a kernel
    /// that reads past the logical width poisons its result.
    /// </summary>
    private static float[] Matrix(Random random, int rows, int cols, int ld)
    {
        var values = new float[rows * ld];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % ld < cols ? (float)(random.NextDouble() * 2 - 1) : float.NaN;
        }

        return values;
    }

    private static double[] DoubleMatrix(Random random, int rows, int cols)
    {
        var values = new double[rows * cols];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextDouble() * 2 - 1;
        }

        return values;
    }
}
