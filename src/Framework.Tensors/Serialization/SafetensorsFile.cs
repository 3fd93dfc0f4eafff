using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace AlignFx.Tensors.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian unsigned header length N,
/// N bytes of UTF-8 JSON mapping each tensor name to its <c>dtype</c>, <c>shape</c> and
/// <c>data_offsets</c> (begin and one-past-end, relative to the data buffer) plus an optional
/// <c>__metadata__</c> object of strings, then the data buffer: the tensors' packed
/// little-endian bytes with no holes and no overlaps, ending exactly at the end of the file.
/// </summary>
/// <remarks>
/// The writer pads the header with spaces to a multiple of 8 bytes and lays the data out by
/// decreasing element size (stable, so equal sizes keep the caller's order), so that every
/// tensor starts at a multiple of its element size in the file; the header lists the tensors
/// in the caller's order, which is the order <see cref="Read(Stream)"/> returns them in.
/// The reader validates everything before it trusts it and reports the first defect as a
/// <see cref="SafetensorsFormatException"/>.
/// </remarks>
public static class SafetensorsFile
{
    /// <summary>The largest header accepted, in bytes (the reference implementation's limit).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>The reserved header key that holds the string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int LengthPrefixBytes = 8;

    /// <summary>Writes the tensors and optional metadata to <paramref name="destination"/>.</summary>
    /// <param name="destination">A writable stream; written from its current position and not closed.</param>
    /// <param name="tensors">The tensors by name, in the order the header should list them.</param>
    /// <param name="metadata">Free-form strings stored under <c>__metadata__</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">A duplicate, null or reserved name, a null entry or metadata value, or a header over <see cref="MaxHeaderBytes"/>.</exception>
    public static void Write(
        Stream destination,
        IEnumerable<KeyValuePair<string, SafetensorsEntry>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var prepared = Prepare(tensors, metadata);
        WritePrepared(destination, prepared);
    }

    /// <summary>
    /// Writes the tensors and optional metadata to the file at <paramref name="path"/> atomically:
    /// the bytes go to a temporary file in the same directory, are flushed to disk, and the
    /// temporary file is then renamed over <paramref name="path"/>. A process killed mid-write
    /// leaves the previous file (if any) intact, never a half-written checkpoint.
    /// </summary>
    /// <inheritdoc cref="Write(Stream, IEnumerable{KeyValuePair{string, SafetensorsEntry}}, IReadOnlyDictionary{string, string}?)"/>
    public static void Write(
        string path,
        IEnumerable<KeyValuePair<string, SafetensorsEntry>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var prepared = Prepare(tensors, metadata);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WritePrepared(file, prepared);
                file.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>Reads a whole safetensors file from the file at <paramref name="path"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsContents Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(file);
    }

