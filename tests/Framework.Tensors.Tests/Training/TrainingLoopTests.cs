using AlignFx.Reference;
using System.Diagnostics;
using AlignFx.Tensors.Optim;
using AlignFx.Tensors.Tests.Reference;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Training;

/// <summary>
/// Tests that read process-wide counters (storage pool misses, heap size, working set) run alone, after the parallel
/// tests, so that other tests' allocations do not show up in their numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Memory measurements";
}

/// <summary>Whole training loops of a tiny GPT: determinism, steady memory, and learning.</summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class TrainingLoopTests
{
    private static readonly GptConfig Tiny = new(vocab: 16, context: 8, d_model: 16, heads: 2, layers: 2);

    private sealed class Run : IDisposable
    {
        public Run(long seed, double lr = 3e-3)
        {
            var g = new Generator(seed);
            Model = new TinyGpt(Tiny, ScalarType.Float32, g);
            Inputs = randint(0, Tiny.vocab, [4, Tiny.context], generator: g).DetachFromDisposeScope();
            Targets = randint(0, Tiny.vocab, [4, Tiny.context], generator: g).DetachFromDisposeScope();
            Optimizer = optim.AdamW(Model.parameters(), lr: lr, weight_decay: 0.1);
            Schedule = optim.lr_scheduler.WarmupCosine(Optimizer, warmup_steps: 5, total_steps: 400, final_factor: 0.1);
        }

        public TinyGpt Model { get; }

        public Tensor Inputs { get; }

        public Tensor Targets { get; }

        public AdamW Optimizer { get; }

        public LRScheduler Schedule { get; }

        /// <summary>One step inside its own dispose scope; returns the loss.</summary>
        public float Step()
        {
            using var scope = NewDisposeScope();
            Optimizer.zero_grad();
            var loss = LmLoss.Compute(Model.forward(Inputs), Targets);
            loss.backward();
            nn.utils.clip_grad_norm_(Model.parameters(), 1.0);
            Optimizer.step();
            Schedule.step();
            return loss.item<float>();
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
            Inputs.Dispose();
            Targets.Dispose();
        }
    }

    [Fact]
    public void Two_runs_with_one_seed_give_bitwise_identical_losses_and_parameters()
    {
        using var a = new Run(seed: 42);
        using var b = new Run(seed: 42);
        var lossesA = Enumerable.Range(0, 20).Select(_ => a.Step()).ToArray();
        var lossesB = Enumerable.Range(0, 20).Select(_ => b.Step()).ToArray();
        Assert.Equal(lossesA.Select(BitConverter.SingleToInt32Bits), lossesB.Select(BitConverter.SingleToInt32Bits));
        foreach (var ((name, pa), (_, pb)) in a.Model.named_parameters().Zip(b.Model.named_parameters()))
        {
            Assert.True(pa.data.ToArray<float>().AsSpan().SequenceEqual(pb.data.ToArray<float>()), name);
        }

        // A different seed gives a different run (the check above is not vacuous).
        using var c = new Run(seed: 43);
        Assert.NotEqual(lossesA[0], c.Step());
    }

    [Fact]
    public void Three_hundred_steps_grow_neither_the_pools_nor_the_heap_nor_the_working_set()
    {
        using var run = new Run(seed: 7);
        for (int i = 0; i < 30; i++)
        {
            run.Step();
        }
        long poolMisses = StoragePools.TotalAllocations;
        long heap = HeapAfterFullCollection();
        long workingSet = WorkingSet();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        for (int i = 0; i < 150; i++)
        {
            run.Step();
        }
        long allocatedMid = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 150; i++)
        {
            run.Step();
        }
        long allocatedEnd = GC.GetTotalAllocatedBytes(precise: true);

        // Every tensor buffer of a step comes back from the pool: no new storage arrays at all.
        Assert.Equal(poolMisses, StoragePools.TotalAllocations);
        // Managed garbage per step (tensor objects, graph nodes) is steady: the second 150 steps allocate as the first.
        double firstHalf = (allocatedMid - allocatedBefore) / 150.0, secondHalf = (allocatedEnd - allocatedMid) / 150.0;
        Assert.InRange(secondHalf, 0.8 * firstHalf, 1.2 * firstHalf);
        // Nothing is retained: the live heap after a full collection is where it was after warm-up.
        long heapGrowth = HeapAfterFullCollection() - heap;
        Assert.True(heapGrowth < 1 << 20, $"live heap grew by {heapGrowth} bytes over 300 steps");
        long wsGrowth = WorkingSet() - workingSet;
        Assert.True(wsGrowth < 64 << 20, $"working set grew by {wsGrowth} bytes over 300 steps");
    }

    [Fact]
    public void Training_on_one_batch_drives_the_loss_near_zero()
    {
        using var run = new Run(seed: 3, lr: 1e-2);
        float first = run.Step();
        float last = first;
        for (int i = 0; i < 250; i++)
        {
            last = run.Step();
        }
        Assert.InRange(first, 2.0f, 4.0f);
        Assert.True(last < 0.05f, $"loss after 250 steps is {last} (started at {first})");
    }

    private static long HeapAfterFullCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long WorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }
}
