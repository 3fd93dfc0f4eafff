using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlignFx.LanguageModels;

/// <summary>
/// A byte-level BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (a <c>BPE</c> model with a <c>ByteLevel</c>
/// pre-tokenizer, as GPT-2 and its descendants use): the text is split around added tokens, then by the GPT-2 pattern,
/// each piece's UTF-8 bytes are mapped to printable characters and merged by rank. Decoding reverses the byte mapping.
/// </summary>
public sealed partial class BpeTokenizer
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly string[] _tokens;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int> _added;
    private readonly HashSet<int> _special;
    private readonly Regex? _addedPattern;
    private readonly bool _addPrefixSpace;
    private readonly Dictionary<string, int[]> _cache = [];

    private BpeTokenizer(Dictionary<string, int> vocabulary, List<(string, string)> merges, Dictionary<string, int> added,
        HashSet<int> special, bool addPrefixSpace)
    {
        _vocabulary = vocabulary;
        _ranks = [];
        for (int i = 0; i < merges.Count; i++)
        {
            _ranks.TryAdd(merges[i], i);
        }
        _added = added;
        _special = special;
        _addPrefixSpace = addPrefixSpace;
        int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), added.Values.DefaultIfEmpty(-1).Max()) + 1;
        _tokens = new string[size];
        foreach (var (token, id) in vocabulary)
        {
            _tokens[id] = token;
        }
        foreach (var (token, id) in added)
        {
            _tokens[id] = token;
        }
        // Longest added tokens first, so one that contains another wins.
        _addedPattern = added.Count == 0 ? null
            : new Regex(string.Join("|", added.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
    }

    /// <summary>Number of token ids (vocabulary and added tokens).</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>Reads a Hugging Face <c>tokenizer.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="InvalidDataException">The file does not describe a byte-level BPE tokenizer.</exception>
    public static BpeTokenizer Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
        {
            throw new InvalidDataException($"{path}: not a BPE tokenizer (model.type must be \"BPE\").");
        }
        var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var merges = new List<(string, string)>();
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            // Older files write "a b", newer ones ["a", "b"].
            if (merge.ValueKind == JsonValueKind.Array)
            {
                merges.Add((merge[0].GetString()!, merge[1].GetString()!));
            }
            else
            {
                string[] parts = merge.GetString()!.Split(' ', 2);
                merges.Add((parts[0], parts[1]));
            }
        }
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in addedTokens.EnumerateArray())
            {
                int id = token.GetProperty("id").GetInt32();
                added[token.GetProperty("content").GetString()!] = id;
                if (token.TryGetProperty("special", out var s) && s.GetBoolean())
                {
                    special.Add(id);
                }
            }
        }
        bool addPrefixSpace = root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object
            && pre.TryGetProperty("add_prefix_space", out var aps) && aps.GetBoolean();
        return new BpeTokenizer(vocabulary, merges, added, special, addPrefixSpace);
    }

    /// <summary>The token ids of <paramref name="text"/>; added tokens written in the text encode as themselves.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The ids.</returns>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int position = 0;
        bool first = true;
        foreach (Match match in _addedPattern?.Matches(text) ?? (IEnumerable<Match>)[])
        {
            EncodeOrdinary(text[position..match.Index], ids, ref first);
            ids.Add(_added[match.Value]);
            position = match.Index + match.Length;
        }
        EncodeOrdinary(text[position..], ids, ref first);
        return [.. ids];
    }

    /// <summary>The text of <paramref name="ids"/> (special added tokens are skipped unless asked for).</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecial">Leave out special tokens.</param>
    /// <returns>The text.</returns>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= _tokens.Length || _tokens[id] is null)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is not in the vocabulary.");
            }
            string token = _tokens[id];
            if (_added.ContainsKey(token))
            {
                Flush();
                if (!(skipSpecial && _special.Contains(id)))
                {
                    text.Append(token);
                }
                continue;
            }
            foreach (char c in token)
            {
                bytes.Add(ByteLevel.CharToByte.TryGetValue(c, out byte b)
                    ? b
                    : throw new InvalidDataException($"Token '{token}' holds a character outside the byte-level alphabet."));
            }
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            text.Append(Encoding.UTF8.GetString([.. bytes]));
            bytes.Clear();
        }
    }

    private void EncodeOrdinary(string text, List<int> ids, ref bool first)
    {
        if (text.Length == 0)
        {
            return;
        }
        if (first && _addPrefixSpace && text[0] != ' ')
        {
            text = " " + text;
        }
        first = false;
        foreach (Match piece in Gpt2Pattern().Matches(text))
        {
            if (!_cache.TryGetValue(piece.Value, out int[]? pieceIds))
            {
                pieceIds = Merge(piece.Value);
                _cache[piece.Value] = pieceIds;
            }
            ids.AddRange(pieceIds);
        }
    }

    /// <summary>Byte-maps one pre-token and applies the merges, lowest rank first, until none applies.</summary>
    private int[] Merge(string piece)
    {
        var symbols = Encoding.UTF8.GetBytes(piece).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, best = -1;
            for (int i = 0; i < symbols.Count - 1; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }
            // Merge every occurrence of the best pair, left to right, as the reference implementation does.
            var (left, right) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == left && symbols[i + 1] == right)
                {
                    merged.Add(left + right);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }
            symbols = merged;
        }
        return [.. symbols.Select(s => _vocabulary.TryGetValue(s, out int id)
            ? id
            : throw new InvalidDataException($"The symbol '{s}' is not in the vocabulary (every single byte must be)."))];
    }

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Pattern();

    /// <summary>GPT-2's reversible map from bytes to printable characters.</summary>
    internal static class ByteLevel
    {
        public static readonly char[] ByteToChar = Build();
        public static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

        private static char[] Build()
        {
            var map = new char[256];
            int next = 0;
            for (int b = 0; b < 256; b++)
            {
                bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                map[b] = printable ? (char)b : (char)(256 + next++);
            }
            return map;
        }
    }
}