    /// <summary>
    /// Reads a whole safetensors file from <paramref name="source"/>, from its current position to its end.
    /// Each tensor gets its own byte array; the stream is not closed.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The bytes are not valid safetensors.</exception>
    public static SafetensorsContents Read(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        long? available = source.CanSeek ? source.Length - source.Position : null;

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        ReadExactly(source, prefix, "the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.HeaderTooLarge,
                $"the header length is {headerLength} bytes, more than the limit of {MaxHeaderBytes}.");
        }
        if (available is long total && (ulong)(total - LengthPrefixBytes) < headerLength)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.Truncated,
                $"the header length is {headerLength} bytes but only {total - LengthPrefixBytes} bytes follow the length prefix.");
        }
        var header = new byte[headerLength];
        ReadExactly(source, header, "the header");

        var (declared, metadata) = ParseHeader(header);
        long dataLength = CheckLayout(declared);

        if (available is long fileLength)
        {
            long dataAvailable = fileLength - LengthPrefixBytes - (long)headerLength;
            if (dataAvailable < dataLength)
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.Truncated,
                    $"the header declares a data buffer of {dataLength} bytes but the file holds only {dataAvailable}.");
            }
            if (dataAvailable > dataLength)
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.TrailingData,
                    $"the file has {dataAvailable - dataLength} bytes after the end of the last tensor (data buffer of {dataLength} bytes).");
            }
        }

        // The layout check proved the ranges tile [0, dataLength), so reading in offset order is sequential.
        var data = new byte[declared.Count][];
        foreach (int i in Enumerable.Range(0, declared.Count).OrderBy(i => declared[i].Begin).ThenBy(i => declared[i].End))
        {
            long size = declared[i].End - declared[i].Begin;
            if (size > Array.MaxLength)
            {
                throw new NotSupportedException($"Tensor '{declared[i].Name}' has {size} bytes, more than one array can hold.");
            }
            data[i] = new byte[size];
            ReadExactly(source, data[i], $"the data of tensor '{declared[i].Name}'");
        }
        if (available is null && source.ReadByte() != -1)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.TrailingData,
                $"the stream continues after the end of the last tensor (data buffer of {dataLength} bytes).");
        }

        var entries = new List<KeyValuePair<string, SafetensorsEntry>>(declared.Count);
        for (int i = 0; i < declared.Count; i++)
        {
            var d = declared[i];
            entries.Add(new(d.Name, new SafetensorsEntry(d.Dtype, d.Shape, data[i])));
        }
        return new SafetensorsContents(entries, metadata);
    }

    private sealed record DeclaredTensor(string Name, string Dtype, long[] Shape, long Begin, long End);

    private sealed record PreparedFile(byte[] Header, KeyValuePair<string, SafetensorsEntry>[] DataOrder);

    private static PreparedFile Prepare(
        IEnumerable<KeyValuePair<string, SafetensorsEntry>> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, entry) in list)
        {
            if (name is null)
            {
                throw new ArgumentException("A tensor name is null.", nameof(tensors));
            }
            if (name == MetadataKey)
            {
                throw new ArgumentException($"'{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            }
            if (!names.Add(name))
            {
                throw new ArgumentException($"The tensor name '{name}' appears twice.", nameof(tensors));
            }
            if (entry is null)
            {
                throw new ArgumentException($"The entry for tensor '{name}' is null.", nameof(tensors));
            }
        }

        // Larger elements first: with an 8-byte-aligned header every tensor then starts at a multiple
        // of its element size, which lets memory-mapping readers use the data in place.
        var dataOrder = list.OrderByDescending(t => SafetensorsDtypes.SizeOf(t.Value.Dtype)).ToArray();
        var offsets = new Dictionary<string, (long Begin, long End)>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, entry) in dataOrder)
        {
            offsets[name] = (offset, offset + entry.Data.Length);
            offset += entry.Data.Length;
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    if (key is null || value is null)
                    {
                        throw new ArgumentException($"Metadata key '{key}' has a null key or value.", nameof(metadata));
                    }
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            foreach (var (name, entry) in list)
            {
                writer.WriteStartObject(name);
                writer.WriteString("dtype", entry.Dtype);
                writer.WriteStartArray("shape");
                foreach (long dim in entry.Shape)
                {
                    writer.WriteNumberValue(dim);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offsets[name].Begin);
                writer.WriteNumberValue(offsets[name].End);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        long length = json.Length;
        long padded = (length + LengthPrefixBytes - 1) / LengthPrefixBytes * LengthPrefixBytes;
        if (padded > MaxHeaderBytes)
        {
            throw new ArgumentException($"The header would be {padded} bytes, more than the limit of {MaxHeaderBytes}.", nameof(tensors));
        }
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, (int)length).CopyTo(header);
        header.AsSpan((int)length).Fill((byte)' ');
        return new PreparedFile(header, dataOrder);
    }

    private static void WritePrepared(Stream destination, PreparedFile prepared)
    {
        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)prepared.Header.Length);
        destination.Write(prefix);
        destination.Write(prepared.Header);
        foreach (var (_, entry) in prepared.DataOrder)
        {
            destination.Write(entry.Data.Span);
        }
        destination.Flush();
    }

    private static (List<DeclaredTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) ParseHeader(byte[] header)
    {
        if (!Utf8.IsValid(header))
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidUtf8, "the header is not valid UTF-8.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidJson, $"the header is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Structure($"the header must be a JSON object, not {root.ValueKind}.");
            }
            var tensors = new List<DeclaredTensor>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new SafetensorsFormatException(SafetensorsFormatError.DuplicateName,
                        $"the header has the key '{property.Name}' twice.");
                }
                if (property.Name == MetadataKey)
                {
                    ParseMetadata(property.Value, metadata);
                }
                else
                {
                    tensors.Add(ParseTensor(property.Name, property.Value));
                }
            }
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Structure($"'{MetadataKey}' must be an object of strings, not {value.ValueKind}.");
        }
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Structure($"metadata value '{item.Name}' must be a string, not {item.Value.ValueKind}.");
            }
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.DuplicateName,
                    $"the metadata has the key '{item.Name}' twice.");
            }
        }
    }

    private static DeclaredTensor ParseTensor(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Structure($"tensor '{name}' must be an object, not {value.ValueKind}.");
        }
        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeElement is null: dtypeElement = field.Value; break;
                case "shape" when shapeElement is null: shapeElement = field.Value; break;
                case "data_offsets" when offsetsElement is null: offsetsElement = field.Value; break;
                case "dtype" or "shape" or "data_offsets":
                    throw Structure($"tensor '{name}' has the field '{field.Name}' twice.");
                default:
                    throw Structure($"tensor '{name}' has an unexpected field '{field.Name}'.");
            }
        }
        if (dtypeElement is not { ValueKind: JsonValueKind.String } dtypeJson)
        {
            throw Structure($"tensor '{name}' needs a string 'dtype'.");
        }
        if (shapeElement is null)
        {
            throw Structure($"tensor '{name}' needs a 'shape'.");
        }
        if (offsetsElement is null)
        {
            throw Structure($"tensor '{name}' needs 'data_offsets'.");
        }

        string dtype = dtypeJson.GetString()!;
        if (!SafetensorsDtypes.TryGetSize(dtype, out int elementSize))
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.UnknownDtype,
                $"tensor '{name}' has the unknown dtype '{dtype}' (known: {string.Join(", ", SafetensorsDtypes.All)}).");
        }

        JsonElement shapeJson = shapeElement.Value;
        if (shapeJson.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidShape,
                $"tensor '{name}' has a shape that is not an array ({shapeJson.ValueKind}).");
        }
        var shape = new long[shapeJson.GetArrayLength()];
        long byteCount = elementSize;
        int k = 0;
        foreach (JsonElement dim in shapeJson.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.InvalidShape,
                    $"tensor '{name}' has the dimension {dim.GetRawText()}, which is not a non-negative 64-bit integer.");
            }
            shape[k++] = d;
            try
            {
                byteCount = checked(byteCount * d);
            }
            catch (OverflowException)
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.InvalidShape,
                    $"tensor '{name}' has a shape [{shapeJson.GetRawText()}] whose byte size overflows 64 bits.");
            }
        }

        JsonElement offsetsJson = offsetsElement.Value;
        if (offsetsJson.ValueKind != JsonValueKind.Array || offsetsJson.GetArrayLength() != 2)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidOffsets,
                $"tensor '{name}' has data_offsets {offsetsJson.GetRawText()}, not an array [begin, end].");
        }
        long begin = ReadOffset(name, offsetsJson[0]);
        long end = ReadOffset(name, offsetsJson[1]);
        if (end < begin)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidOffsets,
                $"tensor '{name}' ends (at {end}) before it begins (at {begin}).");
        }
        if (end - begin != byteCount)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.SizeMismatch,
                $"tensor '{name}' is {dtype} with shape [{string.Join(", ", shape)}], which needs {byteCount} bytes, but its data_offsets [{begin}, {end}] span {end - begin}.");
        }
        return new DeclaredTensor(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string name, JsonElement offset)
    {
        if (offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out long value) || value < 0)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.InvalidOffsets,
                $"tensor '{name}' has the offset {offset.GetRawText()}, which is not a non-negative 64-bit integer.");
        }
        return value;
    }

    /// <summary>Checks that the byte ranges tile [0, total) with no hole or overlap; returns the total.</summary>
    private static long CheckLayout(List<DeclaredTensor> tensors)
    {
        long expectedBegin = 0;
        DeclaredTensor? previous = null;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin > expectedBegin)
            {
                string after = previous is null ? "the start of the data buffer" : $"tensor '{previous.Name}'";
                throw new SafetensorsFormatException(SafetensorsFormatError.InvalidOffsets,
                    $"there is a hole of {t.Begin - expectedBegin} bytes between {after} (ending at {expectedBegin}) and tensor '{t.Name}' (beginning at {t.Begin}).");
            }
            if (t.Begin < expectedBegin)
            {
                throw new SafetensorsFormatException(SafetensorsFormatError.InvalidOffsets,
                    $"tensor '{t.Name}' (bytes {t.Begin} to {t.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin} to {previous.End}).");
            }
            expectedBegin = t.End;
            previous = t;
        }
        return expectedBegin;
    }

    private static void ReadExactly(Stream source, Span<byte> buffer, string what)
    {
        try
        {
            source.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new SafetensorsFormatException(SafetensorsFormatError.Truncated, $"the file ends inside {what}.", e);
        }
    }

    private static SafetensorsFormatException Structure(string message) =>
        new(SafetensorsFormatError.InvalidHeader, message);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the write already failed, and that failure is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
