namespace AlignFx.Tensors;

/// <summary>Shape and stride arithmetic shared by the tensor and the kernels.</summary>
internal static class Shapes
{
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var s in shape)
        {
            n *= s;
        }
        if (n > Array.MaxLength)
        {
            throw new ArgumentException($"A tensor of shape {Format(shape)} has more elements than one buffer can hold.");
        }
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var st = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            st[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return st;
    }

    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != acc)
            {
                return false;
            }
            acc *= shape[i];
        }
        return true;
    }

    public static int Dim(long dim, int rank)
    {
        int r = Math.Max(rank, 1);
        long d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor with {rank} dimensions.");
        }
        return (int)d;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static int[] ToInt(ReadOnlySpan<long> shape)
    {
        var r = new int[shape.Length];
        for (int i = 0; i < r.Length; i++)
        {
            if (shape[i] < -1 || shape[i] > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"Invalid size {shape[i]}.");
            }
            r[i] = (int)shape[i];
        }
        return r;
    }

    /// <summary>The broadcast of two shapes (numpy rules), or an exception naming both.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            int db = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"Shapes {Format(a)} and {Format(b)} cannot be broadcast together.");
            }
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides that read a tensor of (shape, strides) as if it had shape <paramref name="target"/> (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        var r = new int[target.Length];
        int lead = target.Length - shape.Length;
        if (lead < 0)
        {
            throw new ArgumentException($"Cannot broadcast shape {Format(shape)} to {Format(target)}.");
        }
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == target[i + lead])
            {
                r[i + lead] = shape[i] == 1 ? 0 : strides[i];
            }
            else if (shape[i] == 1)
            {
                r[i + lead] = 0;
            }
            else
            {
                throw new ArgumentException($"Cannot broadcast shape {Format(shape)} to {Format(target)}.");
            }
        }
        return r;
    }

    /// <summary>
    /// Strides that view (oldShape, oldStrides) as newShape without copying, or null when impossible
    /// (the chunk rule: each run of merged dimensions must be contiguous within itself).
    /// </summary>
    public static int[]? ViewStrides(ReadOnlySpan<int> oldShape, ReadOnlySpan<int> oldStrides, int[] newShape)
    {
        if (IsContiguous(oldShape, oldStrides))
        {
            return ContiguousStrides(newShape);
        }
        var newStrides = new int[newShape.Length];
        if (oldShape.Length == 0)
        {
            return newStrides;
        }
        int viewD = newShape.Length - 1;
        long chunkBase = oldStrides[^1];
        long tensorNumel = 1, viewNumel = 1;
        for (int td = oldShape.Length - 1; td >= 0; td--)
        {
            tensorNumel *= oldShape[td];
            if (td == 0 || (oldShape[td - 1] != 1 && oldStrides[td - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel)
                {
                    return null;
                }
                if (td > 0)
                {
                    chunkBase = oldStrides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /// <summary>Resolves a single -1 in a requested shape against a total element count.</summary>
    public static int[] Infer(ReadOnlySpan<long> requested, int numel)
    {
        var r = ToInt(requested);
        int infer = -1;
        long known = 1;
        for (int i = 0; i < r.Length; i++)
        {
            if (r[i] == -1)
            {
                if (infer >= 0)
                {
                    throw new ArgumentException("Only one dimension can be inferred (-1).");
                }
                infer = i;
            }
            else
            {
                known *= r[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
            {
                throw new ArgumentException($"Shape {Format(r)} is invalid for {numel} elements.");
            }
            r[infer] = (int)(numel / known);
        }
        else if (known != numel)
        {
            throw new ArgumentException($"Shape {Format(r)} is invalid for {numel} elements.");
        }
        return r;
    }
}
