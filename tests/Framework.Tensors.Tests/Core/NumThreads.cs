using AlignFx.Tensors.Backends.Cpu;
using AlignFx.Tensors.Kernels;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>Sets <c>torch.set_num_threads(n)</c> until disposed, then restores both the kernels' and the GEMM's settings.</summary>
internal sealed class NumThreads : IDisposable
{
    private readonly int workers = Par.Workers, gemm = GemmThreads.Limit;

    public NumThreads(int threads) => torch.set_num_threads(threads);

    public void Dispose()
    {
        Par.Workers = workers;
        GemmThreads.Limit = gemm;
    }
}
