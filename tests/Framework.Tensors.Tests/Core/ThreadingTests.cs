using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>Kernels split over several threads give the single-threaded results (fixed partitions, no races).</summary>
[Collection("StoragePool")]
public class ThreadingTests
{
    private static double[][] Run(int threads)
    {
        var threadsSetting = new NumThreads(threads);
        try
        {
            var g = new Generator(21);
            var x = randn([1024, 256], generator: g).requires_grad_();
            var w = randn([256], generator: g).requires_grad_();
            var b = randn([256], generator: g).requires_grad_();
            var t = randint(256, [1024], generator: g);
            var h = F.layer_norm(x, [256], w, b).gelu();
            var s = h.softmax(-1).mul(h.sigmoid()).tanh();
            var loss = F.cross_entropy(s * 10.0, t, label_smoothing: 0.1);
            loss.backward();
            var acc = randn([300000], generator: g);
            using (no_grad())
            {
                acc.addcmul_(acc, acc, 0.5).lerp_(acc.exp(), 0.3);
            }
            return [[loss.item<float>()], x.grad!.ToArray<float>().Select(v => (double)v).ToArray(),
                w.grad!.ToArray<float>().Select(v => (double)v).ToArray(), b.grad!.ToArray<float>().Select(v => (double)v).ToArray(),
                acc.ToArray<float>().Select(v => (double)v).ToArray()];
        }
        finally
        {
            threadsSetting.Dispose();
        }
    }

    [Fact]
    public void MultiThreadedKernelsMatchSingleThreaded()
    {
        var one = Run(1);
        var three = Run(3);
        Assert.Equal(one[0], three[0]);
        Assert.Equal(one[1], three[1]);
        Assert.Equal(one[4], three[4]);
        // Weight and bias gradients: threads split the columns, each summed over rows in order, as one thread does.
        Assert.Equal(one[2], three[2]);
        Assert.Equal(one[3], three[3]);
        Assert.Equal(Run(3)[2], three[2]);
    }

    [Fact]
    public void KernelErrorsSurfaceFromParallelLoops()
    {
        var threadsSetting = new NumThreads(3);
        try
        {
            var logits = zeros(20000, 4);
            var target = zeros([20000], dtype: int64);
            target[15000].fill_(9);
            Assert.Throws<ArgumentOutOfRangeException>(() => F.cross_entropy(logits, target));
        }
        finally
        {
            threadsSetting.Dispose();
        }
    }

    [Fact]
    public void Set_num_threads_one_keeps_every_gemm_part_on_the_calling_thread()
    {
        var job = new ThreadRecorder(8);
        using (new NumThreads(1))
        {
            AlignFx.Tensors.Kernels.GemmThreads.Run(job, 8);
        }
        Assert.All(job.Threads, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
    }

    private sealed class ThreadRecorder(int parts) : AlignFx.Tensors.Kernels.IGemmJob
    {
        public int[] Threads { get; } = new int[parts];

        public void Execute(int part) => Threads[part] = Environment.CurrentManagedThreadId;
    }
}
