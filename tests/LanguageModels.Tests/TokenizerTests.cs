using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.LanguageModels.Tests;

public sealed class TokenizerTests
{
    [Fact]
    public void Text_of_alphabet_characters_round_trips_exactly_and_specials_come_first()
    {
        var tokenizer = new CharTokenizer("cab");
        Assert.Equal("abc", tokenizer.Alphabet);
        Assert.Equal(8, tokenizer.VocabularySize);
        Assert.Equal([5, 6, 7, 5], tokenizer.Encode("abca"));
        Assert.Equal("abca", tokenizer.Decode(tokenizer.Encode("abca")));
        Assert.Equal([CharTokenizer.Bos, 6, CharTokenizer.Separator], tokenizer.EncodePrompt("b"));
        // Special tokens decode to nothing.
        Assert.Equal("ab", tokenizer.Decode([CharTokenizer.Bos, 5, CharTokenizer.Separator, 6, CharTokenizer.Eos, CharTokenizer.Pad]));
    }

    [Fact]
    public void Unknown_characters_encode_as_the_unknown_token()
    {
        var tokenizer = new CharTokenizer("ab");
        Assert.Equal([5, CharTokenizer.Unknown, 6], tokenizer.Encode("a€b"));
        Assert.Equal("a\uFFFDb", tokenizer.Decode(tokenizer.Encode("a€b")));
    }

    [Fact]
    public void A_task_tokenizer_covers_every_prompt_and_corpus_character_and_survives_a_file_round_trip()
    {
        var task = new ArithmeticTask(new ArithmeticOptions { TrainPrompts = 200, Corpus = new() { Examples = 500 } }, new TestRunContext(1));
        var tokenizer = CharTokenizer.FromTask(task);
        var texts = task.Splits.SelectMany(s => task.GetPrompts(s).Select(p => p.Text))
            .Concat(task.GetPretrainingCorpus().SelectMany(e => new[] { e.Prompt, e.Response })).ToList();
        Assert.All(texts, t =>
        {
            Assert.DoesNotContain(CharTokenizer.Unknown, tokenizer.Encode(t));
            Assert.Equal(t, tokenizer.Decode(tokenizer.Encode(t)));
        });
        string path = Path.Combine(Path.GetTempPath(), $"alignfx-tok-{Guid.NewGuid():N}.json");
        try
        {
            tokenizer.Save(path);
            var loaded = CharTokenizer.Load(path);
            Assert.Equal(tokenizer.Alphabet, loaded.Alphabet);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
