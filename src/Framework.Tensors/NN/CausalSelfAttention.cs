using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Modules;

/// <summary>
/// Multi-head causal self-attention with a fused query/key/value projection (<c>qkv</c>, [3d, d]) and an output
/// projection (<c>proj</c>), laid out as in GPT-2 and bench/reference/tiny_gpt.py: the qkv output splits into q, k, v
/// along the features, and each splits into heads as <c>view(B, T, H, d/H).transpose(1, 2)</c>.
/// </summary>
/// <remarks>
/// For generation pass a <see cref="KVCache"/> (one per layer): the keys and values of the new positions are appended
/// to it and the queries attend to every cached position before them, so feeding a sequence in pieces gives the
/// logits of one full pass.
/// </remarks>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    /// <summary>The fused query/key/value projection d → 3d.</summary>
    public readonly Linear qkv;

    /// <summary>The output projection d → d.</summary>
    public readonly Linear proj;

    internal CausalSelfAttention(long dModel, long heads, bool bias, ScalarType dtype, Generator? generator) : base(nameof(CausalSelfAttention))
    {
        if (heads <= 0 || dModel % heads != 0)
        {
            throw new ArgumentException($"d_model {dModel} must be a positive multiple of heads {heads}.");
        }
        d_model = dModel;
        this.heads = heads;
        qkv = new Linear(dModel, 3 * dModel, bias, dtype, generator);
        proj = new Linear(dModel, dModel, bias, dtype, generator);
        RegisterComponents();
    }

    /// <summary>Model width.</summary>
    public long d_model { get; }

    /// <summary>Number of heads.</summary>
    public long heads { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => forward(input, null);

    /// <summary>
    /// Attention over <paramref name="input"/> [B, T, d]. With <paramref name="cache"/>, the T new positions follow the
    /// cached ones: their keys and values are appended to the cache and each query attends causally to all of them.
    /// </summary>
    public Tensor forward(Tensor input, KVCache? cache)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dimensions != 3 || input.size(2) != d_model)
        {
            throw new ArgumentException($"Attention input must be [B, T, {d_model}], not [{string.Join(", ", input.shape)}].", nameof(input));
        }
        long b = input.size(0), t = input.size(1), hd = d_model / heads;
        using var fused = qkv.forward(input);
        var parts = fused.split(d_model, 2);
        using var q = SplitHeads(parts[0], b, t, hd);
        using var k = SplitHeads(parts[1], b, t, hd);
        using var v = SplitHeads(parts[2], b, t, hd);
        foreach (var p in parts)
        {
            p.Dispose();
        }
        Tensor y;
        if (cache is null)
        {
            y = functional.ScaledDotProductAttention(q, k, v, null, 0, true, null, null, null, null, null, headsLast: true);
        }
        else
        {
            var (keys, values) = cache.Append(k, v);
            using (keys)
            using (values)
            {
                y = functional.ScaledDotProductAttention(q, keys, values, null, 0, true, null, null, null, null, null, headsLast: true);
            }
        }
        // On the managed backend's composed path y is a view of a [B, T, H, hd] buffer: the merge below is a view.
        using (y)
        using (var yt = y.transpose(1, 2))
        using (var merged = yt.reshape(b, t, d_model))
        {
            return proj.forward(merged);
        }
    }

    private Tensor SplitHeads(Tensor x, long b, long t, long hd)
    {
        using var r = x.reshape(b, t, heads, hd);
        return r.transpose(1, 2);
    }
}

/// <summary>
/// The keys and values one attention layer has seen during generation, [B, H, T, hd] each, growing as tokens are
/// fed. Storage grows by doubling, so appending one position at a time costs amortised O(1) copies. The cache holds
/// values only: no gradient flows into cached keys and values (it is meant for sampling under no_grad).
/// </summary>
public sealed class KVCache : IDisposable
{
    private Tensor? keys;
    private Tensor? values;

    /// <summary>Creates an empty cache; <paramref name="capacity"/> positions are reserved at the first append.</summary>
    public KVCache(int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        this.capacity = capacity;
    }

    /// <summary>How many positions are cached (the position of the next token).</summary>
    public int length { get; private set; }

    /// <summary>How many positions fit before the storage grows.</summary>
    public int capacity { get; private set; }

