using System.Runtime.InteropServices;
using System.Text.Json;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Serialization;

/// <summary>
/// Checkpoints of a module's <see cref="Module.state_dict"/> in the safetensors format: one entry per state key
/// (F32, F64, I64 or BOOL, bit for bit), header metadata <c>format = pt</c> as PyTorch-side tools expect, and
/// optionally the model's configuration as JSON in a file beside it (<see cref="ConfigPath"/>).
/// </summary>
public static class StateDictCheckpoint
{
    /// <summary>Writes <paramref name="module"/>'s state to <paramref name="path"/> (atomically), and <paramref name="config"/> beside it when given.</summary>
    public static void Save(Module module, string path, object? config = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(module.state_dict(), path, config, metadata);
    }

    /// <summary>Writes a state dictionary to <paramref name="path"/> (atomically), and <paramref name="config"/> beside it when given.</summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> state_dict, string path, object? config = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(state_dict);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata)
            {
                meta[k] = v;
            }
        }
        var entries = state_dict.Select(kv => KeyValuePair.Create(kv.Key, ToEntry(kv.Value))).ToList();
        SafetensorsFile.Write(path, entries, meta);
        if (config is not null)
        {
            string json = JsonSerializer.Serialize(config, config.GetType(), JsonOptions);
            string configPath = ConfigPath(path);
            string temp = configPath + ".tmp";
            File.WriteAllText(temp, json + "\n");
            File.Move(temp, configPath, overwrite: true);
        }
    }

    /// <summary>Reads <paramref name="path"/> and loads it into <paramref name="module"/> (see <see cref="Module.load_state_dict"/>).</summary>
    public static LoadStateDictResult Load(Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        var state = ReadStateDict(path);
        return module.load_state_dict(state, strict);
    }

    /// <summary>
    /// Every tensor of a safetensors file by name, in file order. F32, F64, I64 and BOOL load as they are; F16 and
    /// BF16 widen to float32 and the other integer types to int64. The tensors belong to the current dispose scope.
    /// </summary>
    public static OrderedDictionary<string, Tensor> ReadStateDict(string path)
    {
        var contents = SafetensorsFile.Read(path);
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var (name, entry) in contents.Entries)
        {
            result.Add(name, ToTensor(entry));
        }
        return result;
    }

    /// <summary>The configuration saved beside <paramref name="path"/>, or default when there is none.</summary>
    public static T? LoadConfig<T>(string path)
    {
        string configPath = ConfigPath(path);
        return File.Exists(configPath) ? JsonSerializer.Deserialize<T>(File.ReadAllText(configPath), JsonOptions) : default;
    }

    /// <summary>Where the configuration of a checkpoint lives: the same path with the extension <c>.json</c>.</summary>
    public static string ConfigPath(string path) => Path.ChangeExtension(path, ".json");

    /// <summary>The safetensors entry holding <paramref name="tensor"/>'s elements (any layout; written row-major).</summary>
    public static SafetensorsEntry ToEntry(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.shape;
        return tensor.dtype switch
        {
            ScalarType.Float32 => new SafetensorsEntry(SafetensorsDtypes.F32, shape, Bytes(tensor.ToArray<float>())),
            ScalarType.Float64 => new SafetensorsEntry(SafetensorsDtypes.F64, shape, Bytes(tensor.ToArray<double>())),
            ScalarType.Int64 => new SafetensorsEntry(SafetensorsDtypes.I64, shape, Bytes(tensor.ToArray<long>())),
            ScalarType.Bool => new SafetensorsEntry(SafetensorsDtypes.Bool, shape, Bytes(tensor.ToArray<bool>())),
            _ => throw new NotSupportedException($"No safetensors dtype for {tensor.dtype}."),
        };
    }

    /// <summary>A new tensor holding <paramref name="entry"/>'s elements (see <see cref="ReadStateDict"/> for the dtypes).</summary>
    public static Tensor ToTensor(SafetensorsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var shape = entry.ShapeArray();
        return entry.Dtype switch
        {
            SafetensorsDtypes.F64 => tensor(entry.ToDoubles(), shape),
            SafetensorsDtypes.F32 or SafetensorsDtypes.F16 or SafetensorsDtypes.BF16 => tensor(entry.ToFloats(), shape),
            SafetensorsDtypes.Bool => tensor(entry.ToBools(), shape),
            SafetensorsDtypes.I64 or SafetensorsDtypes.I32 or SafetensorsDtypes.I16 or SafetensorsDtypes.I8
                or SafetensorsDtypes.U32 or SafetensorsDtypes.U16 or SafetensorsDtypes.U8 => tensor(entry.ToInt64s(), shape),
            _ => throw new NotSupportedException($"Cannot load a {entry.Dtype} tensor."),
        };
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    // safetensors data is little-endian, as is every platform .NET runs the CPU backend on.
    private static byte[] Bytes<T>(T[] values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Checkpoints are written on little-endian machines only.");
        }
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
