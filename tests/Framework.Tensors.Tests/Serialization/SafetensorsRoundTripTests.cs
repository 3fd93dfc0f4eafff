using System.Buffers;
using System.Text.Json;
using AlignFx.Tensors.Serialization;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Tensors.Tests.Serialization;

/// <summary>A written file re-parses (independently and with the reader) to the same header and data.</summary>
public sealed class SafetensorsRoundTripTests
{
    private sealed record Sample(KeyValuePair<string, SafetensorsEntry>[] Tensors, Dictionary<string, string> Metadata)
    {
        public override string ToString() =>
            string.Join("; ", Tensors.Select(t => $"{t.Key}: {t.Value}")) + $" | metadata {Metadata.Count}";
    }

    // Characters that stress JSON escaping and UTF-8: quotes, backslashes, control characters, non-ASCII, a surrogate pair.
    private static readonly Gen<string> Text =
        Gen.Elements("a", "Z", "0", ".", " ", "_", "\"", "\\", "/", "\n", "\u0001", "é", "日", "😀", "<", "&")
            .ListOf().Select(parts => string.Concat(parts.Take(12)));

    private static readonly Gen<SafetensorsEntry> Entry =
        from dtype in Gen.Elements(SafetensorsDtypes.All.ToArray())
        from rank in Gen.Choose(0, 4)
        from shape in Gen.ArrayOf(Gen.Choose(0, 4).Select(d => (long)d), rank)
        let bytes = (int)(shape.Aggregate(1L, (a, d) => a * d) * SafetensorsDtypes.SizeOf(dtype))
        from data in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), bytes)
        select new SafetensorsEntry(dtype, shape, data);

    private static readonly Gen<Sample> Samples =
        from count in Gen.Choose(0, 6)
        from prefixes in Gen.ArrayOf(Text, count)
        from entries in Gen.ArrayOf(Entry, count)
        from metaCount in Gen.Choose(0, 3)
        from keys in Gen.ArrayOf(Text, metaCount)
        from values in Gen.ArrayOf(Text, metaCount)
        select new Sample(
            // The index suffix keeps names unique (and never "__metadata__") while the prefix stays random.
            entries.Select((e, i) => new KeyValuePair<string, SafetensorsEntry>(prefixes[i] + "#" + i, e)).ToArray(),
            keys.Select((k, i) => (Key: k + "#" + i, Value: values[i])).ToDictionary(p => p.Key, p => p.Value));

    [Fact]
    public void Written_file_reparses_to_the_same_header_and_data()
    {
        var property = Prop.ForAll(Samples.ToArbitrary(), (Sample sample) =>
        {
            var stream = new MemoryStream();
            SafetensorsFile.Write(stream, sample.Tensors, sample.Metadata);
            byte[] file = stream.ToArray();
            CheckLayoutIndependently(file, sample);

            foreach (var source in new Stream[] { new MemoryStream(file), new NonSeekableStream(file) })
            {
                var contents = SafetensorsFile.Read(source);
                Assert.Equal(sample.Tensors.Select(t => t.Key), contents.Names);
                foreach (var (name, entry) in sample.Tensors)
                {
                    Assert.Equal(entry, contents[name]);
                }
                Assert.Equal(sample.Metadata, contents.Metadata);
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    /// <summary>Parses the file with System.Text.Json alone and checks every rule of the format.</summary>
    private static void CheckLayoutIndependently(byte[] file, Sample sample)
    {
        ulong n = 0;
        for (int i = 7; i >= 0; i--)
        {
            n = (n << 8) | file[i];
        }
        Assert.Equal(0UL, n % 8);
        var header = file.AsMemory(8, (int)n);
        Assert.Equal((byte)'{', header.Span[0]);
        using var json = JsonDocument.Parse(header);
        var properties = json.RootElement.EnumerateObject().ToList();

        var expectedKeys = (sample.Metadata.Count > 0 ? ["__metadata__"] : Array.Empty<string>())
            .Concat(sample.Tensors.Select(t => t.Key));
        Assert.Equal(expectedKeys, properties.Select(p => p.Name));

        int dataStart = 8 + (int)n;
        var ranges = new List<(long Begin, long End)>();
        foreach (var (name, entry) in sample.Tensors)
        {
            var info = json.RootElement.GetProperty(name);
            Assert.Equal(entry.Dtype, info.GetProperty("dtype").GetString());
            Assert.Equal(entry.Shape, info.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            long begin = info.GetProperty("data_offsets")[0].GetInt64();
            long end = info.GetProperty("data_offsets")[1].GetInt64();
            Assert.Equal(entry.Data.ToArray(), file[(dataStart + (int)begin)..(dataStart + (int)end)]);
            // Every tensor starts at a multiple of its element size, in the file as in the buffer.
            Assert.Equal(0, (dataStart + begin) % SafetensorsDtypes.SizeOf(entry.Dtype));
            ranges.Add((begin, end));
        }
        // The ranges tile the data buffer exactly: no hole, no overlap, nothing after the last one.
        long cursor = 0;
        foreach (var (begin, end) in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
        {
            Assert.Equal(cursor, begin);
            cursor = end;
        }
        Assert.Equal(file.Length - dataStart, cursor);
    }

    [Fact]
    public void Typed_helpers_round_trip_every_bit_pattern()
    {
        // Random 8-byte words, reinterpreted as each type, so every bit pattern (NaNs, infinities, subnormals) can occur.
        var words = Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n * 8));
        var property = Prop.ForAll(words.ToArbitrary(), (byte[] raw) =>
            {
                int n = raw.Length / 8;
                long[] longs = Enumerable.Range(0, n).Select(i => BitConverter.ToInt64(raw, i * 8)).ToArray();
                float[] floats = longs.Select(l => BitConverter.Int32BitsToSingle((int)l)).ToArray();
                double[] doubles = longs.Select(BitConverter.Int64BitsToDouble).ToArray();
                int[] ints = longs.Select(l => (int)(l >> 32)).ToArray();
                bool[] bools = longs.Select(l => (l & 1) == 1).ToArray();

                Assert.Equal(floats.Select(BitConverter.SingleToInt32Bits), SafetensorsEntry.FromFloats(floats).ToFloats().Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(doubles.Select(BitConverter.DoubleToInt64Bits), SafetensorsEntry.FromDoubles(doubles).ToDoubles().Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(longs, SafetensorsEntry.FromInt64s(longs).ToInt64s());
                Assert.Equal(ints.Select(i => (long)i), SafetensorsEntry.FromInt32s(ints).ToInt64s());
                Assert.Equal(bools, SafetensorsEntry.FromBools(bools).ToBools());
                // F32 widens to double exactly (NaN payloads aside, which only need to stay NaN).
                var widened = SafetensorsEntry.FromFloats(floats).ToDoubles();
                Assert.All(floats.Zip(widened), p => Assert.True(p.First.Equals((float)p.Second) || (float.IsNaN(p.First) && double.IsNaN(p.Second))));
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Fact]
    public void Typed_helpers_use_little_endian_bytes_and_check_their_arguments()
    {
        Assert.Equal([0x00, 0x00, 0x80, 0xBF], SafetensorsEntry.FromFloats([-1f]).Data.ToArray());
        Assert.Equal([0x01, 0x02, 0, 0, 0, 0, 0, 0], SafetensorsEntry.FromInt64s([0x0201]).Data.ToArray());
        Assert.Equal([3L], SafetensorsEntry.FromFloats([1, 2, 3]).Shape);
        Assert.Empty(SafetensorsEntry.FromDoubles([7.0], []).Shape);

        // F16 and BF16 widen exactly: 1.5 is 0x3E00 in half and 0x3FC0 in bfloat16.
        Assert.Equal([1.5f], new SafetensorsEntry(SafetensorsDtypes.F16, [1], new byte[] { 0x00, 0x3E }).ToFloats());
        Assert.Equal([1.5], new SafetensorsEntry(SafetensorsDtypes.BF16, [1], new byte[] { 0xC0, 0x3F }).ToDoubles());

        Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromFloats([1, 2, 3], [2, 2]));
        Assert.Throws<ArgumentException>(() => new SafetensorsEntry("F31", [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => new SafetensorsEntry(SafetensorsDtypes.U8, [-1], Array.Empty<byte>()));
        Assert.Throws<InvalidOperationException>(() => SafetensorsEntry.FromDoubles([1.0]).ToFloats());
        Assert.Throws<InvalidOperationException>(() => SafetensorsEntry.FromFloats([1f]).ToInt64s());
        Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromFloats([1f, 2f]).CopyTo(new float[3]));
    }

    [Fact]
    public void Writer_rejects_duplicate_reserved_and_null_names()
    {
        var one = SafetensorsEntry.FromBytes([1]);
        var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(stream, [new("a", one), new("a", one)]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(stream, [new("__metadata__", one)]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(stream, [new("a", null!)]));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Writing_to_a_path_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        string dir = Directory.CreateTempSubdirectory("alignfx-safetensors-").FullName;
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            SafetensorsFile.Write(path, [new("w", SafetensorsEntry.FromFloats([1f, 2f]))]);
            SafetensorsFile.Write(path, [new("w", SafetensorsEntry.FromFloats([3f, 4f, 5f]))], new Dictionary<string, string> { ["step"] = "2" });

            var contents = SafetensorsFile.Read(path);
            Assert.Equal([3f, 4f, 5f], contents["w"].ToFloats());
            Assert.Equal("2", contents.Metadata["step"]);
            Assert.Equal([path], Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_the_previous_checkpoint_intact()
    {
        string dir = Directory.CreateTempSubdirectory("alignfx-safetensors-").FullName;
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            SafetensorsFile.Write(path, [new("w", SafetensorsEntry.FromFloats([1f, 2f]))]);
            byte[] before = File.ReadAllBytes(path);

            // The second tensor's bytes fail to materialise after the header and the first tensor are on disk.
            var failing = new SafetensorsEntry(SafetensorsDtypes.U8, [3], new FailingMemory(3).Memory);
            var e = Assert.Throws<IOException>(() =>
                SafetensorsFile.Write(path, [new("big", SafetensorsEntry.FromDoubles(new double[1000])), new("bad", failing)]));
            Assert.Equal(FailingMemory.Message, e.Message);

            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal([path], Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Memory whose length is known but whose bytes cannot be read, like a device buffer that fails to copy.</summary>
    private sealed class FailingMemory(int length) : MemoryManager<byte>
    {
        public const string Message = "simulated failure while copying tensor bytes";

        public override Memory<byte> Memory => CreateMemory(length);
        public override Span<byte> GetSpan() => throw new IOException(Message);
        public override MemoryHandle Pin(int elementIndex = 0) => throw new IOException(Message);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
