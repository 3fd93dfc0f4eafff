using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Autograd;

/// <summary>Finite-difference gradient checks for every differentiable operation, including broadcasting and non-contiguous inputs.</summary>
public class GradientTests
{
    private static Tensor L(long seed, params long[] shape) => GradCheck.Leaf(seed, shape);

    private static Tensor P(long seed, params long[] shape) => GradCheck.Positive(seed, 0.5, 2.0, shape);

    private static readonly Dictionary<string, (Func<Tensor[]> Make, Func<Tensor[], Tensor> F)> Cases = new()
    {
        // elementwise binary with broadcasting
        ["add_broadcast"] = (() => [L(1, 3, 1, 4), L(2, 2, 4)], x => x[0] + x[1]),
        ["add_alpha"] = (() => [L(1, 2, 3), L(2, 3)], x => x[0].add(x[1], alpha: 2.5)),
        ["sub_broadcast"] = (() => [L(1, 2, 3), L(2, 1, 3)], x => x[0] - x[1]),
        ["mul_broadcast"] = (() => [L(1, 4, 1), L(2, 1, 5)], x => x[0] * x[1]),
        ["div_broadcast"] = (() => [L(1, 3, 4), P(2, 4)], x => x[0] / x[1]),
        ["scalar_ops"] = (() => [L(1, 3, 4)], x => ((x[0] * 3.0 + 1.5) - 2.0) / 4.0),
        ["rsub_rdiv"] = (() => [P(1, 3, 4)], x => (2.0 - x[0]) + 3.0 / x[0]),
        ["neg"] = (() => [L(1, 5)], x => -x[0]),
        ["pow_scalar"] = (() => [P(1, 3, 3)], x => x[0].pow(2.7)),
        ["square"] = (() => [L(1, 3, 3)], x => x[0].square()),
        ["pow_tensor"] = (() => [P(1, 2, 3), L(2, 3)], x => x[0].pow(x[1])),
        ["maximum_minimum"] = (() => [L(1, 3, 4), L(2, 4)], x => x[0].maximum(x[1]) + x[0].minimum(x[1]) * 2.0),
        // unary
        ["exp"] = (() => [L(1, 3, 4)], x => x[0].exp()),
        ["log"] = (() => [P(1, 3, 4)], x => x[0].log()),
        ["sqrt"] = (() => [P(1, 3, 4)], x => x[0].sqrt()),
        ["rsqrt"] = (() => [P(1, 3, 4)], x => x[0].rsqrt()),
        ["abs"] = (() => [L(1, 3, 4)], x => x[0].abs()),
        ["tanh"] = (() => [L(1, 3, 4)], x => x[0].tanh()),
        ["sigmoid"] = (() => [L(1, 3, 4)], x => x[0].sigmoid()),
        ["relu"] = (() => [L(1, 3, 4)], x => x[0].relu()),
        ["gelu_erf"] = (() => [L(1, 3, 4)], x => x[0].gelu()),
        ["gelu_tanh"] = (() => [L(1, 3, 4)], x => x[0].gelu("tanh")),
        ["softplus"] = (() => [L(1, 3, 4)], x => F.softplus(x[0] * 3.0)),
        ["softplus_beta"] = (() => [L(1, 3, 4)], x => F.softplus(x[0], beta: 2.0)),
        ["logsigmoid"] = (() => [L(1, 3, 4)], x => F.logsigmoid(x[0] * 4.0)),
        ["clamp"] = (() => [L(1, 4, 5)], x => x[0].clamp(-0.5, 0.7)),
        // reductions
        ["sum_all"] = (() => [L(1, 2, 3, 4)], x => x[0].sum()),
        ["sum_dims_keepdim"] = (() => [L(1, 2, 3, 4)], x => x[0].sum([0, 2], keepdim: true)),
        ["sum_dim"] = (() => [L(1, 2, 3, 4)], x => x[0].sum(1)),
        ["mean_dim"] = (() => [L(1, 2, 3, 4)], x => x[0].mean(-1)),
        ["mean_all"] = (() => [L(1, 2, 3)], x => x[0].mean()),
        ["max_dim"] = (() => [L(1, 3, 5)], x => x[0].max(1).values),
        ["min_dim_keepdim"] = (() => [L(1, 3, 5)], x => x[0].min(0, keepdim: true).values),
        ["max_all"] = (() => [L(1, 3, 5)], x => x[0].max()),
        ["logsumexp"] = (() => [L(1, 3, 5)], x => x[0].logsumexp(1)),
        ["var_unbiased"] = (() => [L(1, 3, 5)], x => x[0].var(1)),
        ["std_biased_keepdim"] = (() => [L(1, 3, 5)], x => x[0].std(0, unbiased: false, keepdim: true)),
        ["var_all"] = (() => [L(1, 3, 5)], x => x[0].var()),
        ["norm"] = (() => [L(1, 3, 5)], x => x[0].norm()),
        // matmul family
        ["matmul_2d"] = (() => [L(1, 3, 4), L(2, 4, 5)], x => x[0].matmul(x[1])),
        ["matmul_dot"] = (() => [L(1, 4), L(2, 4)], x => x[0].matmul(x[1])),
        ["matmul_vec_mat"] = (() => [L(1, 4), L(2, 4, 3)], x => x[0].matmul(x[1])),
        ["matmul_mat_vec"] = (() => [L(1, 3, 4), L(2, 4)], x => x[0].matmul(x[1])),
        ["matmul_batch_broadcast"] = (() => [L(1, 2, 1, 3, 4), L(2, 3, 4, 2)], x => x[0].matmul(x[1])),
        ["matmul_3d_by_2d"] = (() => [L(1, 2, 3, 4), L(2, 4, 5)], x => x[0].matmul(x[1])),
        ["matmul_transposed_inputs"] = (() => [L(1, 4, 3), L(2, 5, 4)], x => x[0].t().matmul(x[1].t())),
        ["bmm"] = (() => [L(1, 2, 3, 4), L(2, 2, 4, 2)], x => x[0].bmm(x[1])),
        // softmax
        ["softmax_last"] = (() => [L(1, 3, 5)], x => x[0].softmax(-1)),
        ["softmax_dim0"] = (() => [L(1, 3, 5)], x => x[0].softmax(0)),
        ["log_softmax_last"] = (() => [L(1, 3, 5)], x => x[0].log_softmax(-1)),
        ["log_softmax_mid"] = (() => [L(1, 2, 3, 4)], x => x[0].log_softmax(1)),
        // views and non-contiguous inputs
        ["transpose_then_mul"] = (() => [L(1, 3, 4), L(2, 4, 3)], x => x[0].transpose(0, 1) * x[1]),
        ["permute_exp"] = (() => [L(1, 2, 3, 4)], x => x[0].permute(2, 0, 1).exp()),
        ["narrow"] = (() => [L(1, 5, 4)], x => x[0].narrow(0, 1, 3).tanh()),
        ["slice_step"] = (() => [L(1, 7, 3)], x => x[0].slice(0, 1, 7, 2).sigmoid()),
        ["select"] = (() => [L(1, 3, 4)], x => x[0].select(1, 2) * 2.0),
        ["unsqueeze_squeeze"] = (() => [L(1, 3, 4)], x => x[0].unsqueeze(1).squeeze(1).unsqueeze(0) * 3.0),
        ["expand"] = (() => [L(1, 3, 1)], x => x[0].expand(2, 3, 4).exp()),
        ["view_reshape"] = (() => [L(1, 3, 4)], x => x[0].view(4, 3).reshape(2, 6) * 1.5),
        ["reshape_noncontiguous"] = (() => [L(1, 3, 4)], x => x[0].t().reshape(12).sin_free()),
        ["flatten_unflatten"] = (() => [L(1, 2, 3, 4)], x => x[0].flatten(1).unflatten(1, 4, 3).log_softmax(-1)),
        ["contiguous_clone"] = (() => [L(1, 3, 4)], x => x[0].t().contiguous().clone() * x[0].t()),
        ["expanded_input_matmul"] = (() => [L(1, 1, 4), L(2, 4, 2)], x => x[0].expand(3, 4).matmul(x[1])),
        ["narrowed_input_matmul"] = (() => [L(1, 3, 6), L(2, 4, 2)], x => x[0].narrow(1, 1, 4).matmul(x[1])),
        // joining and splitting
        ["cat"] = (() => [L(1, 2, 3), L(2, 2, 2)], x => cat([x[0], x[1]], 1).tanh()),
        ["stack"] = (() => [L(1, 2, 3), L(2, 2, 3)], x => stack([x[0], x[1] * 2.0], 1)),
        ["split_all_pieces"] = (() => [L(1, 3, 7)], x => x[0].split([2, 4, 1], 1) is var p ? cat([p[2], p[0] * 2.0, p[1].exp()], 1) : null!),
        ["split_chunk"] = (() => [L(1, 6, 2)], x => x[0].split(4)[1] * 2.0 + x[0].chunk(3)[0].exp()),
        // indexing
        ["gather"] = (() => [L(1, 3, 4)], x => x[0].gather(1, tensor(new long[] { 0, 3, 3, 1, 2, 2 }, [3, 2]))),
        ["scatter_add"] = (() => [L(1, 3, 4), L(2, 3, 2)], x => x[0].scatter_add(1, tensor(new long[] { 0, 3, 3, 1, 2, 2 }, [3, 2]), x[1])),
        ["index_select"] = (() => [L(1, 4, 3)], x => x[0].index_select(0, tensor(new long[] { 3, 0, 3 }))),
        ["index_select_dim1"] = (() => [L(1, 4, 3)], x => x[0].index_select(1, tensor(new long[] { 2, 2, 0 }))),
        ["masked_fill"] = (() => [L(1, 3, 4)], x => x[0].masked_fill(tensor(new[] { true, false, false, true }, [4]), 0.25)),
        ["where"] = (() => [L(1, 3, 4), L(2, 4)], x => where(x[0].gt(0.0), x[0], x[1])),
        ["tril_triu"] = (() => [L(1, 2, 4, 4)], x => x[0].tril(-1) + x[0].triu(1) * 3.0),
        // functional
        ["cross_entropy"] = (() => [L(1, 5, 4)], x => F.cross_entropy(x[0], tensor(new long[] { 0, 3, -100, 1, 2 }))),
        ["cross_entropy_smoothing_sum"] = (() => [L(1, 5, 4)], x => F.cross_entropy(x[0], tensor(new long[] { 0, 3, 2, 1, 2 }), reduction: nn.Reduction.Sum, label_smoothing: 0.2)),
        ["cross_entropy_none_ignore"] = (() => [L(1, 4, 3)], x => F.cross_entropy(x[0], tensor(new long[] { 2, 7, 0, 1 }), ignore_index: 7, reduction: nn.Reduction.None, label_smoothing: 0.1)),
        ["cross_entropy_spatial"] = (() => [L(1, 2, 3, 4)], x => F.cross_entropy(x[0], tensor(new long[] { 0, 1, 2, 2, 1, 0, 0, 2 }, [2, 4]))),
        ["mse_loss"] = (() => [L(1, 3, 4), L(2, 3, 4)], x => F.mse_loss(x[0], x[1])),
        ["bce_with_logits"] = (() => [L(1, 6), GradCheck.Positive(2, 0, 1, 6)], x => F.binary_cross_entropy_with_logits(x[0] * 3.0, x[1])),
        ["bce_with_logits_pos_weight"] = (() => [L(1, 2, 3)], x => F.binary_cross_entropy_with_logits(x[0], tensor(new double[] { 1, 0, 1, 0, 0.5, 1 }, [2, 3]), pos_weight: tensor(new double[] { 2, 1, 0.5 }), reduction: nn.Reduction.Sum)),
        ["layer_norm"] = (() => [L(1, 3, 2, 5), L(2, 5), L(3, 5)], x => F.layer_norm(x[0], [5], x[1], x[2])),
        ["layer_norm_two_dims_no_affine"] = (() => [L(1, 3, 2, 5)], x => F.layer_norm(x[0], [2, 5])),
        ["layer_norm_noncontiguous"] = (() => [L(1, 5, 3), L(2, 3), L(3, 3)], x => F.layer_norm(x[0].t().t(), [3], x[1], x[2]) * F.layer_norm(x[0].narrow(0, 1, 1), [3])),
        ["embedding"] = (() => [L(1, 5, 3)], x => F.embedding(tensor(new long[] { 4, 0, 4, 2, 1, 4 }, [2, 3]), x[0])),
        ["linear_bias"] = (() => [L(1, 2, 3, 4), L(2, 5, 4), L(3, 5)], x => F.linear(x[0], x[1], x[2])),
        ["linear_no_bias_transposed_input"] = (() => [L(1, 4, 3), L(2, 2, 4)], x => F.linear(x[0].t(), x[1])),
        ["dropout_fixed_generator"] = (() => [L(1, 4, 5)], x => F.dropout(x[0], 0.3, generator: new Generator(9))),
        ["sdpa_causal"] = (() => [L(1, 2, 4, 3), L(2, 2, 4, 3), L(3, 2, 4, 3)], x => F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal: true)),
        ["sdpa_prefix"] = (() => [L(1, 1, 2, 3), L(2, 1, 2, 3), L(3, 1, 2, 3), L(4, 1, 3, 3), L(5, 1, 3, 3)],
            x => F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal: true, past_key: x[3], past_value: x[4])),
        ["sdpa_bool_mask"] = (() => [L(1, 3, 2), L(2, 4, 2), L(3, 4, 2)],
            x => F.scaled_dot_product_attention(x[0], x[1], x[2], attn_mask: tensor(new[] { true, true, false, true, false, true, true, true, true, false, false, false }, [3, 4]).logical_or(tensor(new[] { true, false, false, false }, [4])))),
        ["sdpa_float_mask_causal"] = (() => [L(1, 2, 3, 2), L(2, 2, 3, 2), L(3, 2, 3, 2), L(4, 3, 3)],
            x => F.scaled_dot_product_attention(x[0], x[1], x[2], attn_mask: x[3], is_causal: true)),
        ["sdpa_scale_noncausal"] = (() => [L(1, 2, 4, 3), L(2, 2, 5, 3), L(3, 2, 5, 2)],
            x => F.scaled_dot_product_attention(x[0], x[1], x[2], scale: 0.7)),
        ["min_all_mT_where_scalar"] = (() => [L(1, 3, 4)], x => x[0].min() + where(x[0].mT.gt(0.0), x[0].mT, 0.5).sum()),
        ["expand_as_view_as_clip"] = (() => [L(1, 1, 4), L(2, 2, 2)], x => x[0].expand_as(zeros(3, 4)).clip(-0.3, 0.3) * x[1].view_as(zeros(4)).unsqueeze(0)),
        // type conversion keeps the graph
        ["cumsum_last_dim"] = (() => [L(1, 3, 5)], x => x[0].cumsum(-1)),
        ["cumsum_first_dim_transposed_input"] = (() => [L(1, 4, 3)], x => x[0].t().cumsum(0) * x[0].t()),
        ["sort_descending_values"] = (() => [L(1, 3, 5)], x => x[0].sort(1, descending: true, stable: true).Values * tensor(new double[] { 1, 2, 3, 4, 5 })),
        ["sort_dim0_ascending"] = (() => [L(1, 4, 3)], x => x[0].sort(0).Values.cumsum(0)),
        ["to_float32_and_back"] = (() => [L(1, 3)], x => x[0].to(float32).to(float64) * 2.0),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void AnalyticGradientMatchesFiniteDifferences(string name)
    {
        var (make, f) = Cases[name];
        // float32 round trips lose precision; that case only needs float32 accuracy.
        if (name == "to_float32_and_back")
        {
            GradCheck.Check(f, make(), h: 1e-3, atol: 1e-3, rtol: 1e-3);
            return;
        }
        GradCheck.Check(f, make());
    }
}

internal static class TestOps
{
    /// <summary>A smooth function built from primitives (sin is not part of the API).</summary>
    public static Tensor sin_free(this Tensor x) => x.tanh() * x.exp();
}
