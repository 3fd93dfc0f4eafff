using System.Text;
using System.Text.Json;

namespace AlignFx.Host.Manifests;

/// <summary>
/// Where every value of a manifest starts in the file, keyed by JSON path, so errors found while binding can be
/// listed in reading order. Reading the file also finds what <see cref="JsonDocument"/> accepts silently (a
/// property written twice) and turns a syntax error into a <see cref="ManifestError"/> with line and column.
/// </summary>
internal sealed class SourceMap
{
    /// <summary>How deep objects and arrays may nest; the deepest example needs 6 levels.</summary>
    internal const int MaxNesting = 32;

    internal static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = MaxNesting + 1,
    };

    internal static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = MaxNesting + 1,
    };

    private readonly Dictionary<string, long> _positions = new(StringComparer.Ordinal);

    private SourceMap()
    {
    }

    /// <summary>The start of the value at this path, or of its deepest ancestor found in the file.</summary>
    public long PositionOf(string path)
    {
        foreach (var candidate in JsonPath.SelfAndAncestors(path))
        {
            if (_positions.TryGetValue(candidate, out var position))
                return position;
        }

        return 0;
    }

    /// <summary>True when the file has a value at exactly this path.</summary>
    public bool Contains(string path) => _positions.ContainsKey(path);

    /// <summary>Parses the text; on a syntax error returns only that error (with line and column).</summary>
    public static (JsonDocument? Document, SourceMap Map, List<ManifestError> Errors) Parse(string text)
    {
        var map = new SourceMap();
        var errors = new List<ManifestError>();
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            map.Walk(bytes, errors);
        }
        catch (JsonException ex)
        {
            errors.Clear();
            errors.Add(SyntaxError(bytes, ex));
            return (null, map, errors);
        }
        catch (RefusedTextException ex)
        {
            errors.Clear();
            errors.Add(ex.Error);
            return (null, map, errors);
        }

        return (JsonDocument.Parse(bytes, DocumentOptions), map, errors);
    }

    private static ManifestError SyntaxError(byte[] bytes, JsonException ex)
    {
        var line = ex.LineNumber ?? 0;
        var bytesInLine = ex.BytePositionInLine ?? 0;
        // Count characters, not bytes, up to the error so the column matches what an editor shows.
        var lineStart = 0;
        for (long l = 0; l < line && lineStart < bytes.Length; lineStart++)
        {
            if (bytes[lineStart] == '\n')
                l++;
        }

        var length = (int)Math.Min(bytesInLine, bytes.Length - lineStart);
        var column = Encoding.UTF8.GetCharCount(bytes, lineStart, Math.Max(0, length)) + 1;
        var reason = ex.Message;
        var cut = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
            cut = reason.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (cut >= 0)
            reason = reason[..cut];
        reason = reason.TrimEnd().TrimEnd('.');
        if (reason.Length > 0)
            reason = char.ToLowerInvariant(reason[0]) + reason[1..];
        return new ManifestError(JsonPath.Root, $"not valid JSON at line {line + 1}, column {column}: {reason}")
        {
            Position = lineStart + length,
        };
    }

    /// <summary>
    /// A string's value; a lone surrogate escape (<c>"\ud83d"</c> without its pair) is refused here, once, since every
    /// later reader of the text would throw on it.
    /// </summary>
    private static string ReadString(ref Utf8JsonReader reader, string path)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new RefusedTextException(new ManifestError(path,
                $"holds an escape that is not a character (a lone UTF-16 surrogate such as \\ud83d without its pair: {ex.Message.TrimEnd('.')}); write the character itself or both halves of the pair")
            {
                Position = reader.TokenStartIndex,
            });
        }
    }

    /// <summary>Text the JSON reader accepts but a manifest cannot hold.</summary>
    private sealed class RefusedTextException(ManifestError error) : Exception(error.Message)
    {
        public ManifestError Error { get; } = error;
    }

    private void Walk(byte[] bytes, List<ManifestError> errors)
    {
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        // One frame per open container: its path, the next array index, the names seen (objects only).
        var stack = new Stack<(string Path, int NextIndex, HashSet<string>? Names)>();
        string? pendingProperty = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                {
                    var frame = stack.Peek();
                    var name = ReadString(ref reader, JsonPath.Property(frame.Path, "?"));
                    pendingProperty = JsonPath.Property(frame.Path, name);
                    if (!frame.Names!.Add(name))
                    {
                        errors.Add(new ManifestError(pendingProperty, $"'{name}' is written more than once in the same object")
                        {
                            Position = reader.TokenStartIndex,
                        });
                    }
                    else
                    {
                        _positions[pendingProperty] = reader.TokenStartIndex;
                    }

                    continue;
                }

                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.Pop();
                    continue;
            }

            // A value starts: name it from its container.
            string path;
            if (stack.Count == 0)
            {
                path = JsonPath.Root;
                _positions[path] = reader.TokenStartIndex;
            }
            else if (stack.Peek().Names is null)
            {
                var frame = stack.Pop();
                path = JsonPath.Index(frame.Path, frame.NextIndex);
                stack.Push((frame.Path, frame.NextIndex + 1, null));
                _positions[path] = reader.TokenStartIndex;
            }
            else
            {
                path = pendingProperty!;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && stack.Count >= MaxNesting)
                throw new RefusedTextException(new ManifestError(path, $"objects and arrays nest more than {MaxNesting} levels deep here; a manifest needs far fewer (is this the right file?)") { Position = reader.TokenStartIndex });
            if (reader.TokenType == JsonTokenType.String)
                ReadString(ref reader, path);
            if (reader.TokenType == JsonTokenType.StartObject)
                stack.Push((path, 0, new HashSet<string>(StringComparer.Ordinal)));
            else if (reader.TokenType == JsonTokenType.StartArray)
                stack.Push((path, 0, null));
        }
    }
}
