using System.Runtime.InteropServices;

namespace AlignFx.Benchmarks;

/// <summary>
/// OpenBLAS loaded at run time (benchmark peer only). Missing library: <see cref="TryLoad"/> returns
/// null and the caller reports the peer as unavailable.
/// </summary>
internal sealed unsafe class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
        "libopenblas.dll",
    ];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int> _getThreads;
    private readonly delegate* unmanaged<int, void> _setThreads;
    private readonly delegate* unmanaged<byte*> _coreName;

    private OpenBlas(nint handle, string path)
    {
        Path = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(handle, "cblas_sgemm");
        _getThreads = NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out nint t) ? (delegate* unmanaged<int>)t : null;
        _setThreads = NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint st) ? (delegate* unmanaged<int, void>)st : null;
        _coreName = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out nint n) ? (delegate* unmanaged<byte*>)n : null;
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>OpenBLAS's thread count (-1 when the build does not say); setting it needs openblas_set_num_threads.</summary>
    public int Threads
    {
        get => _getThreads is null ? -1 : _getThreads();
        set
        {
            if (_setThreads is not null)
            {
                _setThreads(value);
            }
        }
    }

    /// <summary>The CPU kernel family OpenBLAS chose (for example Haswell or SkylakeX).</summary>
    public string CoreName => _coreName is null ? "unknown" : Marshal.PtrToStringAnsi((nint)_coreName()) ?? "unknown";

    /// <summary>Loads the first OpenBLAS found, or returns null with the reason.</summary>
    public static OpenBlas? TryLoad(out string reason)
    {
        foreach (string candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
                {
                    reason = "";
                    return new OpenBlas(handle, candidate);
                }

                NativeLibrary.Free(handle);
            }
        }

        reason = "libopenblas not found (install libopenblas0-pthread)";
        return null;
    }

    /// <summary>Row-major cblas_sgemm with the same argument order as Gemm.Sgemm.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k,
                alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }
}
