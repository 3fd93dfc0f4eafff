namespace AlignFx.Tensors.Serialization;

/// <summary>
/// The element type names of the safetensors format (the <c>"dtype"</c> field of a header entry)
/// and their sizes in bytes. Data is always little-endian and row-major.
/// </summary>
public static class SafetensorsDtypes
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    public const string Bool = "BOOL";
    /// <summary>Unsigned 8-bit integer.</summary>
    public const string U8 = "U8";
    /// <summary>Signed 8-bit integer.</summary>
    public const string I8 = "I8";
    /// <summary>8-bit float with 5 exponent and 2 mantissa bits (stored, not converted).</summary>
    public const string F8E5M2 = "F8_E5M2";
    /// <summary>8-bit float with 4 exponent and 3 mantissa bits (stored, not converted).</summary>
    public const string F8E4M3 = "F8_E4M3";
    /// <summary>Signed 16-bit integer.</summary>
    public const string I16 = "I16";
    /// <summary>Unsigned 16-bit integer.</summary>
    public const string U16 = "U16";
    /// <summary>IEEE 754 half precision.</summary>
    public const string F16 = "F16";
    /// <summary>bfloat16: the upper 16 bits of an IEEE 754 single.</summary>
    public const string BF16 = "BF16";
    /// <summary>Signed 32-bit integer.</summary>
    public const string I32 = "I32";
    /// <summary>Unsigned 32-bit integer.</summary>
    public const string U32 = "U32";
    /// <summary>IEEE 754 single precision.</summary>
    public const string F32 = "F32";
    /// <summary>IEEE 754 double precision.</summary>
    public const string F64 = "F64";
    /// <summary>Signed 64-bit integer.</summary>
    public const string I64 = "I64";
    /// <summary>Unsigned 64-bit integer.</summary>
    public const string U64 = "U64";

    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        [Bool] = 1, [U8] = 1, [I8] = 1, [F8E5M2] = 1, [F8E4M3] = 1,
        [I16] = 2, [U16] = 2, [F16] = 2, [BF16] = 2,
        [I32] = 4, [U32] = 4, [F32] = 4,
        [F64] = 8, [I64] = 8, [U64] = 8,
    };

    /// <summary>Every dtype name this implementation reads and writes.</summary>
    public static IReadOnlyCollection<string> All => Sizes.Keys;

    /// <summary>Whether <paramref name="dtype"/> is a dtype name this implementation knows (case-sensitive, as in the format).</summary>
    public static bool IsKnown(string dtype) => Sizes.ContainsKey(dtype);

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException">The dtype is not a known safetensors dtype.</exception>
    public static int SizeOf(string dtype) =>
        Sizes.TryGetValue(dtype, out int size)
            ? size
            : throw new ArgumentException($"Unknown safetensors dtype '{dtype}'.", nameof(dtype));

    internal static bool TryGetSize(string dtype, out int size) => Sizes.TryGetValue(dtype, out size);
}
