using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors;

/// <summary>
/// A reference-counted buffer shared by a tensor and its views. Each tensor object holds one reference, and an
/// autograd node holds one for every tensor it saves; the buffer goes back to the pool when the count reaches zero.
/// Storage that is never released is simply garbage collected.
/// </summary>
internal abstract class Storage
{
    private int refCount;

    protected Storage(ScalarType dtype, int length)
    {
        DType = dtype;
        Length = length;
    }

    public ScalarType DType { get; }

    public int Length { get; }

    public abstract Device Device { get; }

    /// <summary>
    /// The elements as a span over host memory (Length elements). Storage in device memory throws: copy it to a
    /// host device with <c>to(torch.CPU)</c> first.
    /// </summary>
    public abstract Span<T> HostSpan<T>() where T : unmanaged;

    /// <summary>True when <see cref="HostSpan{T}"/> can be used (the storage is in host memory).</summary>
    public virtual bool IsHostMemory => true;

    public void Retain() => Interlocked.Increment(ref refCount);

    public void Release()
    {
        if (Interlocked.Decrement(ref refCount) == 0)
        {
            Free();
        }
    }

    protected abstract void Free();
}

/// <summary>Host storage backed by a pooled managed array (its length may exceed <see cref="Storage.Length"/>).</summary>
internal sealed class CpuStorage<T> : Storage where T : unmanaged
{
    private T[]? data;

    public CpuStorage(ScalarType dtype, int length) : base(dtype, length) => data = StoragePool<T>.Rent(length);

    public override Device Device => CPU;

    public override Span<TElement> HostSpan<TElement>() =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<T, TElement>(Data.AsSpan(0, Length));

    public T[] Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => data ?? throw new ObjectDisposedException("Tensor", "The tensor's storage was disposed.");
    }

    protected override void Free()
    {
        var d = Interlocked.Exchange(ref data, null);
        if (d is not null)
        {
            StoragePool<T>.Return(d);
        }
    }
}

/// <summary>Per-type pools of exact-length arrays, so a loop that reuses shapes allocates no storage in steady state.</summary>
internal static class StoragePool<T> where T : unmanaged
{
    private static readonly ConcurrentDictionary<int, ConcurrentBag<T[]>> Buckets = new();
    private static long allocations;

    /// <summary>Arrays created because no pooled array of the length was free.</summary>
    public static long Allocations => Interlocked.Read(ref allocations);

    public static T[] Rent(int length)
    {
        if (length == 0)
        {
            return [];
        }
        if (Buckets.TryGetValue(length, out var bag) && bag.TryTake(out var array))
        {
            Interlocked.Add(ref StoragePools.PooledBytes, -(long)length * Unsafe.SizeOf<T>());
            return array;
        }
        Interlocked.Increment(ref allocations);
        Interlocked.Increment(ref StoragePools.TotalAllocations);
        return GC.AllocateUninitializedArray<T>(length);
    }

    public static void Return(T[] array)
    {
        if (array.Length == 0)
        {
            return;
        }
        long bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (Interlocked.Add(ref StoragePools.PooledBytes, bytes) > StoragePools.MaxPooledBytes)
        {
            // Over the cap: let the GC have it.
            Interlocked.Add(ref StoragePools.PooledBytes, -bytes);
            return;
        }
        Buckets.GetOrAdd(array.Length, static _ => []).Add(array);
    }

    public static void Clear()
    {
        foreach (var (len, bag) in Buckets)
        {
            while (bag.TryTake(out _))
            {
                Interlocked.Add(ref StoragePools.PooledBytes, -(long)len * Unsafe.SizeOf<T>());
            }
        }
    }
}

/// <summary>Pool-wide counters and limits.</summary>
internal static class StoragePools
{
    /// <summary>Bytes currently parked in the pools.</summary>
    public static long PooledBytes;

    /// <summary>Arrays allocated (pool misses) over the process lifetime, all element types.</summary>
    public static long TotalAllocations;

    /// <summary>The pools hold at most this many bytes; returns beyond it are left to the GC.</summary>
    public static long MaxPooledBytes = 4L << 30;

    public static void Clear()
    {
        StoragePool<float>.Clear();
        StoragePool<double>.Clear();
        StoragePool<long>.Clear();
        StoragePool<bool>.Clear();
    }
}
