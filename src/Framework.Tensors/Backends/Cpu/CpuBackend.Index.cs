using System.Numerics;
using static AlignFx.Tensors.torch;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Backends.Cpu;

internal sealed partial class CpuBackend
{
    private static int CheckIndex(long v, int size)
    {
        long i = v < 0 ? v + size : v;
        if (i < 0 || i >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(v), $"Index {v} is out of bounds for a dimension of size {size}.");
        }
        return (int)i;
    }

    /// <summary>x's strides with dimension dim zeroed, broadcast over the index's shape (the index supplies that coordinate).</summary>
    private static int[] StridesWithout(Tensor x, int dim)
    {
        var s = (int[])x.stridesI.Clone();
        s[dim] = 0;
        return s;
    }

    public void Gather(Tensor x, int dim, Tensor index, Tensor dst)
    {
        switch (x.dtype)
        {
            case ScalarType.Float32: GatherT<float>(x, dim, index, dst); break;
            case ScalarType.Float64: GatherT<double>(x, dim, index, dst); break;
            case ScalarType.Int64: GatherT<long>(x, dim, index, dst); break;
            default: GatherT<bool>(x, dim, index, dst); break;
        }
    }

    private static void GatherT<T>(Tensor x, int dim, Tensor index, Tensor dst) where T : unmanaged
    {
        var xs = x.Raw<T>();
        var ids = index.Raw<long>();
        var d = dst.Raw<T>();
        int size = x.shapeI[dim], sdim = x.stridesI[dim];
        var w = new Walker(index.shapeI, [index.offset, dst.offset, x.offset], index.stridesI, dst.stridesI, StridesWithout(x, dim));
        for (int i = 0; i < index.numelI; i++, w.Next())
        {
            d[w.Off[1]] = xs[w.Off[2] + CheckIndex(ids[w.Off[0]], size) * sdim];
        }
    }

    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: ScatterAddT<float>(dst, dim, index, src); break;
            case ScalarType.Float64: ScatterAddT<double>(dst, dim, index, src); break;
            case ScalarType.Int64: ScatterAddT<long>(dst, dim, index, src); break;
            default: throw new NotSupportedException("scatter_add is not defined for bool tensors.");
        }
    }

    private static void ScatterAddT<T>(Tensor dst, int dim, Tensor index, Tensor src) where T : unmanaged, INumber<T>
    {
        var ss = src.Raw<T>();
        var ids = index.Raw<long>();
        var d = dst.Raw<T>();
        int size = dst.shapeI[dim], sdim = dst.stridesI[dim];
        var w = new Walker(index.shapeI, [index.offset, src.offset, dst.offset], index.stridesI, src.stridesI, StridesWithout(dst, dim));
        for (int i = 0; i < index.numelI; i++, w.Next())
        {
            d[w.Off[2] + CheckIndex(ids[w.Off[0]], size) * sdim] += ss[w.Off[1]];
        }
    }

    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst)
    {
        var ids = index.Raw<long>();
        int n = index.numelI, size = x.shapeI[dim];
        if (dim == 0 && x.is_contiguous() && dst.is_contiguous())
        {
            // Row gather (embeddings): one block copy per index.
            int row = size == 0 ? 0 : x.numelI / size;
            for (int i = 0; i < n; i++)
            {
                int r = CheckIndex(ids[index.offset + i * (index.shapeI.Length == 0 ? 0 : index.stridesI[0])], size);
                CopyBlock(x, x.offset + r * row, dst, dst.offset + i * row, row);
            }
            return;
        }
        for (int i = 0; i < n; i++)
        {
            int r = CheckIndex(ids[index.offset + i * (index.shapeI.Length == 0 ? 0 : index.stridesI[0])], size);
            using var from = SelectView(x, dim, r);
            using var to = SelectView(dst, dim, i);
            Copy(from, to);
        }
    }

    private static void CopyBlock(Tensor src, int so, Tensor dst, int dof, int count)
    {
        switch (src.dtype)
        {
            case ScalarType.Float32: Array.Copy(src.Raw<float>(), so, dst.Raw<float>(), dof, count); break;
            case ScalarType.Float64: Array.Copy(src.Raw<double>(), so, dst.Raw<double>(), dof, count); break;
            case ScalarType.Int64: Array.Copy(src.Raw<long>(), so, dst.Raw<long>(), dof, count); break;
            default: Array.Copy(src.Raw<bool>(), so, dst.Raw<bool>(), dof, count); break;
        }
    }

    private static Tensor SelectView(Tensor t, int dim, int i)
    {
        var shape = new int[t.shapeI.Length - 1];
        var strides = new int[shape.Length];
        for (int k = 0, j = 0; k < t.shapeI.Length; k++)
        {
            if (k != dim)
            {
                shape[j] = t.shapeI[k];
                strides[j++] = t.stridesI[k];
            }
        }
        return new Tensor(t.storage, shape, strides, t.offset + i * t.stridesI[dim]);
    }

    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        var ids = index.Raw<long>();
        int n = index.numelI, size = dst.shapeI[dim];
        int ist = index.shapeI.Length == 0 ? 0 : index.stridesI[0];
        if (dim == 0 && dst.is_contiguous() && src.is_contiguous() && dst.dtype is ScalarType.Float32 or ScalarType.Float64)
        {
            int row = size == 0 ? 0 : dst.numelI / size;
            for (int i = 0; i < n; i++)
            {
                int r = CheckIndex(ids[index.offset + i * ist], size);
                if (dst.dtype == ScalarType.Float32)
                {
                    var o = dst.Raw<float>().AsSpan(dst.offset + r * row, row);
                    TP.Add(o, src.Raw<float>().AsSpan(src.offset + i * row, row), o);
                }
                else
                {
                    var o = dst.Raw<double>().AsSpan(dst.offset + r * row, row);
                    TP.Add(o, src.Raw<double>().AsSpan(src.offset + i * row, row), o);
                }
            }
            return;
        }
        for (int i = 0; i < n; i++)
        {
            int r = CheckIndex(ids[index.offset + i * ist], size);
            using var to = SelectView(dst, dim, r);
            using var from = SelectView(src, dim, i);
            Binary(BinaryOp.Add, to, from, to);
        }
    }

    public void Triangle(Tensor x, Tensor dst, int diagonal, bool upper)
    {
        Copy(x, dst);
        int rank = dst.shapeI.Length;
        int rows = dst.shapeI[rank - 2], cols = dst.shapeI[rank - 1];
        int mats = rows * cols == 0 ? 0 : dst.numelI / (rows * cols);
        for (int mIdx = 0; mIdx < mats; mIdx++)
        {
            for (int i = 0; i < rows; i++)
            {
                // lower keeps j <= i + diagonal; upper keeps j >= i + diagonal.
                int from, to;
                if (upper)
                {
                    from = 0;
                    to = Math.Clamp(i + diagonal, 0, cols);
                }
                else
                {
                    from = Math.Clamp(i + diagonal + 1, 0, cols);
                    to = cols;
                }
                int baseOff = dst.offset + mIdx * rows * cols + i * cols;
                ClearRange(dst, baseOff + from, to - from);
            }
        }
    }

    private static void ClearRange(Tensor t, int start, int count)
    {
        if (count <= 0)
        {
            return;
        }
        switch (t.dtype)
        {
            case ScalarType.Float32: t.Raw<float>().AsSpan(start, count).Clear(); break;
            case ScalarType.Float64: t.Raw<double>().AsSpan(start, count).Clear(); break;
            case ScalarType.Int64: t.Raw<long>().AsSpan(start, count).Clear(); break;
            default: t.Raw<bool>().AsSpan(start, count).Clear(); break;
        }
    }

    public void Uniform(Tensor dst, double low, double high, Generator generator)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: generator.FillUniform(dst.Raw<float>().AsSpan(dst.offset, dst.numelI), low, high); break;
            case ScalarType.Float64: generator.FillUniform(dst.Raw<double>().AsSpan(dst.offset, dst.numelI), low, high); break;
            default: throw new NotSupportedException($"Uniform draws are defined for float tensors, not {dst.dtype}.");
        }
    }

    public void Normal(Tensor dst, double mean, double std, Generator generator)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: generator.FillNormal(dst.Raw<float>().AsSpan(dst.offset, dst.numelI), mean, std); break;
            case ScalarType.Float64: generator.FillNormal(dst.Raw<double>().AsSpan(dst.offset, dst.numelI), mean, std); break;
            default: throw new NotSupportedException($"Normal draws are defined for float tensors, not {dst.dtype}.");
        }
    }

    public void RandInt(Tensor dst, long low, long high, Generator generator)
    {
        if (dst.dtype != ScalarType.Int64)
        {
            using var tmp = NewTensor(dst.shapeI, ScalarType.Int64);
            generator.FillIntegers(tmp.Raw<long>().AsSpan(0, tmp.numelI), low, high);
            Copy(tmp, dst);
            return;
        }
        generator.FillIntegers(dst.Raw<long>().AsSpan(dst.offset, dst.numelI), low, high);
    }

    public void Multinomial(Tensor weights, int numSamples, bool replacement, Generator generator, Tensor dst)
    {
        int c = weights.shapeI[^1];
        int rows = c == 0 ? 0 : weights.numelI / c;
        using var w64 = NewTensor(weights.shapeI, ScalarType.Float64);
        Copy(weights, w64);
        var w = w64.Raw<double>();
        var d = dst.Raw<long>();
        var cum = new double[c];
        lock (generator)
        {
            for (int r = 0; r < rows; r++)
            {
                var row = w.AsSpan(r * c, c);
                for (int s = 0; s < numSamples; s++)
                {
                    double total = 0;
                    for (int j = 0; j < c; j++)
                    {
                        double v = row[j];
                        if (v < 0 || double.IsNaN(v) || double.IsInfinity(v))
                        {
                            throw new ArgumentException("multinomial weights must be finite and non-negative.");
                        }
                        total += v;
                        cum[j] = total;
                    }
                    if (total <= 0)
                    {
                        throw new ArgumentException(replacement
                            ? "multinomial weights sum to zero."
                            : "multinomial without replacement asked for more samples than non-zero weights.");
                    }
                    double u = generator.NextDouble() * total;
                    int pick = Array.BinarySearch(cum, u);
                    pick = pick < 0 ? ~pick : pick + 1;
                    // Skip zero-weight categories that share the cumulative value.
                    while (pick < c - 1 && row[pick] == 0)
                    {
                        pick++;
                    }
                    pick = Math.Min(pick, c - 1);
                    d[dst.offset + r * numSamples + s] = pick;
                    if (!replacement)
                    {
                        row[pick] = 0;
                    }
                }
            }
        }
    }
}
