using System.Text;
using AlignFx.Tensors.Serialization;

namespace AlignFx.Tensors.Tests.Serialization;

/// <summary>Files whose bytes are written out by hand from the format description.</summary>
public sealed class SafetensorsSpecTests
{
    [Fact]
    public void Hand_built_file_reads_back_every_tensor_and_the_metadata()
    {
        // Three tensors in header order "w", "ids", "mask" plus metadata; offsets are relative to the data buffer.
        const string header =
            "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"7\"}," +
            "\"w\u00e9\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"ids\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[8,16]}," +
            "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[16,18]}}";
        byte[] data =
        [
            0x00, 0x00, 0x80, 0x3F,  // 1.0f   = 0x3F800000
            0x00, 0x00, 0x20, 0xC0,  // -2.5f  = 0xC0200000
            0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // -2L
            0x01, 0x00,  // true, false
        ];
        byte[] file = SafetensorsTestBytes.Build(header, data);
        Assert.Equal(0, (file.Length - 8 - data.Length) % 8);

        var contents = SafetensorsFile.Read(SafetensorsTestBytes.Seekable(file));

        Assert.Equal(["w\u00e9", "ids", "mask"], contents.Names);
        Assert.Equal([1.0f, -2.5f], contents["w\u00e9"].ToFloats());
        Assert.Equal([2L], contents["w\u00e9"].Shape);
        Assert.Equal([-2L], contents["ids"].ToInt64s());
        Assert.Equal([1L, 1L], contents["ids"].Shape);
        Assert.Equal([true, false], contents["mask"].ToBools());
        Assert.Equal(SafetensorsDtypes.Bool, contents["mask"].Dtype);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["step"] = "7" }, contents.Metadata);
    }

    [Fact]
    public void Tensors_listed_out_of_offset_order_keep_header_order_and_their_own_bytes()
    {
        const string header =
            "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        var contents = SafetensorsFile.Read(SafetensorsTestBytes.Seekable(SafetensorsTestBytes.Build(header, [10, 11, 20, 21])));

        Assert.Equal(["b", "a"], contents.Names);
        Assert.Equal([20L, 21L], contents["b"].ToInt64s());
        Assert.Equal([10L, 11L], contents["a"].ToInt64s());
    }

    [Fact]
    public void Scalars_empty_tensors_whitespace_padding_and_no_padding_are_accepted()
    {
        // Scalar (shape []) holds one element; a [2, 0] tensor holds none and takes no bytes.
        const string header =
            "{\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[8,8]}}";
        byte[] data = [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]; // 1.0 = 0x3FF0000000000000
        foreach (int padTo in new[] { 1, 8, 16 })
        {
            var contents = SafetensorsFile.Read(SafetensorsTestBytes.Seekable(SafetensorsTestBytes.Build(header, data, padTo)));
            Assert.Empty(contents["s"].Shape);
            Assert.Equal([1.0], contents["s"].ToDoubles());
            Assert.Equal([2L, 0L], contents["e"].Shape);
            Assert.Equal(0, contents["e"].Data.Length);
            Assert.Empty(contents.Metadata);
        }

        // JSON whitespace of any kind may pad the header.
        byte[] tabs = [.. SafetensorsTestBytes.LittleEndian(6), .. "{}\r \t\n"u8];
        Assert.Empty(SafetensorsFile.Read(SafetensorsTestBytes.Seekable(tabs)).Entries);
    }

    // Byte images published with the reference implementation's tests: the writer must reproduce
    // them exactly (same key order, same padding) and the reader must accept them.
    public static TheoryData<string, string, long[], byte[]> ReferenceImages => new()
    {
        {
            "attn.0", SafetensorsDtypes.F32, [1, 2, 3],
            [
                64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
            ]
        },
        {
            "attn0", SafetensorsDtypes.F32, [1, 1, 2, 3],
            [
                72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64,
            ]
        },
    };

    [Theory]
    [MemberData(nameof(ReferenceImages))]
    public void Writer_reproduces_the_reference_byte_images_and_reader_accepts_them(string name, string dtype, long[] shape, byte[] image)
    {
        var entry = SafetensorsEntry.FromFloats([0f, 1f, 2f, 3f, 4f, 5f], shape);
        Assert.Equal(dtype, entry.Dtype);

        var stream = new MemoryStream();
        SafetensorsFile.Write(stream, [new(name, entry)]);
        Assert.Equal(image, stream.ToArray());

        var contents = SafetensorsFile.Read(SafetensorsTestBytes.Seekable(image));
        Assert.Equal(entry, contents[name]);
    }

    [Fact]
    public void Empty_file_with_and_without_metadata_matches_the_reference_images()
    {
        var stream = new MemoryStream();
        SafetensorsFile.Write(stream, []);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], stream.ToArray());

        stream = new MemoryStream();
        SafetensorsFile.Write(stream, [], new Dictionary<string, string> { ["framework"] = "pt" });
        byte[] expected = [40, 0, 0, 0, 0, 0, 0, 0, .. Encoding.ASCII.GetBytes("{\"__metadata__\":{\"framework\":\"pt\"}}     ")];
        Assert.Equal(expected, stream.ToArray());
        Assert.Equal("pt", SafetensorsFile.Read(SafetensorsTestBytes.Seekable(expected)).Metadata["framework"]);
    }
}
