using AlignFx.Tensors.Serialization;
using static AlignFx.Tensors.Tests.Serialization.SafetensorsTestBytes;

namespace AlignFx.Tensors.Tests.Serialization;

/// <summary>Each kind of invalid file is rejected with its own error and a message that names the culprit.</summary>
public sealed class SafetensorsMalformedTests
{
    private const string I32x4 = "{\"t\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
    private static readonly byte[] Sixteen = new byte[16];

    private static string Tensor(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    public static TheoryData<string, byte[], SafetensorsFormatError, string> Cases => new()
    {
        // Length prefix and header bounds.
        { "empty file", [], SafetensorsFormatError.Truncated, "8-byte header length" },
        { "5-byte file", [1, 2, 3, 4, 5], SafetensorsFormatError.Truncated, "header length" },
        { "header longer than file", Build(I32x4, Sixteen, declaredLength: 4096), SafetensorsFormatError.Truncated, "header" },
        { "header over 100 MB", Build(I32x4, Sixteen, declaredLength: 100_000_001), SafetensorsFormatError.HeaderTooLarge, "100000001" },
        { "header length 2^64-1", Build(I32x4, Sixteen, declaredLength: ulong.MaxValue), SafetensorsFormatError.HeaderTooLarge, "18446744073709551615" },
        // Header text.
        { "not UTF-8", [.. LittleEndian(1), 0xFF], SafetensorsFormatError.InvalidUtf8, "UTF-8" },
        { "truncated JSON", Build("{", []), SafetensorsFormatError.InvalidJson, "JSON" },
        { "trailing comma", Build("{\"__metadata__\":{},}", []), SafetensorsFormatError.InvalidJson, "JSON" },
        { "root is an array", Build("[]", []), SafetensorsFormatError.InvalidHeader, "object" },
        { "entry is a number", Build("{\"t\":3}", []), SafetensorsFormatError.InvalidHeader, "'t'" },
        { "missing dtype", Build("{\"t\":{\"shape\":[1],\"data_offsets\":[0,1]}}", [0]), SafetensorsFormatError.InvalidHeader, "dtype" },
        { "missing data_offsets", Build("{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", [0]), SafetensorsFormatError.InvalidHeader, "data_offsets" },
        { "unexpected field", Build("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"offsets\":[0,1]}}", [0]), SafetensorsFormatError.InvalidHeader, "'offsets'" },
        { "metadata value not a string", Build("{\"__metadata__\":{\"epoch\":3}}", []), SafetensorsFormatError.InvalidHeader, "'epoch'" },
        { "metadata not an object", Build("{\"__metadata__\":\"pt\"}", []), SafetensorsFormatError.InvalidHeader, "__metadata__" },
        { "duplicate tensor name", Build("{" + Tensor("t", "U8", "[1]", "[0,1]") + "," + Tensor("t", "U8", "[1]", "[1,2]") + "}", [0, 0]), SafetensorsFormatError.DuplicateName, "'t'" },
        // Dtype and shape.
        { "unknown dtype", Build("{" + Tensor("t", "F128", "[1]", "[0,16]") + "}", Sixteen), SafetensorsFormatError.UnknownDtype, "'F128'" },
        { "dtype is case-sensitive", Build("{" + Tensor("t", "f32", "[4]", "[0,16]") + "}", Sixteen), SafetensorsFormatError.UnknownDtype, "'f32'" },
        { "negative dimension", Build("{" + Tensor("t", "U8", "[-1]", "[0,0]") + "}", []), SafetensorsFormatError.InvalidShape, "-1" },
        { "fractional dimension", Build("{" + Tensor("t", "U8", "[1.5]", "[0,0]") + "}", []), SafetensorsFormatError.InvalidShape, "1.5" },
        { "shape overflows u64", Build("{" + Tensor("t", "I32", "[2,18446744073709551614]", "[0,16]") + "}", Sixteen), SafetensorsFormatError.InvalidShape, "'t'" },
        { "byte size overflows", Build("{" + Tensor("t", "I32", "[2,9223372036854775807]", "[0,16]") + "}", Sixteen), SafetensorsFormatError.InvalidShape, "overflow" },
        // Offsets and sizes.
        { "end before begin", Build("{" + Tensor("t", "U8", "[0]", "[4,0]") + "}", []), SafetensorsFormatError.InvalidOffsets, "before it begins" },
        { "three offsets", Build("{" + Tensor("t", "U8", "[1]", "[0,1,2]") + "}", [0]), SafetensorsFormatError.InvalidOffsets, "[0,1,2]" },
        { "negative offset", Build("{" + Tensor("t", "U8", "[1]", "[-1,0]") + "}", []), SafetensorsFormatError.InvalidOffsets, "-1" },
        { "size does not match dtype x shape", Build("{" + Tensor("t", "I32", "[2,2]", "[0,4]") + "}", [0, 0, 0, 0]), SafetensorsFormatError.SizeMismatch, "16 bytes" },
        {
            "overlapping tensors",
            Build("{" + Tensor("a", "I32", "[4]", "[0,16]") + "," + Tensor("b", "I32", "[4]", "[8,24]") + "}", new byte[24]),
            SafetensorsFormatError.InvalidOffsets, "overlaps"
        },
        {
            "hole between tensors",
            Build("{" + Tensor("a", "I32", "[4]", "[0,16]") + "," + Tensor("b", "I32", "[4]", "[20,36]") + "}", new byte[36]),
            SafetensorsFormatError.InvalidOffsets, "hole of 4 bytes between tensor 'a'"
        },
        { "hole at the start", Build("{" + Tensor("t", "I32", "[4]", "[4,20]") + "}", new byte[20]), SafetensorsFormatError.InvalidOffsets, "start of the data buffer" },
        { "offsets past the end of the file", Build(I32x4, new byte[14]), SafetensorsFormatError.Truncated, "" },
        { "bytes after the last tensor", Build(I32x4, new byte[17]), SafetensorsFormatError.TrailingData, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Invalid_file_is_rejected_with_its_specific_error(string description, byte[] file, SafetensorsFormatError expected, string inMessage)
    {
        foreach (bool seekable in new[] { true, false })
        {
            Stream stream = seekable ? Seekable(file) : new NonSeekableStream(file);
            var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Read(stream));
            Assert.True(expected == e.Error, $"{description} (seekable: {seekable}): expected {expected}, got {e.Error}: {e.Message}");
            Assert.Contains(inMessage, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Valid_base_case_of_the_malformed_files_reads()
    {
        // The cases above are single edits of this file, which must itself be valid.
        var contents = SafetensorsFile.Read(Seekable(Build(I32x4, Sixteen)));
        Assert.Equal([0L, 0L, 0L, 0L], contents["t"].ToInt64s());
    }
}
