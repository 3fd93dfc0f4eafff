using AlignFx.Tensors.Modules;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Tests.NN;

/// <summary>Registration, naming, modes, state dictionaries and gradients of the module base and the layers.</summary>
public sealed class ModuleTests
{
    // Fields are found by reflection: a module, a parameter, a buffer, and a null field (ignored).
    private sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Linear first = nn.Linear(3, 4, generator: new Generator(1));
        private readonly Sequential body = nn.Sequential(nn.ReLU(), nn.Linear(4, 2, generator: new Generator(2)));
        private readonly Parameter scale = new(ones(2));
        private readonly Tensor steps = zeros(1, dtype: ScalarType.Int64);
        private readonly Linear? unused = null;

        public Net() : base("Net") => register_buffer("scratch", zeros(2), persistent: false);

        public Linear First => first;

        public Linear? Unused => unused;

        public override Tensor forward(Tensor input)
        {
            using var h = first.forward(input);
            using var o = body.forward(h);
            return o * scale;
        }
    }

    [Fact]
    public void Fields_register_by_reflection_with_dotted_names_in_declaration_order()
    {
        using var net = new Net();
        Assert.Equal(["scale", "first.weight", "first.bias", "body.1.weight", "body.1.bias"], net.named_parameters().Select(p => p.name));
        Assert.Equal(["scratch", "steps"], net.named_buffers().Select(b => b.name).Order());
        Assert.Equal(["", "first", "body", "body.0", "body.1"], net.named_modules().Select(m => m.name));
        Assert.Equal(["first", "body"], net.named_children().Select(c => c.name));
        // state_dict: own parameters, own persistent buffers, then children; the non-persistent buffer is left out.
        Assert.Equal(["scale", "steps", "first.weight", "first.bias", "body.1.weight", "body.1.bias"], net.state_dict().Keys);
        Assert.Same(net.First.weight.data, net.state_dict()["first.weight"]);
        Assert.Null(net.Unused);
    }

    [Fact]
    public void Shared_parameters_are_listed_once_and_registration_rejects_bad_names()
    {
        var shared = nn.Linear(2, 2);
        using var seq = nn.Sequential(shared, shared);
        Assert.Equal(2, seq.parameters().Count());
        Assert.Equal(["0.weight", "0.bias"], seq.named_parameters().Select(p => p.name));
        Assert.Equal(4, seq.state_dict().Count);
        Assert.Throws<ArgumentException>(() => seq.register_buffer("0", zeros(1)));
        Assert.Throws<ArgumentException>(() => seq.register_parameter("a.b", null));
    }

    [Fact]
    public void Train_and_eval_reach_every_submodule_and_switch_dropout()
    {
        using var seq = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5, new Generator(3)));
        Assert.All(seq.modules(), m => Assert.True(m.training));
        seq.eval();
        Assert.All(seq.modules(), m => Assert.False(m.training));
        using var x = ones(64, 4);
        using (var y1 = seq.forward(x))
        using (var y2 = seq.forward(x))
        {
            Assert.True(y1.allclose(y2, 0, 0));
        }
        seq.train();
        using var dropped = seq[1].forward(x);
        float[] v = dropped.ToArray<float>();
        Assert.Contains(0f, v);
        Assert.All(v, e => Assert.True(e == 0f || e == 2f));
    }

    [Fact]
    public void Load_state_dict_reports_missing_unexpected_and_mismatched_keys_and_copies_nothing_on_error()
    {
        using var net = new Net();
        var before = net.First.weight.data.ToArray<float>();
        var good = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var partial = new Dictionary<string, Tensor>(good);
        partial.Remove("first.bias");
        partial["extra.weight"] = zeros(1);
        partial["first.weight"] = full([4, 3], 7.0);
        var ex = Assert.Throws<InvalidOperationException>(() => net.load_state_dict(partial));
        Assert.Contains("Missing key(s) in state_dict: \"first.bias\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected key(s) in state_dict: \"extra.weight\"", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, net.First.weight.data.ToArray<float>());

        var result = net.load_state_dict(partial, strict: false);
        Assert.Equal(["first.bias"], result.missing_keys);
        Assert.Equal(["extra.weight"], result.unexpected_keys);
        Assert.All(net.First.weight.data.ToArray<float>(), v => Assert.Equal(7f, v));

        var wrongShape = new Dictionary<string, Tensor>(good) { ["first.weight"] = zeros(3, 4) };
        var shapeEx = Assert.Throws<InvalidOperationException>(() => net.load_state_dict(wrongShape, strict: false));
        Assert.Contains("size mismatch for first.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [4, 3]", shapeEx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_grad_drops_or_zeroes_and_to_double_keeps_parameter_identity()
    {
        using var net = new Net();
        using (var loss = net.forward(ones(5, 3)).sum())
        {
            loss.backward();
        }
        Assert.All(net.parameters(), p => Assert.NotNull(p.grad));
        net.zero_grad(set_to_none: false);
        Assert.All(net.parameters(), p => Assert.All(p.grad!.ToArray<float>(), v => Assert.Equal(0f, v)));
        net.zero_grad();
        Assert.All(net.parameters(), p => Assert.Null(p.grad));

        var weight = net.First.weight;
        float[] values = weight.data.ToArray<float>();
        net.@double();
        Assert.Same(weight, net.First.weight);
        Assert.Equal(ScalarType.Float64, weight.dtype);
        Assert.True(weight.requires_grad);
        Assert.Equal(values.Select(v => (double)v), weight.data.ToArray<double>());
        Assert.Equal(ScalarType.Int64, net.get_buffer("steps")!.dtype);
        Assert.Equal(ScalarType.Float64, net.get_buffer("scratch")!.dtype);
    }

    [Fact]
    public void Linear_matches_a_hand_computation_and_its_gradients()
    {
        using var lin = nn.Linear(3, 2, dtype: ScalarType.Float64);
        using (no_grad())
        {
            lin.weight.data.copy_(tensor(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]));
            lin.bias!.data.copy_(tensor(new double[] { 0.5, -1 }));
        }
        using var x = tensor(new double[] { 1, 0, -1, 2, 1, 0 }, [2, 3]);
        using var y = lin.forward(x);
        Assert.Equal([1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1], y.ToArray<double>());
        using var s = y.sum();
        s.backward();
        // d sum / dW[o, i] = sum over rows of x[:, i]; d sum / db = number of rows.
        Assert.Equal([3.0, 1, -1, 3, 1, -1], lin.weight.grad!.ToArray<double>());
        Assert.Equal([2.0, 2], lin.bias.grad!.ToArray<double>());
    }

    [Fact]
    public void Default_initialisations_have_pytorch_bounds_and_are_seeded()
    {
        using var a = nn.Linear(100, 50, generator: new Generator(5));
        using var b = nn.Linear(100, 50, generator: new Generator(5));
        Assert.Equal(a.weight.data.ToArray<float>(), b.weight.data.ToArray<float>());
        Assert.All(a.weight.data.ToArray<float>(), v => Assert.InRange(Math.Abs(v), 0, 0.1f));
        // U(-1/10, 1/10) has standard deviation 0.1/√3.
        Assert.InRange(Std(a.weight.data.ToArray<float>()), 0.055, 0.060);
        Assert.All(a.bias!.data.ToArray<float>(), v => Assert.InRange(Math.Abs(v), 0, 0.1f));

        using var emb = nn.Embedding(200, 50, generator: new Generator(6));
        Assert.InRange(Std(emb.weight.data.ToArray<float>()), 0.97, 1.03);

        using var ln = nn.LayerNorm(8);
        Assert.All(ln.weight!.data.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(ln.bias!.data.ToArray<float>(), v => Assert.Equal(0f, v));

        using var w = empty(300, 200);
        init.xavier_uniform_(w, generator: new Generator(7));
        double bound = Math.Sqrt(6.0 / 500);
        Assert.All(w.ToArray<float>(), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.InRange(Std(w.ToArray<float>()), bound / Math.Sqrt(3) * 0.97, bound / Math.Sqrt(3) * 1.03);
        init.kaiming_uniform_(w, nonlinearity: "relu", generator: new Generator(8));
        double kb = Math.Sqrt(2.0) * Math.Sqrt(3.0 / 200);
        Assert.InRange(w.ToArray<float>().Max(Math.Abs), kb * 0.99, kb);
        init.normal_(w, 2, 0.5, new Generator(9));
        Assert.InRange(w.ToArray<float>().Average(), 1.99, 2.01);
        init.zeros_(w);
        Assert.All(w.ToArray<float>(), v => Assert.Equal(0f, v));
        init.ones_(w);
        Assert.All(w.ToArray<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Module_list_and_sequential_index_and_chain()
    {
        using var list = nn.ModuleList(nn.Linear(2, 3), nn.Linear(3, 1));
        Assert.Equal(2, list.Count);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], list.named_parameters().Select(p => p.name));
        using var seq = nn.Sequential(list[0], nn.GELU(), list[1]);
        using var x = ones(4, 2);
        using var h = list[0].forward(x);
        using var g = h.gelu();
        using var expected = list[1].forward(g);
        using var y = seq.forward(x);
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
    }

    private static double Std(float[] v)
    {
        double mean = v.Average(x => (double)x);
        return Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
    }
}
