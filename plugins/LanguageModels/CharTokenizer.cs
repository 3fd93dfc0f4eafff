using System.Text;
using System.Text.Json;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.LanguageModels;

/// <summary>
/// A character-level tokenizer: five special tokens (<see cref="Pad"/>, <see cref="Bos"/>, <see cref="Eos"/>,
/// <see cref="Separator"/> between prompt and response, <see cref="Unknown"/>) followed by an alphabet of characters in
/// ordinal order. Encoding then decoding text made of alphabet characters gives the text back exactly; other characters
/// encode as <see cref="Unknown"/> and decode as U+FFFD.
/// </summary>
public sealed class CharTokenizer
{
    /// <summary>Padding (never attended to, never a target).</summary>
    public const int Pad = 0;

    /// <summary>Beginning of sequence: every sequence starts with it.</summary>
    public const int Bos = 1;

    /// <summary>End of sequence: ends a response.</summary>
    public const int Eos = 2;

    /// <summary>Separates the prompt from the response.</summary>
    public const int Separator = 3;

    /// <summary>A character outside the alphabet.</summary>
    public const int Unknown = 4;

    private const int SpecialCount = 5;
    private readonly Dictionary<char, int> _ids;

    /// <summary>Creates a tokenizer over the distinct characters of <paramref name="alphabet"/> (order and repeats do not matter).</summary>
    /// <param name="alphabet">The characters to give ids.</param>
    public CharTokenizer(IEnumerable<char> alphabet)
    {
        ArgumentNullException.ThrowIfNull(alphabet);
        Alphabet = new string([.. alphabet.Distinct().Order()]);
        _ids = Alphabet.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i + SpecialCount);
    }

    /// <summary>The characters with ids, in id order (the first has id 5).</summary>
    public string Alphabet { get; }

    /// <summary>Number of token ids (special tokens included).</summary>
    public int VocabularySize => SpecialCount + Alphabet.Length;

    /// <summary>A tokenizer over every character of a task's prompts (all splits) and pretraining corpus.</summary>
    /// <param name="task">The task.</param>
    /// <returns>The tokenizer.</returns>
    public static CharTokenizer FromTask(ITask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var chars = new HashSet<char>();
        foreach (string split in task.Splits)
        {
            foreach (Prompt p in task.GetPrompts(split))
            {
                chars.UnionWith(p.Text);
            }
        }
        foreach (PretrainingExample e in task.GetPretrainingCorpus())
        {
            chars.UnionWith(e.Prompt);
            chars.UnionWith(e.Response);
        }
        return new CharTokenizer(chars);
    }

    /// <summary>The ids of <paramref name="text"/>'s characters, without special tokens.</summary>
    /// <param name="text">The text.</param>
    /// <returns>One id per character.</returns>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ids[i] = _ids.TryGetValue(text[i], out int id) ? id : Unknown;
        }
        return ids;
    }

    /// <summary>The prefix a response continues: <see cref="Bos"/>, the prompt's characters, <see cref="Separator"/>.</summary>
    /// <param name="prompt">The prompt text.</param>
    /// <returns>The ids.</returns>
    public int[] EncodePrompt(string prompt) => [Bos, .. Encode(prompt), Separator];

    /// <summary>The text of <paramref name="ids"/>: special tokens are skipped, unknown ones become U+FFFD.</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == Unknown)
            {
                text.Append('\uFFFD');
            }
            else if (id >= SpecialCount && id < VocabularySize)
            {
                text.Append(Alphabet[id - SpecialCount]);
            }
        }
        return text.ToString();
    }

    /// <summary>The text one token adds to a decoded sequence ("" for special tokens).</summary>
    /// <param name="id">The token id.</param>
    /// <returns>The text.</returns>
    public string Decode(int id) => Decode([id]);

    /// <summary>Writes the tokenizer as JSON (<c>{"type":"char","alphabet":...}</c>).</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new TokenizerFile("char", Alphabet)) + "\n");

    /// <summary>Reads a tokenizer <see cref="Save"/> wrote.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tokenizer.</returns>
    public static CharTokenizer Load(string path)
    {
        var file = JsonSerializer.Deserialize<TokenizerFile>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no tokenizer.");
        if (file.Type != "char")
        {
            throw new InvalidDataException($"{path}: tokenizer type '{file.Type}' is not 'char'.");
        }
        return new CharTokenizer(file.Alphabet);
    }

    private sealed record TokenizerFile(
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("alphabet")] string Alphabet);
}
