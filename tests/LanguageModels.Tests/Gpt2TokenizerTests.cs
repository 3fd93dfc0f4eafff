using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;

namespace AlignFx.LanguageModels.Tests;

/// <summary>GPT-2's BPE vocabulary from Microsoft.ML.Tokenizers under the policy's special tokens, and a gpt policy that uses it.</summary>
public sealed class Gpt2TokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-gpt2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    // GPT-2 ids as OpenAI's tiktoken (r50k/gpt2) gives them, each shifted by the five special tokens.
    [InlineData("hello world", new[] { 31373, 995 })]
    [InlineData("12+7=?", new[] { 1065, 10, 22, 28, 30 })]
    [InlineData(" the world 9.", new[] { 262, 995, 860, 13 })]
    public void Text_encodes_to_gpt2_ids_after_the_special_tokens(string text, int[] gpt2Ids)
    {
        GptTokenizer tokenizer = Gpt2Tokenizer.Instance;
        Assert.Equal(gpt2Ids.Select(id => id + 5), tokenizer.Encode(text));
        Assert.Equal(50_257 + 5, tokenizer.VocabularySize);
        Assert.Equal([GptTokenizer.Bos, .. gpt2Ids.Select(id => id + 5), GptTokenizer.Separator], tokenizer.EncodePrompt(text));
    }

    [Fact]
    public void Any_text_decodes_back_exactly_and_special_tokens_decode_to_nothing()
    {
        var random = new Random(3);
        string[] pieces = ["12", "+", "=?", " I think it is ", "é", "日本", "🙂", "\n", "  ", "Surely", "-", "0"];
        for (int i = 0; i < 300; i++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
            int[] ids = Gpt2Tokenizer.Instance.Encode(text);
            Assert.Equal(text, Gpt2Tokenizer.Instance.Decode([GptTokenizer.Bos, .. ids, GptTokenizer.Eos, GptTokenizer.Pad]));
        }
        Assert.Equal("", Gpt2Tokenizer.Instance.Decode(GptTokenizer.Eos));
    }

    [Fact]
    public void A_gpt_policy_over_the_gpt2_vocabulary_samples_scores_its_samples_alike_and_round_trips_through_a_checkpoint()
    {
        var task = new AlignFx.Tasks.Arithmetic.ArithmeticTask(new AlignFx.Tasks.Arithmetic.ArithmeticOptions { TrainPrompts = 4, TestPrompts = 4 }, new TestRunContext(1));
        using var policy = new GptPolicy(new GptOptions { Tokenizer = GptTokenizerKind.Gpt2, Layers = 1, DModel = 16, Heads = 2, Context = 48 }, new TestRunContext(1), task);
        Assert.Equal(50_262, policy.Model.Config.Vocabulary);
        Prompt[] prompts = [new("a", "12+7=?"), new("b", "3-5=? I think it is 2.")];
        IReadOnlyList<Response> samples = Tiny.Generate(policy, prompts, new GenerationOptions { MaxNewTokens = 6, Seed = 4 });
        IReadOnlyList<float[]> scored = Tiny.Score(policy, samples);
        for (int i = 0; i < samples.Count; i++)
        {
            Assert.Equal(policy.Tokenizer.Decode(samples[i].TokenIds!), samples[i].Text);
            Assert.Equal(samples[i].TokenLogProbs!, scored[i], (a, b) => Math.Abs(a - b) < 1e-4);
        }

        policy.Save(_dir);
        using GptPolicy loaded = GptPolicy.Load(_dir);
        Assert.Same(Gpt2Tokenizer.Instance, loaded.Tokenizer);
        Assert.Equal(samples.Select(s => s.Text), Tiny.Generate(loaded, prompts, new GenerationOptions { MaxNewTokens = 6, Seed = 4 }).Select(s => s.Text));
    }
}
