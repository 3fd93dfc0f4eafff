using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-lm-ckpt-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static float[] Logits(GptPolicy policy)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = tensor(new long[] { 1, 5, 6, 7, 3, 8, 9, 2, 1, 10, 12, 3, 11, 13, 14, 15 }, [2, 8]);
        using var hidden = policy.Model.Hidden(tokens);
        return policy.Model.Logits(hidden).contiguous().ToArray<float>();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void A_checkpoint_round_trip_reproduces_logits_bitwise(bool tied, bool valueHead)
    {
        using var policy = Tiny.Policy(seed: 9, valueHead: valueHead, tied: tied);
        var written = policy.Save(_dir);
        Assert.All(written, p => Assert.True(File.Exists(p), p));
        Assert.Contains(written, p => p.EndsWith("model.json", StringComparison.Ordinal));

        using var loaded = GptPolicy.Load(_dir);
        Assert.Equal(policy.Model.Config, loaded.Model.Config);
        Assert.Equal(((CharTokenizer)policy.Tokenizer).Alphabet, Assert.IsType<CharTokenizer>(loaded.Tokenizer).Alphabet);
        Assert.Equal(Logits(policy), Logits(loaded));
    }

    [Fact]
    public void The_checkpoint_option_starts_the_manifest_policy_from_saved_weights_with_an_optional_fresh_value_head()
    {
        using var policy = Tiny.Policy(seed: 4);
        policy.Save(_dir);
        var task = new ArithmeticTask(new ArithmeticOptions { TrainPrompts = 10 }, new TestRunContext(1));
        using var fromOptions = new GptPolicy(new GptOptions { Checkpoint = Path.Combine(_dir, GptPolicy.WeightsFile), ValueHead = true, Layers = 7 },
            new TestRunContext(1), task);
        Assert.Equal(2, fromOptions.Model.Config.Layers); // the shape comes from the checkpoint
        Assert.True(fromOptions.Model.Config.ValueHead);
        Assert.Equal(Logits(policy), Logits(fromOptions));
        Response[] responses = [new(new Prompt("p", "1+1=?"), "2")];
        Assert.Equal(Tiny.Score(policy, responses)[0], Tiny.Score(fromOptions, responses)[0]);
    }

    [Fact]
    public void A_missing_checkpoint_is_reported_with_its_path()
    {
        var error = Assert.Throws<FileNotFoundException>(() => GptPolicy.Load(Path.Combine(_dir, "nothing")));
        Assert.Contains("nothing", error.Message, StringComparison.Ordinal);
    }
}
