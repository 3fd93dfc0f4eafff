using AlignFx.Tensors.Autograd;
using AlignFx.Tensors.Backends;

namespace AlignFx.Tensors;

public static partial class torch
{
    private static Tensor Finish(Tensor t, bool requires_grad) => requires_grad ? t.requires_grad_() : t;

    private static Tensor New(int[] shape, ScalarType? dtype, Device? device) => Tensor.Empty(shape, dtype ?? ScalarType.Float32, device);

    internal static Tensor zeros(int[] shape, ScalarType dtype)
    {
        var t = Tensor.Empty(shape, dtype);
        t.Backend.Fill(t, 0);
        return t;
    }
    /// <summary>Zeros of the given shape (float32 unless dtype says otherwise).</summary>
    public static Tensor zeros(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        t.Backend.Fill(t, 0);
        return Finish(t, requires_grad);
    }
    /// <summary>Zeros of the given shape (float32 unless dtype says otherwise).</summary>
    public static Tensor zeros(long d0, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => zeros([d0], dtype, device, requires_grad);
    /// <summary>Zeros of the given shape (float32 unless dtype says otherwise).</summary>
    public static Tensor zeros(long d0, long d1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => zeros([d0, d1], dtype, device, requires_grad);
    /// <summary>Zeros of the given shape (float32 unless dtype says otherwise).</summary>
    public static Tensor zeros(long d0, long d1, long d2, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => zeros([d0, d1, d2], dtype, device, requires_grad);
    /// <summary>Zeros of the given shape (float32 unless dtype says otherwise).</summary>
    public static Tensor zeros(long d0, long d1, long d2, long d3, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => zeros([d0, d1, d2, d3], dtype, device, requires_grad);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        t.Backend.Fill(t, 1);
        return Finish(t, requires_grad);
    }
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long d0, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => ones([d0], dtype, device, requires_grad);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long d0, long d1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => ones([d0, d1], dtype, device, requires_grad);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long d0, long d1, long d2, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => ones([d0, d1, d2], dtype, device, requires_grad);
    /// <summary>Ones of the given shape.</summary>
    public static Tensor ones(long d0, long d1, long d2, long d3, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => ones([d0, d1, d2, d3], dtype, device, requires_grad);
    /// <summary>An uninitialised tensor of the given shape (contents are whatever the pooled buffer held).</summary>
    public static Tensor empty(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        
        return Finish(t, requires_grad);
    }
    /// <summary>An uninitialised tensor of the given shape (contents are whatever the pooled buffer held).</summary>
    public static Tensor empty(long d0, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => empty([d0], dtype, device, requires_grad);
    /// <summary>An uninitialised tensor of the given shape (contents are whatever the pooled buffer held).</summary>
    public static Tensor empty(long d0, long d1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => empty([d0, d1], dtype, device, requires_grad);
    /// <summary>An uninitialised tensor of the given shape (contents are whatever the pooled buffer held).</summary>
    public static Tensor empty(long d0, long d1, long d2, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => empty([d0, d1, d2], dtype, device, requires_grad);
    /// <summary>An uninitialised tensor of the given shape (contents are whatever the pooled buffer held).</summary>
    public static Tensor empty(long d0, long d1, long d2, long d3, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => empty([d0, d1, d2, d3], dtype, device, requires_grad);
    /// <summary>Standard normal draws (Box–Muller over the generator's stream).</summary>
    public static Tensor randn(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        t.Backend.Normal(t, 0, 1, generator ?? default_generator);
        return Finish(t, requires_grad);
    }
    /// <summary>Standard normal draws (Box–Muller over the generator's stream).</summary>
    public static Tensor randn(long d0, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => randn([d0], dtype, device, requires_grad, generator);
    /// <summary>Standard normal draws (Box–Muller over the generator's stream).</summary>
    public static Tensor randn(long d0, long d1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => randn([d0, d1], dtype, device, requires_grad, generator);
    /// <summary>Standard normal draws (Box–Muller over the generator's stream).</summary>
    public static Tensor randn(long d0, long d1, long d2, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => randn([d0, d1, d2], dtype, device, requires_grad, generator);
    /// <summary>Standard normal draws (Box–Muller over the generator's stream).</summary>
    public static Tensor randn(long d0, long d1, long d2, long d3, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => randn([d0, d1, d2, d3], dtype, device, requires_grad, generator);
    /// <summary>Uniform draws from [0, 1).</summary>
    public static Tensor rand(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        t.Backend.Uniform(t, 0, 1, generator ?? default_generator);
        return Finish(t, requires_grad);
    }
    /// <summary>Uniform draws from [0, 1).</summary>
    public static Tensor rand(long d0, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => rand([d0], dtype, device, requires_grad, generator);
    /// <summary>Uniform draws from [0, 1).</summary>
    public static Tensor rand(long d0, long d1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => rand([d0, d1], dtype, device, requires_grad, generator);
    /// <summary>Uniform draws from [0, 1).</summary>
    public static Tensor rand(long d0, long d1, long d2, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => rand([d0, d1, d2], dtype, device, requires_grad, generator);
    /// <summary>Uniform draws from [0, 1).</summary>
    public static Tensor rand(long d0, long d1, long d2, long d3, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null) => rand([d0, d1, d2, d3], dtype, device, requires_grad, generator);
    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor full(long[] size, double value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var t = New(Shapes.ToInt(size), dtype, device);
        t.Backend.Fill(t, value);
        return Finish(t, requires_grad);
    }

    private static Tensor Like(Tensor t, ScalarType? dtype) => Tensor.Empty(t.shapeI, dtype ?? t.dtype, t.device);

    /// <summary>Zeros shaped like <paramref name="input"/>.</summary>
    public static Tensor zeros_like(Tensor input, ScalarType? dtype = null, bool requires_grad = false)
    {
        var t = Like(input, dtype);
        t.Backend.Fill(t, 0);
        return Finish(t, requires_grad);
    }

    /// <summary>Ones shaped like <paramref name="input"/>.</summary>
    public static Tensor ones_like(Tensor input, ScalarType? dtype = null, bool requires_grad = false)
    {
        var t = Like(input, dtype);
        t.Backend.Fill(t, 1);
        return Finish(t, requires_grad);
    }

    /// <summary>An uninitialised tensor shaped like <paramref name="input"/>.</summary>
    public static Tensor empty_like(Tensor input, ScalarType? dtype = null, bool requires_grad = false) => Finish(Like(input, dtype), requires_grad);

    /// <summary>A tensor shaped like <paramref name="input"/> filled with <paramref name="value"/>.</summary>
    public static Tensor full_like(Tensor input, double value, ScalarType? dtype = null, bool requires_grad = false)
    {
        var t = Like(input, dtype);
        t.Backend.Fill(t, value);
        return Finish(t, requires_grad);
    }

    /// <summary>Standard normals shaped like <paramref name="input"/>.</summary>
    public static Tensor randn_like(Tensor input, ScalarType? dtype = null, bool requires_grad = false, Generator? generator = null)
    {
        var t = Like(input, dtype);
        t.Backend.Normal(t, 0, 1, generator ?? default_generator);
        return Finish(t, requires_grad);
    }

    /// <summary>Uniform [0, 1) draws shaped like <paramref name="input"/>.</summary>
    public static Tensor rand_like(Tensor input, ScalarType? dtype = null, bool requires_grad = false, Generator? generator = null)
    {
        var t = Like(input, dtype);
        t.Backend.Uniform(t, 0, 1, generator ?? default_generator);
        return Finish(t, requires_grad);
    }

    /// <summary>Uniform integers from [0, high) (int64 unless dtype says otherwise).</summary>
    public static Tensor randint(long high, long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null) =>
        randint(0, high, size, dtype, device, generator);

    /// <summary>Uniform integers from [low, high).</summary>
    public static Tensor randint(long low, long high, long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var t = Tensor.Empty(Shapes.ToInt(size), dtype ?? ScalarType.Int64, device);
        t.Backend.RandInt(t, low, high, generator ?? default_generator);
        return t;
    }

    /// <summary>0, 1, ..., end-1 (int64 unless dtype says otherwise).</summary>
    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        arange(0, end, 1, dtype, device, requires_grad);

    /// <summary>start, start+step, ... below end (int64 unless dtype says otherwise).</summary>
    public static Tensor arange(long start, long end, long step = 1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        if (step == 0)
        {
            throw new ArgumentException("arange step must be non-zero.");
        }
        long n = Math.Max(0, (end - start + step - Math.Sign(step)) / step);
        var vals = new long[n];
        for (long i = 0; i < n; i++)
        {
            vals[i] = start + i * step;
        }
        var t = tensor(vals, [n]);
        var typed = dtype is null || dtype == ScalarType.Int64 ? t : t.to(dtype.Value);
        return Finish(typed, requires_grad);
    }

    /// <summary>start, start+step, ... below end as floats (float32 unless dtype says otherwise).</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        if (step == 0)
        {
            throw new ArgumentException("arange step must be non-zero.");
        }
        long n = Math.Max(0, (long)Math.Ceiling((end - start) / step));
        var vals = new double[n];
        for (long i = 0; i < n; i++)
        {
            vals[i] = start + i * step;
        }
        var t = tensor(vals, [n]);
        var typed = (dtype ?? ScalarType.Float32) == ScalarType.Float64 ? t : t.to(dtype ?? ScalarType.Float32);
        return Finish(typed, requires_grad);
    }

    /// <summary>An identity matrix of n rows and m (default n) columns.</summary>
    public static Tensor eye(long n, long m = -1, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        long cols = m < 0 ? n : m;
        var t = zeros([n, cols], dtype, device);
        using (no_grad())
        {
            for (long i = 0; i < Math.Min(n, cols); i++)
            {
                using var row = t.select(0, i);
                using var e = row.select(0, i);
                e.fill_(1);
            }
        }
        return Finish(t, requires_grad);
    }

    private static Tensor FromArray<T>(T[] data, long[]? dimensions, ScalarType natural, ScalarType? dtype, bool requires_grad) where T : unmanaged
    {
        var shape = dimensions is null ? [data.Length] : Shapes.ToInt(dimensions);
        if (Shapes.Numel(shape) != data.Length)
        {
            throw new ArgumentException($"{data.Length} values do not fill shape {Shapes.Format(shape)}.");
        }
        var t = Tensor.Empty(shape, natural, CPU);
        data.AsSpan().CopyTo(t.HostElements<T>());
        if (!DefaultDevice.Equals(CPU))
        {
            var moved = t.to(DefaultDevice);
            t.Dispose();
            t = moved;
        }
        var typed = dtype is null || dtype == natural ? t : t.to(dtype.Value);
        return Finish(typed, requires_grad);
    }

    /// <summary>A float32 tensor holding <paramref name="data"/> in the given shape (1-D by default).</summary>
    public static Tensor tensor(float[] data, long[]? dimensions = null, ScalarType? dtype = null, bool requires_grad = false) =>
        FromArray(data, dimensions, ScalarType.Float32, dtype, requires_grad);

    /// <summary>A float64 tensor holding <paramref name="data"/>.</summary>
    public static Tensor tensor(double[] data, long[]? dimensions = null, ScalarType? dtype = null, bool requires_grad = false) =>
        FromArray(data, dimensions, ScalarType.Float64, dtype, requires_grad);

    /// <summary>An int64 tensor holding <paramref name="data"/>.</summary>
    public static Tensor tensor(long[] data, long[]? dimensions = null, ScalarType? dtype = null, bool requires_grad = false) =>
        FromArray(data, dimensions, ScalarType.Int64, dtype, requires_grad);

    /// <summary>An int64 tensor holding <paramref name="data"/>.</summary>
    public static Tensor tensor(int[] data, long[]? dimensions = null, ScalarType? dtype = null, bool requires_grad = false) =>
        FromArray(Array.ConvertAll(data, v => (long)v), dimensions, ScalarType.Int64, dtype, requires_grad);

    /// <summary>A bool tensor holding <paramref name="data"/>.</summary>
    public static Tensor tensor(bool[] data, long[]? dimensions = null, bool requires_grad = false) =>
        FromArray(data, dimensions, ScalarType.Bool, null, requires_grad);

    /// <summary>A 2-D float32 tensor.</summary>
    public static Tensor tensor(float[,] data, ScalarType? dtype = null, bool requires_grad = false)
    {
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(float));
        return tensor(flat, [data.GetLength(0), data.GetLength(1)], dtype, requires_grad);
    }

    /// <summary>A 2-D float64 tensor.</summary>
    public static Tensor tensor(double[,] data, ScalarType? dtype = null, bool requires_grad = false)
    {
        var flat = new double[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(double));
        return tensor(flat, [data.GetLength(0), data.GetLength(1)], dtype, requires_grad);
    }

    /// <summary>A 0-d float32 tensor.</summary>
    public static Tensor tensor(float value, ScalarType? dtype = null, bool requires_grad = false) => tensor([value], [], dtype, requires_grad);

    /// <summary>A 0-d float64 tensor.</summary>
    public static Tensor tensor(double value, ScalarType? dtype = null, bool requires_grad = false) => tensor([value], [], dtype, requires_grad);

    /// <summary>A 0-d int64 tensor.</summary>
    public static Tensor tensor(long value, ScalarType? dtype = null) => tensor([value], [], dtype);

    /// <summary>
    /// Draws <paramref name="num_samples"/> category indices per row of non-negative weights (1-D [C] or 2-D [N, C]).
    /// </summary>
    public static Tensor multinomial(Tensor input, long num_samples, bool replacement = false, Generator? generator = null)
    {
        if (input.Dimensions is < 1 or > 2)
        {
            throw new ArgumentException("multinomial needs a 1-D or 2-D weight tensor.");
        }
        int c = input.shapeI[^1];
        if (!replacement && num_samples > c)
        {
            throw new ArgumentException("multinomial without replacement cannot draw more samples than categories.");
        }
        int rows = input.Dimensions == 2 ? input.shapeI[0] : 1;
        var t = Tensor.Empty(input.Dimensions == 2 ? [rows, (int)num_samples] : [(int)num_samples], ScalarType.Int64, input.device);
        t.Backend.Multinomial(input, (int)num_samples, replacement, generator ?? default_generator, t);
        return t;
    }

    /// <summary>One category per row drawn from softmax(logits) (logits [.., C]); returns int64 [..].</summary>
    public static Tensor sample_categorical(Tensor logits, Generator? generator = null)
    {
        using var _ = no_grad();
        using var probs = logits.softmax(-1);
        using var flat = probs.reshape(-1, logits.shapeI[^1]);
        using var s = multinomial(flat, 1, true, generator);
        return s.reshape(logits.shape[..^1]);
    }
}
