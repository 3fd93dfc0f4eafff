using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Modules;

/// <summary>y = x Wᵀ + b, with W [out, in] and b [out]; PyTorch's default initialisation (U(±1/√in) for both).</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>The weight [out_features, in_features].</summary>
    public readonly Parameter weight;

    /// <summary>The bias [out_features], or null.</summary>
    public readonly Parameter? bias;

    internal Linear(long inputSize, long outputSize, bool hasBias, ScalarType dtype, Generator? generator) : base(nameof(Linear))
    {
        in_features = inputSize;
        out_features = outputSize;
        weight = new Parameter(empty([outputSize, inputSize], dtype));
        init.kaiming_uniform_(weight, a: Math.Sqrt(5), generator: generator);
        if (hasBias)
        {
            double bound = inputSize > 0 ? 1 / Math.Sqrt(inputSize) : 0;
            bias = new Parameter(empty([outputSize], dtype));
            init.uniform_(bias, -bound, bound, generator);
        }
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
    }

    /// <summary>Input features.</summary>
    public long in_features { get; }

    /// <summary>Output features.</summary>
    public long out_features { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => functional.linear(input, weight, bias is null ? null : (Tensor)bias);
}

/// <summary>A lookup table of <c>num_embeddings</c> vectors of <c>embedding_dim</c> values, initialised N(0, 1).</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>The table [num_embeddings, embedding_dim].</summary>
    public readonly Parameter weight;

    internal Embedding(long numEmbeddings, long embeddingDim, ScalarType dtype, Generator? generator) : base(nameof(Embedding))
    {
        weight = new Parameter(empty([numEmbeddings, embeddingDim], dtype));
        init.normal_(weight, generator: generator);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => functional.embedding(input, weight);
}

/// <summary>Layer normalisation over the trailing dimensions, with an elementwise affine (weight 1, bias 0 at start).</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] normalizedShape;

    /// <summary>The scale, or null without an affine.</summary>
    public readonly Parameter? weight;

    /// <summary>The shift, or null without an affine.</summary>
    public readonly Parameter? bias;

    internal LayerNorm(long[] normalizedShape, double eps, bool elementwiseAffine, ScalarType dtype) : base(nameof(LayerNorm))
    {
        this.normalizedShape = (long[])normalizedShape.Clone();
        this.eps = eps;
        if (elementwiseAffine)
        {
            weight = new Parameter(ones(normalizedShape, dtype));
            bias = new Parameter(zeros(normalizedShape, dtype));
        }
        register_parameter(nameof(weight), weight);
        register_parameter(nameof(bias), bias);
    }

    /// <summary>The epsilon added to the variance.</summary>
    public double eps { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) =>
        functional.layer_norm(input, normalizedShape, weight is null ? null : (Tensor)weight, bias is null ? null : (Tensor)bias, eps);
}

/// <summary>Zeroes elements with probability p while training (scaling the rest by 1/(1-p)); the identity in eval mode.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    internal Dropout(double p, Generator? generator) : base(nameof(Dropout))
    {
        if (p is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Dropout probability must be in [0, 1].");
        }
        this.p = p;
        this.generator = generator;
    }

    /// <summary>The drop probability.</summary>
    public double p { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => functional.dropout(input, p, training, generator);
}

/// <summary>GELU, exact (erf) unless built with the tanh approximation.</summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    private readonly string approximate;

    internal GELU(string approximate) : base(nameof(GELU)) => this.approximate = approximate;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => input.gelu(approximate);
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    internal ReLU() : base(nameof(ReLU))
    {
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => input.relu();
}

/// <summary>Modules applied in order, registered as "0", "1", ...; intermediate results are disposed as it goes.</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> layers = [];

    internal Sequential(IEnumerable<Module<Tensor, Tensor>> modules) : base(nameof(Sequential))
    {
        foreach (var m in modules)
        {
            append(m);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => layers.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => layers[index];

    /// <summary>Adds a module at the end.</summary>
    public Sequential append(Module<Tensor, Tensor> module)
    {
        register_module(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers)
        {
            var next = layer.forward(x);
            if (!ReferenceEquals(x, input) && !ReferenceEquals(next, x))
            {
                x.Dispose();
            }
            x = next;
        }
        return x;
    }
}

/// <summary>A list of submodules registered as "0", "1", ... (PyTorch's ModuleList); it has no forward of its own.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> items = [];

    internal ModuleList(IEnumerable<T> modules) : base("ModuleList")
    {
        foreach (var m in modules)
        {
            append(m);
        }
    }

    /// <inheritdoc/>
    public int Count => items.Count;

    /// <inheritdoc/>
    public T this[int index] => items[index];

    /// <summary>Adds a module at the end.</summary>
    public ModuleList<T> append(T module)
    {
        register_module(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
