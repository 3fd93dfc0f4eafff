namespace AlignFx.Tensors.Serialization;

/// <summary>
/// What <see cref="SafetensorsFile.Read(Stream)"/> returns: the tensors in header order and the
/// <c>__metadata__</c> strings (empty when the file has none).
/// </summary>
public sealed class SafetensorsContents
{
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    internal SafetensorsContents(IReadOnlyList<KeyValuePair<string, SafetensorsEntry>> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
        _byName = new Dictionary<string, SafetensorsEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in entries)
        {
            _byName.Add(name, entry);
        }
    }

    /// <summary>The tensors in the order their names appear in the header (the order they were written in by <see cref="SafetensorsFile"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, SafetensorsEntry>> Entries { get; }

    /// <summary>The free-form string metadata of the file; empty when the header has no <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor names in header order.</summary>
    public IEnumerable<string> Names => Entries.Select(e => e.Key);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public SafetensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"The safetensors file has no tensor named '{name}'.");

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafetensorsEntry entry) =>
        _byName.TryGetValue(name, out entry);

    /// <summary>Whether the file has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);
}
