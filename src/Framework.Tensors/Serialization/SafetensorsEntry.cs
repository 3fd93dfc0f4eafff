using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;

namespace AlignFx.Tensors.Serialization;

/// <summary>
/// One tensor of a safetensors file at the raw level: its dtype name, its shape and its bytes
/// (little-endian, row-major, packed). The constructor checks that the three agree, so every
/// instance can be written. Equality compares dtype, shape and bytes.
/// </summary>
public sealed class SafetensorsEntry : IEquatable<SafetensorsEntry>
{
    private readonly long[] _shape;

    /// <summary>Creates an entry from raw bytes.</summary>
    /// <param name="dtype">A safetensors dtype name, see <see cref="SafetensorsDtypes"/>.</param>
    /// <param name="shape">The dimensions, outermost first; empty for a scalar. Copied.</param>
    /// <param name="data">Exactly element count x element size bytes, little-endian. Not copied: do not mutate it afterwards.</param>
    /// <exception cref="ArgumentException">Unknown dtype, negative dimension, or a data length that does not match.</exception>
    public SafetensorsEntry(string dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (!SafetensorsDtypes.TryGetSize(dtype, out int elementSize))
        {
            throw new ArgumentException($"Unknown safetensors dtype '{dtype}'.", nameof(dtype));
        }
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] has a negative dimension.", nameof(shape));
            }
            count = checked(count * dim);
        }
        long expectedBytes = checked(count * elementSize);
        if (data.Length != expectedBytes)
        {
            throw new ArgumentException(
                $"A {dtype} tensor of shape [{string.Join(", ", shape.ToArray())}] needs {expectedBytes} bytes, got {data.Length}.",
                nameof(data));
        }
        Dtype = dtype;
        _shape = shape.ToArray();
        Shape = Array.AsReadOnly(_shape);
        ElementCount = count;
        Data = data;
    }

    /// <summary>The safetensors dtype name, e.g. <c>"F32"</c>.</summary>
    public string Dtype { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public ReadOnlyCollection<long> Shape { get; }

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The packed little-endian bytes of the tensor.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>A copy of the shape as an array (the form torch-style APIs take).</summary>
    public long[] ShapeArray() => (long[])_shape.Clone();

    /// <summary>An F32 entry holding <paramref name="values"/>; <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromFloats(ReadOnlySpan<float> values, long[]? shape = null)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        return new SafetensorsEntry(SafetensorsDtypes.F32, ShapeOrVector(shape, values.Length), bytes);
    }

    /// <summary>An F64 entry holding <paramref name="values"/>; <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromDoubles(ReadOnlySpan<double> values, long[]? shape = null)
    {
        var bytes = new byte[checked(values.Length * sizeof(double))];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)), values[i]);
        }
        return new SafetensorsEntry(SafetensorsDtypes.F64, ShapeOrVector(shape, values.Length), bytes);
    }

    /// <summary>An I64 entry holding <paramref name="values"/>; <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromInt64s(ReadOnlySpan<long> values, long[]? shape = null)
    {
        var bytes = new byte[checked(values.Length * sizeof(long))];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }
        return new SafetensorsEntry(SafetensorsDtypes.I64, ShapeOrVector(shape, values.Length), bytes);
    }

    /// <summary>An I32 entry holding <paramref name="values"/>; <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromInt32s(ReadOnlySpan<int> values, long[]? shape = null)
    {
        var bytes = new byte[checked(values.Length * sizeof(int))];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), values[i]);
        }
        return new SafetensorsEntry(SafetensorsDtypes.I32, ShapeOrVector(shape, values.Length), bytes);
    }

    /// <summary>A BOOL entry holding <paramref name="values"/> (one byte each, 0 or 1); <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromBools(ReadOnlySpan<bool> values, long[]? shape = null)
    {
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bytes[i] = values[i] ? (byte)1 : (byte)0;
        }
        return new SafetensorsEntry(SafetensorsDtypes.Bool, ShapeOrVector(shape, values.Length), bytes);
    }

    /// <summary>A U8 entry holding a copy of <paramref name="values"/>; <paramref name="shape"/> defaults to one dimension of their length (pass an empty array for a scalar).</summary>
    public static SafetensorsEntry FromBytes(ReadOnlySpan<byte> values, long[]? shape = null) =>
        new(SafetensorsDtypes.U8, ShapeOrVector(shape, values.Length), values.ToArray());

    /// <summary>The elements as floats. Accepts F32, and F16 and BF16 (widened exactly).</summary>
    /// <exception cref="InvalidOperationException">The dtype does not convert to float without loss.</exception>
    public float[] ToFloats()
    {
        var values = new float[ElementCount];
        CopyTo(values);
        return values;
    }

    /// <summary>Copies the elements into <paramref name="destination"/> as floats (F32, F16, BF16).</summary>
    /// <exception cref="ArgumentException">The destination length differs from <see cref="ElementCount"/>.</exception>
    /// <exception cref="InvalidOperationException">The dtype does not convert to float without loss.</exception>
    public void CopyTo(Span<float> destination)
    {
        CheckDestination(destination.Length);
        ReadOnlySpan<byte> src = Data.Span;
        switch (Dtype)
        {
            case SafetensorsDtypes.F32:
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.Cast<byte, float>(src).CopyTo(destination);
                    return;
                }
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]);
                }
                return;
            case SafetensorsDtypes.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(i * 2)..]);
                }
                return;
            case SafetensorsDtypes.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]));
                }
                return;
            default:
                throw NotConvertible("float");
        }
    }

    /// <summary>The elements as doubles. Accepts F64, and F32, F16 and BF16 (widened exactly).</summary>
    /// <exception cref="InvalidOperationException">The dtype does not convert to double without loss.</exception>
    public double[] ToDoubles()
    {
        var values = new double[ElementCount];
        CopyTo(values);
        return values;
    }

    /// <summary>Copies the elements into <paramref name="destination"/> as doubles (F64, F32, F16, BF16).</summary>
    /// <exception cref="ArgumentException">The destination length differs from <see cref="ElementCount"/>.</exception>
    /// <exception cref="InvalidOperationException">The dtype does not convert to double without loss.</exception>
    public void CopyTo(Span<double> destination)
    {
        CheckDestination(destination.Length);
        ReadOnlySpan<byte> src = Data.Span;
        switch (Dtype)
        {
            case SafetensorsDtypes.F64:
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.Cast<byte, double>(src).CopyTo(destination);
                    return;
                }
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]);
                }
                return;
            case SafetensorsDtypes.F32:
            case SafetensorsDtypes.F16:
            case SafetensorsDtypes.BF16:
                // Widen through float: every F16/BF16/F32 value is exact in float and in double.
                float[] floats = ToFloats();
                for (int i = 0; i < floats.Length; i++)
                {
                    destination[i] = floats[i];
                }
                return;
            default:
                throw NotConvertible("double");
        }
    }

    /// <summary>The elements as 64-bit integers. Accepts I64, I32, I16, I8, U32, U16, U8 and BOOL (widened exactly).</summary>
    /// <exception cref="InvalidOperationException">The dtype does not convert to long without loss.</exception>
    public long[] ToInt64s()
    {
        var values = new long[ElementCount];
        CopyTo(values);
        return values;
    }

    /// <summary>Copies the elements into <paramref name="destination"/> as 64-bit integers (integer dtypes up to I64, and BOOL).</summary>
    /// <exception cref="ArgumentException">The destination length differs from <see cref="ElementCount"/>.</exception>
    /// <exception cref="InvalidOperationException">The dtype does not convert to long without loss.</exception>
    public void CopyTo(Span<long> destination)
    {
        CheckDestination(destination.Length);
        ReadOnlySpan<byte> src = Data.Span;
        switch (Dtype)
        {
            case SafetensorsDtypes.I64 when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, long>(src).CopyTo(destination);
                return;
            case SafetensorsDtypes.I64:
                for (int i = 0; i < destination.Length; i++) { destination[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(i * 8)..]); }
                return;
            case SafetensorsDtypes.I32:
                for (int i = 0; i < destination.Length; i++) { destination[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]); }
                return;
            case SafetensorsDtypes.U32:
                for (int i = 0; i < destination.Length; i++) { destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(i * 4)..]); }
                return;
            case SafetensorsDtypes.I16:
                for (int i = 0; i < destination.Length; i++) { destination[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(i * 2)..]); }
                return;
            case SafetensorsDtypes.U16:
                for (int i = 0; i < destination.Length; i++) { destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]); }
                return;
            case SafetensorsDtypes.I8:
                for (int i = 0; i < destination.Length; i++) { destination[i] = (sbyte)src[i]; }
                return;
            case SafetensorsDtypes.U8:
            case SafetensorsDtypes.Bool:
                for (int i = 0; i < destination.Length; i++) { destination[i] = src[i]; }
                return;
            default:
                throw NotConvertible("long");
        }
    }

    /// <summary>The elements of a BOOL entry (any non-zero byte is true).</summary>
    /// <exception cref="InvalidOperationException">The dtype is not BOOL.</exception>
    public bool[] ToBools()
    {
        if (Dtype != SafetensorsDtypes.Bool)
        {
            throw NotConvertible("bool");
        }
        ReadOnlySpan<byte> src = Data.Span;
        var values = new bool[src.Length];
        for (int i = 0; i < src.Length; i++)
        {
            values[i] = src[i] != 0;
        }
        return values;
    }

    /// <inheritdoc />
    public bool Equals(SafetensorsEntry? other) =>
        other is not null
        && Dtype == other.Dtype
        && _shape.AsSpan().SequenceEqual(other._shape)
        && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SafetensorsEntry);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Dtype);
        foreach (long dim in _shape)
        {
            hash.Add(dim);
        }
        hash.AddBytes(Data.Span);
        return hash.ToHashCode();
    }

    /// <summary>A short description such as <c>F32[2, 3] (24 bytes)</c>.</summary>
    public override string ToString() => $"{Dtype}[{string.Join(", ", _shape)}] ({Data.Length} bytes)";

    private static long[] ShapeOrVector(long[]? shape, int length) => shape ?? [length];

    private void CheckDestination(int length)
    {
        if (length != ElementCount)
        {
            throw new ArgumentException($"Destination holds {length} elements but the {this} entry has {ElementCount}.", "destination");
        }
    }

    private InvalidOperationException NotConvertible(string target) =>
        new($"A {Dtype} entry does not convert to {target} exactly.");

    // bfloat16 is the upper half of an IEEE single, so widening is a shift.
    private static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}