    /// <summary>Forgets every position (keeps the storage for reuse).</summary>
    public void reset() => length = 0;

    /// <summary>
    /// Appends keys and values [B, H, T, hd] and returns views of everything cached so far, [B, H, length, hd]
    /// (the caller disposes the views; the cache keeps its storage).
    /// </summary>
    public (Tensor keys, Tensor values) Append(Tensor key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key.Dimensions != 4 || value.Dimensions != 4)
        {
            throw new ArgumentException("Cached keys and values are [B, H, T, hd].");
        }
        int t = (int)key.size(2);
        if (keys is null || values is null || !SameLayout(keys, key) || !SameLayout(values, value))
        {
            if (length > 0)
            {
                throw new ArgumentException("Appended keys/values do not match the cached batch, heads, head size or dtype; reset() first.");
            }
            keys?.Dispose();
            values?.Dispose();
            capacity = Math.Max(capacity, t);
            keys = Storage(key, capacity);
            values = Storage(value, capacity);
        }
        if (length + t > capacity)
        {
            int grown = Math.Max(capacity * 2, length + t);
            keys = Grow(keys, grown);
            values = Grow(values, grown);
            capacity = grown;
        }
        using (no_grad())
        {
            using var kd = keys.narrow(2, length, t);
            using var vd = values.narrow(2, length, t);
            kd.copy_(key);
            vd.copy_(value);
        }
        length += t;
        return (keys.narrow(2, 0, length), values.narrow(2, 0, length));
    }

    /// <summary>
    /// Makes row i of the batch the old row <c>rows[i]</c> (a 1-D int64 index): drops sequences that finished, or copies
    /// a shared prefix to the rows that continue it. The next append must have <c>rows</c>' length of rows. Dropping
    /// rows (an increasing index) moves them within the storage instead of allocating a new one.
    /// </summary>
    public void select_rows(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (keys is null || values is null)
        {
            return;
        }
        long[] index = rows.ToArray<long>();
        using (no_grad())
        {
            if (IsIncreasing(index) && (index.Length == 0 || index[^1] < keys.size(0)))
            {
                keys = KeepInPlace(keys, index);
                values = KeepInPlace(values, index);
            }
            else
            {
                var k = keys.index_select(0, rows).DetachFromDisposeScope();
                var v = values.index_select(0, rows).DetachFromDisposeScope();
                keys.Dispose();
                values.Dispose();
                (keys, values) = (k, v);
            }
        }
    }

    private static bool IsIncreasing(long[] index)
    {
        for (int i = 1; i < index.Length; i++)
        {
            if (index[i] <= index[i - 1])
            {
                return false;
            }
        }
        return index.Length == 0 || index[0] >= 0;
    }

    /// <summary>Moves rows <paramref name="index"/> (increasing) to the front, in order, and returns a view of them.</summary>
    private static Tensor KeepInPlace(Tensor store, long[] index)
    {
        for (int i = 0; i < index.Length; i++)
        {
            if (index[i] != i)
            {
                // Row index[i] > i: the destination was either dropped or already moved, so it is free.
                using var from = store.narrow(0, index[i], 1);
                using var to = store.narrow(0, i, 1);
                to.copy_(from);
            }
        }
        var kept = store.narrow(0, 0, index.Length).DetachFromDisposeScope();
        store.Dispose();
        return kept;
    }

    /// <summary>Releases the storage.</summary>
    public void Dispose()
    {
        keys?.Dispose();
        values?.Dispose();
        keys = values = null;
        length = 0;
    }

    private static bool SameLayout(Tensor store, Tensor x) =>
        store.dtype == x.dtype && store.size(0) == x.size(0) && store.size(1) == x.size(1) && store.size(3) == x.size(3);

    private static Tensor Storage(Tensor like, int positions) =>
        // Positions past the cached length are written before they are read: no need to clear them.
        empty([like.size(0), like.size(1), positions, like.size(3)], like.dtype).DetachFromDisposeScope();

    private Tensor Grow(Tensor old, int positions)
    {
        var bigger = Storage(old, positions);
        using (no_grad())
        using (var dst = bigger.narrow(2, 0, length))
        using (var src = old.narrow(2, 0, length))
        {
            dst.copy_(src);
        }
        old.Dispose();
        return bigger;
    }
}
