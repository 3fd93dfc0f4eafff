using System.Text.Json;

namespace AlignFx.LanguageModels.Tests;

/// <summary>The byte-level BPE tokenizer on a small tokenizer.json written here, with ids worked out by hand.</summary>
public sealed class BpeTokenizerTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"alignfx-bpe-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_path);

    /// <summary>GPT-2's byte → character table, written out independently of the tokenizer's.</summary>
    private static char ByteChar(int b)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        if (printable.Contains(b))
        {
            return (char)b;
        }
        return (char)(256 + Enumerable.Range(0, b).Count(x => !printable.Contains(x)));
    }

    private BpeTokenizer Write(bool arrayMerges)
    {
        // Byte b has id b; merges add ids 256..260; one special added token 261.
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteChar(b).ToString(), b => b);
        string g = ByteChar(' ').ToString(); // 'Ġ'
        string[][] merges = [["h", "e"], ["l", "l"], ["he", "ll"], [g, "w"], ["hell", "o"]];
        vocab["he"] = 256;
        vocab["ll"] = 257;
        vocab["hell"] = 258;
        vocab[g + "w"] = 259;
        vocab["hello"] = 260;
        var json = new Dictionary<string, object>
        {
            ["version"] = "1.0",
            ["added_tokens"] = new[] { new Dictionary<string, object> { ["id"] = 261, ["content"] = "<|endoftext|>", ["special"] = true } },
            ["pre_tokenizer"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false },
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "BPE",
                ["vocab"] = vocab,
                ["merges"] = arrayMerges ? merges : merges.Select(m => string.Join(' ', m)).ToArray(),
            },
        };
        File.WriteAllText(_path, JsonSerializer.Serialize(json));
        return BpeTokenizer.Load(_path);
    }

    public static TheoryData<string, int[]> Examples => new()
    {
        { "hello", [260] },
        { "hello world", [260, 259, 'o', 'r', 'l', 'd'] },
        { "hellhe", [258, 256] },
        { "  x", [' ', ' ', 'x'] },
        { "hi<|endoftext|>é", ['h', 'i', 261, 0xC3, 0xA9] },
        { "it's 42!", ['i', 't', '\'', 's', ' ', '4', '2', '!'] },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_examples_encode_to_the_hand_worked_ids_and_decode_back_exactly(string text, int[] expected)
    {
        foreach (bool arrayMerges in new[] { false, true })
        {
            var tokenizer = Write(arrayMerges);
            Assert.Equal(262, tokenizer.VocabularySize);
            Assert.Equal(expected, tokenizer.Encode(text));
            Assert.Equal(text, tokenizer.Decode(expected));
        }
    }

    [Fact]
    public void Special_tokens_can_be_left_out_when_decoding()
    {
        var tokenizer = Write(arrayMerges: false);
        Assert.Equal("hello", tokenizer.Decode(tokenizer.Encode("hello<|endoftext|>"), skipSpecial: true));
    }

    [Fact]
    public void A_file_without_a_BPE_model_is_refused()
    {
        File.WriteAllText(_path, """{ "model": { "type": "WordPiece", "vocab": {} } }""");
        Assert.Throws<InvalidDataException>(() => BpeTokenizer.Load(_path));
    }
}
