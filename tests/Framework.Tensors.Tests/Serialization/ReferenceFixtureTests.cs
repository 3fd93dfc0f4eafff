using System.Text.Json;
using AlignFx.Tensors.Serialization;

namespace AlignFx.Tensors.Tests.Serialization;

/// <summary>
/// Files written by the independent Python writer in bench/reference/make_fixtures.py read back with the
/// expected values, and the numbers in them mean what the fixture description says (checked by recomputing
/// the loss, AdamW steps and small ops here in double precision).
/// </summary>
public sealed class ReferenceFixtureTests
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Python_written_file_holds_every_dtype_exactly()
    {
        var c = SafetensorsFile.Read(FixturePath("formats.safetensors"));

        Assert.Equal(["f32", "f64", "f16", "bf16", "i64", "i32", "u8", "bool", "scalar", "empty"], c.Names);
        Assert.Equal("pt", c.Metadata["format"]);
        Assert.Equal("written by make_fixtures.py, ünïcödé kept", c.Metadata["note"]);

        Assert.Equal([2L, 3L], c["f32"].Shape);
        Assert.Equal([1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f], c["f32"].ToFloats());
        Assert.True(float.IsNegative(c["f32"].ToFloats()[4]));
        Assert.Equal([3.141592653589793, -1e300, 2.5], c["f64"].ToDoubles());
        Assert.Equal([1.0f, -0.5f, 65504.0f, 6.103515625e-05f], c["f16"].ToFloats());
        // 1.5e38 is not a bfloat16; torch rounds it to the nearest one, 0x7EE2 << 16.
        Assert.Equal([1.0f, -3.5f, BitConverter.Int32BitsToSingle(0x7EE2 << 16), 0.0078125f], c["bf16"].ToFloats());
        Assert.Equal([long.MinValue, long.MaxValue, 0L, -1L], c["i64"].ToInt64s());
        Assert.Equal([2L, 2L], c["i64"].Shape);
        Assert.Equal([-2147483648L, 2147483647L, 7L], c["i32"].ToInt64s());
        Assert.Equal([0L, 1L, 255L], c["u8"].ToInt64s());
        Assert.Equal([true, false, false, true], c["bool"].ToBools());
        Assert.Empty(c["scalar"].Shape);
        Assert.Equal([42f], c["scalar"].ToFloats());
        Assert.Equal([2L, 0L], c["empty"].Shape);
    }

    [Theory]
    [InlineData("f32", 1e-6, 2e-6)]
    [InlineData("f64", 1e-13, 1e-13)]
    public void Tiny_gpt_fixture_has_the_contracted_names_shapes_loss_and_adamw_steps(string tag, double lossTolerance, double paramTolerance)
    {
        using var description = JsonDocument.Parse(File.ReadAllText(FixturePath($"tiny_gpt_{tag}.json")));
        var root = description.RootElement;
        var c = SafetensorsFile.Read(FixturePath(root.GetProperty("tensors_file").GetString()!));
        string dtype = tag == "f32" ? SafetensorsDtypes.F32 : SafetensorsDtypes.F64;

        // Names and shapes, as the C# modules will declare them.
        var cfg = root.GetProperty("config");
        int v = cfg.GetProperty("vocab").GetInt32(), ctx = cfg.GetProperty("context").GetInt32();
        int d = cfg.GetProperty("d_model").GetInt32(), layers = cfg.GetProperty("layers").GetInt32();
        var expected = new List<(string Name, long[] Shape)> { ("tok_emb.weight", [v, d]), ("pos_emb.weight", [ctx, d]) };
        for (int i = 0; i < layers; i++)
        {
            string p = $"blocks.{i}.";
            expected.AddRange([
                (p + "ln1.weight", [d]), (p + "ln1.bias", [d]),
                (p + "attn.qkv.weight", [3 * d, d]), (p + "attn.qkv.bias", [3 * d]),
                (p + "attn.proj.weight", [d, d]), (p + "attn.proj.bias", [d]),
                (p + "ln2.weight", [d]), (p + "ln2.bias", [d]),
                (p + "mlp.fc.weight", [4 * d, d]), (p + "mlp.fc.bias", [4 * d]),
                (p + "mlp.proj.weight", [d, 4 * d]), (p + "mlp.proj.bias", [d]),
            ]);
        }
        expected.AddRange([("ln_f.weight", [d]), ("ln_f.bias", [d]), ("lm_head.weight", [v, d])]);
        Assert.Equal(expected.Select(e => e.Name), root.GetProperty("parameter_names").EnumerateArray().Select(n => n.GetString()));
        foreach (var (name, shape) in expected)
        {
            foreach (string prefix in new[] { "", "grad.", "adamw1.", "grad2.", "adamw2." })
            {
                Assert.Equal(dtype, c[prefix + name].Dtype);
                Assert.Equal(shape, c[prefix + name].Shape);
            }
        }

        // The loss is the mean cross-entropy of the stored logits over the targets that are not -100.
        long[] inputs = c["inputs"].ToInt64s();
        long[] targets = c["targets"].ToInt64s();
        Assert.All(inputs, t => Assert.InRange(t, 0, v - 1));
        Assert.Equal(root.GetProperty("ignored_targets").GetInt32(), targets.Count(t => t == -100));
        double[] logits = c["logits"].ToDoubles();
        Assert.Equal([2L, 8L, (long)v], c["logits"].Shape);
        double sum = 0;
        int count = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            if (targets[row] == -100)
            {
                continue;
            }
            var z = logits.AsSpan(row * v, v);
            double max = double.NegativeInfinity;
            foreach (double x in z) { max = Math.Max(max, x); }
            double lse = 0;
            foreach (double x in z) { lse += Math.Exp(x - max); }
            sum += max + Math.Log(lse) - z[(int)targets[row]];
            count++;
        }
        double loss = c["loss"].ToDoubles().Single();
        Assert.Empty(c["loss"].Shape);
        Assert.Equal(sum / count, loss, lossTolerance);
        Assert.Equal(root.GetProperty("loss").GetDouble(), loss, lossTolerance);
        Assert.Equal(root.GetProperty("loss2").GetDouble(), c["loss2"].ToDoubles().Single(), lossTolerance);

        // Two AdamW steps, recomputed from the stored gradients (decoupled weight decay, bias-corrected moments).
        var adamw = root.GetProperty("adamw");
        double lr = adamw.GetProperty("lr").GetDouble(), eps = adamw.GetProperty("eps").GetDouble();
        double wd = adamw.GetProperty("weight_decay").GetDouble();
        double b1 = adamw.GetProperty("betas")[0].GetDouble(), b2 = adamw.GetProperty("betas")[1].GetDouble();
        foreach (var (name, _) in expected)
        {
            double[] p0 = c[name].ToDoubles(), g1 = c["grad." + name].ToDoubles(), g2 = c["grad2." + name].ToDoubles();
            double[] p1 = c["adamw1." + name].ToDoubles(), p2 = c["adamw2." + name].ToDoubles();
            for (int i = 0; i < p0.Length; i++)
            {
                double m = (1 - b1) * g1[i], s = (1 - b2) * g1[i] * g1[i];
                double step1 = p0[i] * (1 - lr * wd) - lr / (1 - b1) * m / (Math.Sqrt(s / (1 - b2)) + eps);
                Assert.True(Math.Abs(step1 - p1[i]) <= paramTolerance, $"adamw1.{name}[{i}]: {step1} vs {p1[i]}");

                m = b1 * m + (1 - b1) * g2[i];
                s = b2 * s + (1 - b2) * g2[i] * g2[i];
                double step2 = p1[i] * (1 - lr * wd) - lr / (1 - b1 * b1) * m / (Math.Sqrt(s / (1 - b2 * b2)) + eps);
                Assert.True(Math.Abs(step2 - p2[i]) <= paramTolerance, $"adamw2.{name}[{i}]: {step2} vs {p2[i]}");
            }
        }
    }

    [Fact]
    public void Ops_fixture_values_match_independent_formulas()
    {
        var c = SafetensorsFile.Read(FixturePath("ops_f64.safetensors"));
        const double tol = 1e-12;

        // Cross-entropy with label smoothing e over C classes, mean over the targets that are not ignored:
        // loss_i = (1 - e) (lse - z_t) + e (lse - mean_c z_c);  d loss / d z_c = (p_c - (1 - e) [c = t] - e / C) / n.
        double[] z = c["ce.logits"].ToDoubles();
        long[] t = c["ce.targets"].ToInt64s();
        Assert.Equal(t.Select(x => x != -100), c["ce.valid"].ToBools());
        int classes = (int)c["ce.logits"].Shape[1];
        foreach (var (key, smoothing) in new[] { ("ce", 0.1), ("ce_plain", 0.0) })
        {
            int n = t.Count(x => x != -100);
            double loss = 0;
            var grad = new double[z.Length];
            for (int row = 0; row < t.Length; row++)
            {
                if (t[row] == -100)
                {
                    continue;
                }
                var zr = z.AsSpan(row * classes, classes);
                double lse = Math.Log(zr.ToArray().Sum(Math.Exp));
                loss += (1 - smoothing) * (lse - zr[(int)t[row]]) + smoothing * (lse - zr.ToArray().Average());
                for (int k = 0; k < classes; k++)
                {
                    grad[row * classes + k] = (Math.Exp(zr[k] - lse) - (k == t[row] ? 1 - smoothing : 0) - smoothing / classes) / n;
                }
            }
            Assert.Equal(loss / n, c[key + ".loss"].ToDoubles().Single(), tol);
            AssertClose(grad, c[key + ".grad_logits"].ToDoubles(), tol);
        }

        // Softmax and log-softmax over the last dimension, with their vector-Jacobian products.
        double[] x = c["softmax.x"].ToDoubles(), gy = c["softmax.grad_out"].ToDoubles();
        int width = (int)c["softmax.x"].Shape[1];
        var y = new double[x.Length];
        var gx = new double[x.Length];
        var lgx = new double[x.Length];
        for (int row = 0; row < x.Length / width; row++)
        {
            var xr = x.AsSpan(row * width, width);
            double lse = Math.Log(xr.ToArray().Sum(Math.Exp));
            double dot = 0, gsum = 0;
            for (int k = 0; k < width; k++)
            {
                y[row * width + k] = Math.Exp(xr[k] - lse);
                dot += gy[row * width + k] * y[row * width + k];
                gsum += gy[row * width + k];
            }
            for (int k = 0; k < width; k++)
            {
                int i = row * width + k;
                gx[i] = y[i] * (gy[i] - dot);
                lgx[i] = gy[i] - y[i] * gsum;
            }
        }
        AssertClose(y, c["softmax.out"].ToDoubles(), tol);
        AssertClose(y.Select(p => Math.Log(p)).ToArray(), c["log_softmax.out"].ToDoubles(), tol);
        AssertClose(gx, c["softmax.grad_x"].ToDoubles(), tol);
        AssertClose(lgx, c["log_softmax.grad_x"].ToDoubles(), tol);

        // LayerNorm over the last dimension with the biased variance and eps 1e-5.
        double[] lx = c["ln.x"].ToDoubles(), w = c["ln.weight"].ToDoubles(), b = c["ln.bias"].ToDoubles();
        var ly = new double[lx.Length];
        for (int row = 0; row < lx.Length / w.Length; row++)
        {
            var xr = lx.AsSpan(row * w.Length, w.Length).ToArray();
            double mean = xr.Average(), variance = xr.Select(v => (v - mean) * (v - mean)).Average();
            for (int k = 0; k < w.Length; k++)
            {
                ly[row * w.Length + k] = (xr[k] - mean) / Math.Sqrt(variance + 1e-5) * w[k] + b[k];
            }
        }
        AssertClose(ly, c["ln.out"].ToDoubles(), tol);

        // Causal attention: row i of each (batch, head) attends to positions 0..i.
        double[] q = c["attn.q"].ToDoubles(), kk = c["attn.k"].ToDoubles(), vv = c["attn.v"].ToDoubles();
        long[] s = c["attn.q"].ShapeArray();
        int seq = (int)s[2], hd = (int)s[3];
        var att = new double[q.Length];
        for (int bh = 0; bh < s[0] * s[1]; bh++)
        {
            int o = bh * seq * hd;
            for (int i = 0; i < seq; i++)
            {
                var scores = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    for (int e = 0; e < hd; e++) { scores[j] += q[o + i * hd + e] * kk[o + j * hd + e]; }
                    scores[j] /= Math.Sqrt(hd);
                }
                double max = scores.Max();
                double[] p = scores.Select(sc => Math.Exp(sc - max)).ToArray();
                double total = p.Sum();
                for (int j = 0; j <= i; j++)
                {
                    for (int e = 0; e < hd; e++) { att[o + i * hd + e] += p[j] / total * vv[o + j * hd + e]; }
                }
            }
        }
        AssertClose(att, c["attn.out"].ToDoubles(), tol);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
