using AlignFx.Reference;
using AlignFx.Tensors.Serialization;
using AlignFx.Tensors.Tests.Reference;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Tests.NN;

/// <summary>Module checkpoints in the safetensors format: bitwise round trips, configs, and load errors.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("alignfx-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // Parameters in both float types plus int64 and bool buffers.
    private sealed class Mixed : Module<Tensor, Tensor>
    {
        private readonly Parameter w32;
        private readonly Parameter w64;
        private readonly Tensor counts;
        private readonly Tensor mask;

        public Mixed(long seed) : base(nameof(Mixed))
        {
            var g = new Generator(seed);
            w32 = new Parameter(randn([3, 4], generator: g));
            w64 = new Parameter(randn([5], ScalarType.Float64, generator: g));
            counts = randint(-1000, 1000, [2, 2], generator: g);
            using var u = rand(6, generator: g);
            mask = u.gt(0.5);
        }

        public override Tensor forward(Tensor input) => input * w32;
    }

    private string PathOf(string name) => Path.Combine(dir, name);

    [Fact]
    public void Every_dtype_round_trips_bit_for_bit_through_the_safetensors_file()
    {
        using var source = new Mixed(1);
        using var target = new Mixed(2);
        // Special values must survive too.
        using (no_grad())
        {
            source.state_dict()["w64"].copy_(tensor(new[] { double.NaN, -0.0, double.Epsilon, double.MaxValue, -1e-300 }));
        }
        source.save(PathOf("m.safetensors"));
        var file = SafetensorsFile.Read(PathOf("m.safetensors"));
        Assert.Equal(["w32", "w64", "counts", "mask"], file.Names);
        Assert.Equal([SafetensorsDtypes.F32, SafetensorsDtypes.F64, SafetensorsDtypes.I64, SafetensorsDtypes.Bool], file.Entries.Select(e => e.Value.Dtype));
        Assert.Equal("pt", file.Metadata["format"]);

        target.load(PathOf("m.safetensors"));
        var s = source.state_dict();
        var t = target.state_dict();
        Assert.Equal(s["w32"].ToArray<float>().Select(BitConverter.SingleToInt32Bits), t["w32"].ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(s["w64"].ToArray<double>().Select(BitConverter.DoubleToInt64Bits), t["w64"].ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(s["counts"].ToArray<long>(), t["counts"].ToArray<long>());
        Assert.Equal(s["mask"].ToArray<bool>(), t["mask"].ToArray<bool>());
        // Loading copies into the existing parameters: identity and requires_grad stay.
        Assert.True(target.parameters().All(p => p.requires_grad));
    }

    [Fact]
    public void A_saved_model_reloads_to_the_same_outputs_with_its_config_beside_it()
    {
        var cfg = new GptConfig(vocab: 12, context: 6, d_model: 8, heads: 2, layers: 1);
        using var model = new TinyGpt(cfg, ScalarType.Float32, new Generator(5));
        string path = PathOf("gpt.safetensors");
        model.save(path, cfg);
        Assert.True(File.Exists(PathOf("gpt.json")));

        var restoredCfg = StateDictCheckpoint.LoadConfig<GptConfig>(path);
        Assert.Equal(cfg, restoredCfg);
        using var restored = new TinyGpt(restoredCfg!, ScalarType.Float32, new Generator(6));
        restored.load(path);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randint(0, cfg.vocab, [2, cfg.context], generator: new Generator(7));
        Assert.Equal(model.forward(x).ToArray<float>(), restored.forward(x).ToArray<float>());
        Assert.Null(StateDictCheckpoint.LoadConfig<GptConfig>(PathOf("absent.safetensors")));
    }

    [Fact]
    public void Loading_a_checkpoint_of_another_model_fails_with_the_offending_keys()
    {
        using var small = new TinyGpt(new GptConfig(12, 6, 8, 2, 1));
        using var deeper = new TinyGpt(new GptConfig(12, 6, 8, 2, 2));
        using var wider = new TinyGpt(new GptConfig(12, 6, 16, 2, 1));
        small.save(PathOf("small.safetensors"));

        var missing = Assert.Throws<InvalidOperationException>(() => deeper.load(PathOf("small.safetensors")));
        Assert.Contains("Missing key(s) in state_dict: \"blocks.1.ln1.weight\"", missing.Message, StringComparison.Ordinal);
        var result = StateDictCheckpoint.Load(deeper, PathOf("small.safetensors"), strict: false);
        Assert.Equal(12, result.missing_keys.Count);
        Assert.Empty(result.unexpected_keys);

        var mismatch = Assert.Throws<InvalidOperationException>(() => wider.load(PathOf("small.safetensors")));
        Assert.Contains("size mismatch for tok_emb.weight: copying a param with shape [12, 8] from checkpoint, the shape in current model is [12, 16]", mismatch.Message, StringComparison.Ordinal);
    }
}
