using AlignFx.Reference;
using System.Text.Json;
using AlignFx.Tensors.Serialization;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Reference;

/// <summary>
/// The key check of issue 2: the small GPT assembled from the nn modules, loaded with PyTorch's initial parameters
/// (bench/reference/fixtures, written by make_fixtures.py), gives PyTorch's logits, loss, every parameter gradient,
/// and the parameters after one and two AdamW steps, in float64 (tight) and float32.
/// </summary>
public sealed class TinyGptFixtureTests(ITestOutputHelper output)
{
    private readonly Dictionary<string, double> worstByKind = [];

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    // Tolerances are relative to the largest magnitude of the reference tensor.
    [Theory]
    [InlineData("f64", 1e-10)]
    [InlineData("f32", 1e-5)]
    public void Gpt_from_nn_modules_matches_pytorch_forward_backward_and_two_adamw_steps(string tag, double tolerance)
    {
        using var description = JsonDocument.Parse(File.ReadAllText(FixturePath($"tiny_gpt_{tag}.json")));
        var root = description.RootElement;
        var c = SafetensorsFile.Read(FixturePath(root.GetProperty("tensors_file").GetString()!));
        var cfgJson = root.GetProperty("config");
        var cfg = new GptConfig(cfgJson.GetProperty("vocab").GetInt32(), cfgJson.GetProperty("context").GetInt32(),
            cfgJson.GetProperty("d_model").GetInt32(), cfgJson.GetProperty("heads").GetInt32(), cfgJson.GetProperty("layers").GetInt32());
        var dtype = tag == "f64" ? ScalarType.Float64 : ScalarType.Float32;
        string[] names = [.. root.GetProperty("parameter_names").EnumerateArray().Select(n => n.GetString()!)];
        var adamw = root.GetProperty("adamw");

        using var model = new TinyGpt(cfg, dtype);
        // The module's own names are PyTorch's, in PyTorch's order.
        Assert.Equal(names, model.named_parameters().Select(p => p.name));

        using var scope = NewDisposeScope();
        var initial = names.ToDictionary(n => n, n => StateDictCheckpoint.ToTensor(c[n]));
        var load = model.load_state_dict(initial, strict: true);
        Assert.Empty(load.missing_keys);
        Assert.Empty(load.unexpected_keys);

        var inputs = StateDictCheckpoint.ToTensor(c["inputs"]);
        var targets = StateDictCheckpoint.ToTensor(c["targets"]);
        using var optimizer = optim.AdamW(model.parameters(), lr: adamw.GetProperty("lr").GetDouble(),
            beta1: adamw.GetProperty("betas")[0].GetDouble(), beta2: adamw.GetProperty("betas")[1].GetDouble(),
            eps: adamw.GetProperty("eps").GetDouble(), weight_decay: adamw.GetProperty("weight_decay").GetDouble());

        double lr = adamw.GetProperty("lr").GetDouble();
        bool[]? Noise(string name) => dtype == ScalarType.Float32 ? NoiseElements(c["grad." + name], c["grad2." + name]) : null;

        // Step 1: logits, loss and gradients at the initial parameters, then the first AdamW step.
        var logits = model.forward(inputs);
        AssertClose(c["logits"], logits, tolerance, "logits");
        var loss = LmLoss.Compute(logits, targets);
        AssertClose(c["loss"], loss, tolerance, "loss");
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            AssertClose(c["grad." + name], p.grad!, tolerance, "grad." + name);
        }
        optimizer.step();
        foreach (var (name, p) in model.named_parameters())
        {
            AssertClose(c["adamw1." + name], p.data, tolerance, "adamw1." + name, Noise(name), 2 * lr);
        }

        // Step 2: the loss and gradients at the updated parameters, then a second step (bias correction at t = 2).
        optimizer.zero_grad();
        var loss2 = LmLoss.Compute(model.forward(inputs), targets);
        AssertClose(c["loss2"], loss2, tolerance, "loss2");
        loss2.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            AssertClose(c["grad2." + name], p.grad!, tolerance, "grad2." + name);
        }
        optimizer.step();
        foreach (var (name, p) in model.named_parameters())
        {
            AssertClose(c["adamw2." + name], p.data, tolerance, "adamw2." + name, Noise(name), 4 * lr);
        }
        output.WriteLine($"{tag}: worst relative errors " + string.Join(", ", worstByKind.Select(kv => $"{kv.Key} {kv.Value:G3}")));
    }

    [Fact]
    public void Fixture_parameters_round_trip_through_a_module_checkpoint_bit_for_bit()
    {
        var c = SafetensorsFile.Read(FixturePath("tiny_gpt_f64.safetensors"));
        using var model = new TinyGpt(new GptConfig(16, 8, 16, 2, 2), ScalarType.Float64);
        using (NewDisposeScope())
        {
            model.load_state_dict(model.state_dict().Keys.ToDictionary(n => n, n => StateDictCheckpoint.ToTensor(c[n])));
        }
        string dir = Directory.CreateTempSubdirectory("alignfx-gpt-").FullName;
        try
        {
            string path = Path.Combine(dir, "gpt.safetensors");
            model.save(path, new { vocab = 16, context = 8 });
            var written = SafetensorsFile.Read(path);
            Assert.Equal(model.state_dict().Keys, written.Names);
            foreach (var name in written.Names)
            {
                Assert.Equal(c[name], written[name]);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double[] ToDoubles(Tensor t)
    {
        if (t.dtype == ScalarType.Float64)
        {
            return t.ToArray<double>();
        }
        using var d = t.to(ScalarType.Float64);
        return d.ToArray<double>();
    }

    /// <summary>
    /// Elements whose reference gradient (at either step) is below 1e-5 of the tensor's largest: rounding noise in float32
    /// (the key bias, for one, has an exactly zero true gradient, since softmax ignores a shift shared by all keys). Adam
    /// divides such noise by its own size, so their updates are noise of size up to lr and are bounded instead of matched.
    /// </summary>
    private static bool[] NoiseElements(params SafetensorsEntry[] grads)
    {
        var noisy = new bool[grads[0].ElementCount];
        foreach (var g in grads)
        {
            double[] v = g.ToDoubles();
            double floor = 1e-5 * v.Max(Math.Abs);
            for (int i = 0; i < v.Length; i++)
            {
                noisy[i] |= Math.Abs(v[i]) <= floor;
            }
        }
        return noisy;
    }

    private void AssertClose(SafetensorsEntry expected, Tensor actual, double tolerance, string what, bool[]? noisy = null, double noiseBound = 0)
    {
        double[] want = expected.ToDoubles();
        double[] got = ToDoubles(actual);
        Assert.Equal(expected.ShapeArray(), actual.shape);
        double scale = want.Max(Math.Abs);
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double err = Math.Abs(want[i] - got[i]);
            if (noisy is not null && noisy[i])
            {
                Assert.True(err <= noiseBound, $"{what}[{i}]: a noise-gradient element moved {err:G3} from the reference (bound {noiseBound:G3}).");
                continue;
            }
            worst = Math.Max(worst, err);
        }
        double relative = scale > 0 ? worst / scale : worst;
        string kind = what.Split('.')[0];
        worstByKind[kind] = Math.Max(worstByKind.GetValueOrDefault(kind), relative);
        Assert.True(relative <= tolerance, $"{what}: max |error| {worst:G3} is {relative:G3} of the largest reference value {scale:G3} (allowed {tolerance:G3}).");
    }
}
