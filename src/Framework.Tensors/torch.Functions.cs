using AlignFx.Tensors.Autograd;

namespace AlignFx.Tensors;

public static partial class torch
{
    /// <summary>The common type of two element types (bool &lt; int64 &lt; float32 &lt; float64).</summary>
    internal static ScalarType PromoteTypes(ScalarType a, ScalarType b)
    {
        static int Rank(ScalarType t) => t switch { ScalarType.Bool => 0, ScalarType.Int64 => 1, ScalarType.Float32 => 2, _ => 3 };
        return Rank(a) >= Rank(b) ? a : b;
    }

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor cat(IList<Tensor> tensors, long dim = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("cat needs at least one tensor.");
        }
        var first = tensors[0];
        int rank = first.shapeI.Length;
        int d = Shapes.Dim(dim, rank);
        var dtype = first.dtype;
        foreach (var t in tensors)
        {
            dtype = PromoteTypes(dtype, t.dtype);
        }
        var shape = (int[])first.shapeI.Clone();
        shape[d] = 0;
        var sizes = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (t.shapeI.Length != rank)
            {
                throw new ArgumentException("cat needs tensors with the same number of dimensions.");
            }
            for (int k = 0; k < rank; k++)
            {
                if (k != d && t.shapeI[k] != first.shapeI[k])
                {
                    throw new ArgumentException($"cat: shapes {Shapes.Format(first.shapeI)} and {Shapes.Format(t.shapeI)} differ outside dimension {d}.");
                }
            }
            sizes[i] = t.shapeI[d];
            shape[d] += sizes[i];
        }
        var r = Tensor.Empty(shape, dtype, first.device);
        int at = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            using (no_grad())
            {
                using var part = r.narrow(d, at, sizes[i]);
                r.Backend.Copy(tensors[i], part);
            }
            at += sizes[i];
        }
        var inputs = tensors.ToArray();
        if (Node.ShouldRecord(inputs))
        {
            Node.Record(r, "CatBackward0", inputs, (g, need) =>
            {
                var grads = new Tensor?[inputs.Length];
                int off = 0;
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (need[i])
                    {
                        var piece = g.narrow(d, off, sizes[i]);
                        grads[i] = piece.dtype == inputs[i].dtype ? piece : piece.to(inputs[i].dtype);
                    }
                    off += sizes[i];
                }
                return grads;
            });
        }
        return r;
    }

    /// <summary>Joins tensors of equal shape along a new dimension.</summary>
    public static Tensor stack(IList<Tensor> tensors, long dim = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("stack needs at least one tensor.");
        }
        var rank = tensors[0].shapeI.Length;
        long d = dim < 0 ? dim + rank + 1 : dim;
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!Shapes.Equal(tensors[i].shapeI, tensors[0].shapeI))
            {
                throw new ArgumentException("stack needs tensors of equal shape.");
            }
            parts[i] = tensors[i].unsqueeze(d);
        }
        var r = cat(parts, d);
        foreach (var p in parts)
        {
            p.Dispose();
        }
        return r;
    }

    /// <summary>Picks x where condition is true and y elsewhere, broadcasting all three.</summary>
    public static Tensor where(Tensor condition, Tensor x, Tensor y)
    {
        if (condition.dtype != ScalarType.Bool)
        {
            throw new ArgumentException("where needs a bool condition.");
        }
        if (x.dtype != y.dtype)
        {
            var target = PromoteTypes(x.dtype, y.dtype);
            x = x.to(target);
            y = y.to(target);
        }
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition.shapeI, x.shapeI), y.shapeI);
        var r = Tensor.Empty(shape, x.dtype, x.device);
        r.Backend.Where(condition, x, y, r);
        if (Node.ShouldRecord(x, y))
        {
            Node.Record(r, "WhereBackward0", [x, y], (g, need) =>
            {
                Tensor? gx = null, gy = null;
                if (need[0])
                {
                    using var zero = zeros([], g.dtype);
                    var full = where(condition, g, zero);
                    gx = full.SumTo(x.shapeI);
                }
                if (need[1])
                {
                    using var zero = zeros([], g.dtype);
                    var full = where(condition, zero, g);
                    gy = full.SumTo(y.shapeI);
                }
                return [gx, gy];
            }, condition);
        }
        return r;
    }

    /// <summary>Picks x where condition is true and the scalar y elsewhere.</summary>
    public static Tensor where(Tensor condition, Tensor x, double y)
    {
        using var s = full([], y, x.dtype);
        return where(condition, x, s);
    }

    /// <summary>Picks the scalar x where condition is true and y elsewhere.</summary>
    public static Tensor where(Tensor condition, double x, Tensor y)
    {
        using var s = full([], x, y.dtype);
        return where(condition, s, y);
    }

    // Static mirrors of tensor methods, as in PyTorch.

    /// <summary>Matrix product (see <see cref="Tensor.matmul"/>).</summary>
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    /// <summary>Matrix product of 2-D tensors.</summary>
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    /// <summary>Batched matrix product of 3-D tensors.</summary>
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    /// <summary>Softmax over a dimension.</summary>
    public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);
    /// <summary>Log-softmax over a dimension.</summary>
    public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);
    /// <summary>e^x.</summary>
    public static Tensor exp(Tensor input) => input.exp();
    /// <summary>Natural logarithm.</summary>
    public static Tensor log(Tensor input) => input.log();
    /// <summary>Square root.</summary>
    public static Tensor sqrt(Tensor input) => input.sqrt();
    /// <summary>1 / sqrt(x).</summary>
    public static Tensor rsqrt(Tensor input) => input.rsqrt();
    /// <summary>Absolute value.</summary>
    public static Tensor abs(Tensor input) => input.abs();
    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor tanh(Tensor input) => input.tanh();
    /// <summary>Logistic sigmoid.</summary>
    public static Tensor sigmoid(Tensor input) => input.sigmoid();
    /// <summary>max(x, 0).</summary>
    public static Tensor relu(Tensor input) => input.relu();
    /// <summary>Clamp into [min, max].</summary>
    public static Tensor clamp(Tensor input, double? min = null, double? max = null) => input.clamp(min, max);
    /// <summary>Power with a scalar exponent.</summary>
    public static Tensor pow(Tensor input, double exponent) => input.pow(exponent);
    /// <summary>Power with a tensor exponent.</summary>
    public static Tensor pow(Tensor input, Tensor exponent) => input.pow(exponent);
    /// <summary>Elementwise maximum.</summary>
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    /// <summary>Elementwise minimum.</summary>
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    /// <summary>Sum of all elements.</summary>
    public static Tensor sum(Tensor input) => input.sum();
    /// <summary>Sum over a dimension.</summary>
    public static Tensor sum(Tensor input, long dim, bool keepdim = false) => input.sum(dim, keepdim);
    /// <summary>Mean of all elements.</summary>
    public static Tensor mean(Tensor input) => input.mean();
    /// <summary>Mean over a dimension.</summary>
    public static Tensor mean(Tensor input, long dim, bool keepdim = false) => input.mean(dim, keepdim);
    /// <summary>Stable log-sum-exp over a dimension.</summary>
    public static Tensor logsumexp(Tensor input, long dim, bool keepdim = false) => input.logsumexp(dim, keepdim);
    /// <summary>Index of the maximum.</summary>
    public static Tensor argmax(Tensor input, long? dim = null, bool keepdim = false) => input.argmax(dim, keepdim);
    /// <summary>Gathers along a dimension.</summary>
    public static Tensor gather(Tensor input, long dim, Tensor index) => input.gather(dim, index);
    /// <summary>Selects entries of a dimension.</summary>
    public static Tensor index_select(Tensor input, long dim, Tensor index) => input.index_select(dim, index);
    /// <summary>Lower triangle.</summary>
    public static Tensor tril(Tensor input, long diagonal = 0) => input.tril(diagonal);
    /// <summary>Upper triangle.</summary>
    public static Tensor triu(Tensor input, long diagonal = 0) => input.triu(diagonal);
    /// <summary>Elementwise ==.</summary>
    public static Tensor eq(Tensor a, Tensor b) => a.eq(b);
    /// <summary>Flattens dimensions start_dim..end_dim.</summary>
    public static Tensor flatten(Tensor input, long start_dim = 0, long end_dim = -1) => input.flatten(start_dim, end_dim);
    /// <summary>Splits into pieces of a size.</summary>
    public static Tensor[] split(Tensor input, long split_size, long dim = 0) => input.split(split_size, dim);
    /// <summary>Splits into a number of pieces.</summary>
    public static Tensor[] chunk(Tensor input, long chunks, long dim = 0) => input.chunk(chunks, dim);
}
