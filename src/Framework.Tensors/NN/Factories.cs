using AlignFx.Tensors.Modules;

namespace AlignFx.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A fully connected layer y = x Wᵀ + b, W [outputSize, inputSize], initialised as PyTorch does.</summary>
        public static Linear Linear(long inputSize, long outputSize, bool hasBias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(inputSize, outputSize, hasBias, dtype ?? ScalarType.Float32, generator);

        /// <summary>An embedding table [num_embeddings, embedding_dims] initialised N(0, 1).</summary>
        public static Embedding Embedding(long num_embeddings, long embedding_dims, ScalarType? dtype = null, Generator? generator = null) =>
            new(num_embeddings, embedding_dims, dtype ?? ScalarType.Float32, generator);

        /// <summary>Layer normalisation over the last dimension of size <paramref name="normalized_shape"/>.</summary>
        public static LayerNorm LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true, ScalarType? dtype = null) =>
            new([normalized_shape], eps, elementwise_affine, dtype ?? ScalarType.Float32);

        /// <summary>Layer normalisation over the trailing dimensions <paramref name="normalized_shape"/>.</summary>
        public static LayerNorm LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, ScalarType? dtype = null) =>
            new(normalized_shape, eps, elementwise_affine, dtype ?? ScalarType.Float32);

        /// <summary>Dropout with probability <paramref name="p"/>; masks come from <paramref name="generator"/> (or the default one).</summary>
        public static Dropout Dropout(double p = 0.5, Generator? generator = null) => new(p, generator);

        /// <summary>GELU: "none" (exact, erf) or "tanh".</summary>
        public static GELU GELU(string approximate = "none") => new(approximate);

        /// <summary>ReLU.</summary>
        public static ReLU ReLU() => new();

        /// <summary>The modules applied one after another.</summary>
        public static Sequential Sequential(params Module<Tensor, Tensor>[] modules) => new(modules);

        /// <summary>A list of submodules registered under their indices.</summary>
        public static ModuleList<T> ModuleList<T>(params T[] modules) where T : Module => new(modules);

        /// <summary>Causal multi-head self-attention with fused qkv and output projections (see <see cref="Modules.CausalSelfAttention"/>).</summary>
        public static CausalSelfAttention CausalSelfAttention(long d_model, long heads, bool hasBias = true, ScalarType? dtype = null, Generator? generator = null) =>
            new(d_model, heads, hasBias, dtype ?? ScalarType.Float32, generator);
    }
}
