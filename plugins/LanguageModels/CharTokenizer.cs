using System.Text;
using System.Text.Json;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.LanguageModels;

/// <summary>
/// A character-level tokenizer: the five special tokens of <see cref="GptTokenizer"/> followed by an alphabet of
/// characters in ordinal order. Encoding then decoding text made of alphabet characters gives the text back exactly;
/// other characters encode as <see cref="GptTokenizer.Unknown"/> and decode as U+FFFD.
/// </summary>
public sealed class CharTokenizer : GptTokenizer
{
    /// <summary>The <c>type</c> a checkpoint's tokenizer file gives.</summary>
    public const string Type = "char";

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
    public override int VocabularySize => SpecialCount + Alphabet.Length;

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
    public override int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ids[i] = _ids.TryGetValue(text[i], out int id) ? id : Unknown;
        }
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>: special tokens are skipped, unknown ones become U+FFFD.</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    public override string Decode(IEnumerable<int> ids)
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

    /// <summary>Writes the tokenizer as JSON (<c>{"type":"char","alphabet":...}</c>).</summary>
    /// <param name="path">The file to write.</param>
    public override void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new TokenizerFile(Type, Alphabet)) + "\n");

    /// <summary>Reads a tokenizer <see cref="Save"/> wrote.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tokenizer.</returns>
    public static new CharTokenizer Load(string path)
    {
        var file = JsonSerializer.Deserialize<TokenizerFile>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no tokenizer.");
        if (file.Type != Type)
        {
            throw new InvalidDataException($"{path}: tokenizer type '{file.Type}' is not 'char'.");
        }
        return new CharTokenizer(file.Alphabet);
    }

    private sealed record TokenizerFile(
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("alphabet")] string Alphabet);
}
