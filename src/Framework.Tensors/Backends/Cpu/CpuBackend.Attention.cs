using System.Numerics;
using AlignFx.Tensors.Kernels;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Backends.Cpu;

internal sealed partial class CpuBackend : IFusedAttention
{
    /// <summary>
    /// From this many keys, attention without an explicit request runs the tiled kernel (<see cref="FlashAttention"/>);
    /// below it the composed path (matmul, fused scaled causal softmax, matmul) stays, which every published run uses
    /// (their contexts are at most 128). Measured on the 2-core machine: see the README.
    /// </summary>
    public const int DefaultFusedAttentionMinKeys = 1024;

    /// <summary>Keys from which the managed backend fuses attention by default (torch.set_fused_attention_min_keys).</summary>
    public static int FusedAttentionMinKeys { get; set; } = DefaultFusedAttentionMinKeys;

    public bool PrefersFused(int keys) => keys >= FusedAttentionMinKeys;

    public Tensor? Attention(Tensor q, Tensor k, Tensor v, bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward)
        => Attention(q, k, v, null, causal, scale, needGrad, out backward);

    public Tensor? Attention(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward)
    {
        backward = null;
        int rank = q.shapeI.Length;
        if (rank < 2 || k.shapeI.Length != rank || v.shapeI.Length != rank || q.dtype != k.dtype || q.dtype != v.dtype
            || (q.dtype != ScalarType.Float32 && q.dtype != ScalarType.Float64)
            || q.shapeI[^1] != k.shapeI[^1] || v.shapeI[^1] != q.shapeI[^1] || k.shapeI[^2] != v.shapeI[^2]
            || !q.shapeI[..^2].AsSpan().SequenceEqual(k.shapeI[..^2]) || !q.shapeI[..^2].AsSpan().SequenceEqual(v.shapeI[..^2]))
        {
            return null; // broadcast batch dims or a different value width: the composed path handles them
        }
        int tq = q.shapeI[^2], tk = k.shapeI[^2], d = q.shapeI[^1];
        int bh = 1;
        for (int i = 0; i < rank - 2; i++)
        {
            bh *= q.shapeI[i];
        }
        if (keyMask is not null && !KeyMaskLayout(keyMask, q.shapeI, tk, out _))
        {
            return null; // a mask that varies over queries: the composed path
        }
        return q.dtype == ScalarType.Float32
            ? Run<float>(q, k, v, keyMask, bh, tq, tk, d, causal, scale, needGrad, out backward)
            : Run<double>(q, k, v, keyMask, bh, tq, tk, d, causal, scale, needGrad, out backward);
    }

    private static Tensor Run<T>(Tensor q, Tensor k, Tensor v, Tensor? keyMask, int bh, int tq, int tk, int d,
        bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Dense private copies (O(T·d) each): the backward reads them after the caller has disposed its views.
        T[] qa = Dense<T>(q), ka = Dense<T>(k), va = Dense<T>(v);
        T[]? ba = null;
        int[]? biasRow = null;
        if (keyMask is not null)
        {
            (ba, biasRow) = KeyBias<T>(keyMask, q.shapeI, tk);
        }
        var y = NewTensor([.. q.shapeI], q.dtype);
        var o = y.Raw<T>();
        var rowMax = new T[bh * tq];
        var rowInvSum = new T[bh * tq];
        T sc = T.CreateTruncating(scale);
        FlashAttention.Forward(qa, ka, va, bh, tq, tk, d, causal, sc, ba, biasRow, o, rowMax, rowInvSum);
        if (!needGrad)
        {
            backward = null;
            return y;
        }
        T[] oa = o.AsSpan(y.offset, bh * tq * d).ToArray();
        int[] qShape = [.. q.shapeI], kShape = [.. k.shapeI];
        backward = g =>
        {
            T[] ga = Dense<T>(g);
            var dq = NewTensor(qShape, q.dtype);
            var dk = NewTensor(kShape, q.dtype);
            var dv = NewTensor(kShape, q.dtype);
            FlashAttention.Backward(qa, ka, va, oa, rowMax, rowInvSum, ga, bh, tq, tk, d, causal, sc, ba, biasRow, dq.Raw<T>(), dk.Raw<T>(), dv.Raw<T>());
            return [dq, dk, dv];
        };
        return y;
    }

    private static T[] Dense<T>(Tensor t) where T : unmanaged
    {
        var c = Contig(t);
        try
        {
            return c.Raw<T>().AsSpan(c.offset, c.numelI).ToArray();
        }
        finally
        {
            if (!ReferenceEquals(c, t))
            {
                c.Dispose();
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="mask"/> is a per-key mask the kernel takes: its query dim is 1 (or absent), its last dim
    /// is the keys, its batch dims broadcast to q's, and it is bool (true keeps a key) or float (added to the scores).
    /// </summary>
    private static bool KeyMaskLayout(Tensor mask, int[] qShape, int tk, out int[] shape)
    {
        int rank = qShape.Length;
        var ms = mask.shapeI;
        shape = new int[rank];
        if (ms.Length > rank || ms.Length == 0 || mask.requires_grad || ms[^1] != tk || (ms.Length >= 2 && ms[^2] != 1)
            || mask.dtype is not (ScalarType.Bool or ScalarType.Float32 or ScalarType.Float64))
        {
            return false;
        }
        for (int i = 0; i < rank; i++)
        {
            int j = i - (rank - ms.Length);
            shape[i] = j < 0 ? 1 : ms[j];
            if (i < rank - 2 && shape[i] != 1 && shape[i] != qShape[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The mask as an additive bias [rows, Tk] (0 / -inf for a bool mask) and the row each batch-head reads.</summary>
    private static (T[] Bias, int[] Row) KeyBias<T>(Tensor mask, int[] qShape, int tk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KeyMaskLayout(mask, qShape, tk, out var shape);
        int batchRank = qShape.Length - 2, bh = 1;
        for (int i = 0; i < batchRank; i++)
        {
            bh *= qShape[i];
        }
        T[] bias;
        if (mask.dtype == ScalarType.Bool)
        {
            bool[] keep = Dense<bool>(mask);
            bias = new T[keep.Length];
            for (int i = 0; i < keep.Length; i++)
            {
                bias[i] = keep[i] ? T.Zero : T.NegativeInfinity;
            }
        }
        else if (mask.dtype == ScalarType.Float32)
        {
            bias = [.. Dense<float>(mask).Select(T.CreateTruncating)];
        }
        else
        {
            bias = [.. Dense<double>(mask).Select(T.CreateTruncating)];
        }
        var rowOf = new int[bh];
        var index = new int[batchRank];
        for (int h = 0; h < bh; h++)
        {
            int rem = h, row = 0, stride = 1;
            for (int i = batchRank - 1; i >= 0; i--)
            {
                index[i] = rem % qShape[i];
                rem /= qShape[i];
            }
            for (int i = batchRank - 1; i >= 0; i--)
            {
                row += (shape[i] == 1 ? 0 : index[i]) * stride;
                stride *= shape[i];
            }
            rowOf[h] = row;
        }
        return (bias, rowOf);
    }
}
