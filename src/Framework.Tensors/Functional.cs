using AlignFx.Tensors.Autograd;

namespace AlignFx.Tensors;

public static partial class torch
{
    /// <summary>Neural-network building blocks (modules live in other files of this class).</summary>
    public static partial class nn
    {
        /// <summary>How a loss reduces its per-element values.</summary>
        public enum Reduction
        {
            /// <summary>No reduction: one loss per element.</summary>
            None,
            /// <summary>The mean over the counted elements.</summary>
            Mean,
            /// <summary>The sum.</summary>
            Sum,
        }

        /// <summary>Stateless functions: losses, activations and fused layers, all differentiable.</summary>
        public static partial class functional
        {
            private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
            {
                Reduction.None => loss,
                Reduction.Sum => loss.sum(),
                _ => loss.mean(),
            };

            /// <summary>
            /// Cross-entropy between logits ([N, C], [N, C, d1, ...] or [C]) and int64 class targets ([N], [N, d1, ...] or []).
            /// Targets equal to <paramref name="ignore_index"/> contribute nothing, and the mean is over the others.
            /// With label smoothing ε the target distribution is (1 - ε) one-hot + ε / C. Fused and numerically stable.
            /// </summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0)
            {
                if (weight is not null)
                {
                    throw new NotSupportedException("cross_entropy class weights are not supported yet.");
                }
                if (target.dtype != ScalarType.Int64)
                {
                    throw new ArgumentException("cross_entropy needs int64 class targets (class probabilities are not supported).");
                }
                if (label_smoothing is < 0 or > 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(label_smoothing));
                }
                input.RequireFloatPublic("cross_entropy");
                int rank = input.Dimensions;
                Tensor logits2;
                int[] outShape;
                if (rank == 1)
                {
                    logits2 = input.unsqueeze(0);
                    outShape = [];
                }
                else if (rank == 2)
                {
                    logits2 = input;
                    outShape = [input.shapeI[0]];
                }
                else
                {
                    // [N, C, d...] -> [N, d..., C] -> [M, C]
                    var perm = new long[rank];
                    perm[0] = 0;
                    for (int i = 2; i < rank; i++)
                    {
                        perm[i - 1] = i;
                    }
                    perm[rank - 1] = 1;
                    using var moved = input.permute(perm);
                    logits2 = moved.reshape(-1, input.shapeI[1]);
                    outShape = [input.shapeI[0], .. input.shapeI[2..]];
                }
                int c = logits2.shapeI[1];
                int m = logits2.shapeI[0];
                if (Shapes.Numel(target.shapeI) != m)
                {
                    throw new ArgumentException($"cross_entropy: {m} rows of logits but {target.numel()} targets.");
                }
                var x = logits2.Contig();
                var t = target.Contig();
                var rowLoss = Tensor.Empty([m], x.dtype, x.device);
                var lse = Tensor.Empty([m], x.dtype, x.device);
                int counted = x.Backend.CrossEntropy(x, t, ignore_index, label_smoothing, rowLoss, lse);
                Tensor result;
                using (no_grad())
                {
                    result = reduction switch
                    {
                        Reduction.None => rowLoss.ReshapeTo(outShape),
                        Reduction.Sum => rowLoss.sum(),
                        _ => rowLoss.sum().div(counted),
                    };
                }
                if (Node.ShouldRecord(logits2))
                {
                    var dt = x.dtype;
                    Node.Record(result, "NllLossBackward0", [logits2], (g, _) =>
                    {
                        Tensor rowGrad = reduction switch
                        {
                            Reduction.None => g.reshape(-1).Contig(),
                            Reduction.Sum => g,
                            _ => g.div(counted),
                        };
                        var dx = Tensor.Empty([m, c], dt, x.device);
                        dx.Backend.CrossEntropyBackward(rowGrad, x, t, lse, ignore_index, label_smoothing, dx);
                        return [dx];
                    }, x, t, lse);
                }
                return result;
            }

            /// <summary>Mean squared error.</summary>
            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
            {
                using var d = input.sub(target);
                var sq = d.mul(d);
                return Reduce(sq, reduction);
            }

            /// <summary>log(sigmoid(x)), stable for large |x|.</summary>
            public static Tensor logsigmoid(Tensor input) => input.logsigmoid();

            /// <summary>
            /// Binary cross-entropy on logits: -[y log σ(x) + (1 - y) log(1 - σ(x))], computed as
            /// (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x) so it never overflows.
            /// </summary>
            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null,
                Reduction reduction = Reduction.Mean, Tensor? pos_weight = null)
            {
                using var negX = input.neg();
                using var spNeg = negX.softplus();
                using var oneMinusY = target.rsub(1.0);
                using var lin = oneMinusY.mul(input);
                Tensor loss;
                if (pos_weight is null)
                {
                    loss = lin.add(spNeg);
                }
                else
                {
                    using var pwm1 = pos_weight.sub(1.0);
                    using var coefPart = pwm1.mul(target);
                    using var coef = coefPart.add(1.0);
                    using var weighted = coef.mul(spNeg);
                    loss = lin.add(weighted);
                }
                if (weight is not null)
                {
                    var w = loss.mul(weight);
                    loss.Dispose();
                    loss = w;
                }
                return Reduce(loss, reduction);
            }

            /// <summary>softplus(x) = log(1 + e^(βx)) / β.</summary>
            public static Tensor softplus(Tensor input, double beta = 1)
            {
                if (beta == 1)
                {
                    return input.softplus();
                }
                using var scaled = input.mul(beta);
                using var sp = scaled.softplus();
                return sp.div(beta);
            }

            /// <summary>GELU, exact ("none") or with the tanh approximation ("tanh").</summary>
            public static Tensor gelu(Tensor input, string approximate = "none") => input.gelu(approximate);

            /// <summary>max(x, 0).</summary>
            public static Tensor relu(Tensor input) => input.relu();

            /// <summary>Softmax over a dimension.</summary>
            public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);

            /// <summary>Log-softmax over a dimension.</summary>
            public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);

            /// <summary>
            /// Zeroes each element with probability p and scales the rest by 1 / (1 - p) when training;
            /// the mask comes from <paramref name="generator"/> (or the default generator).
            /// </summary>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
            {
                if (p is < 0 or > 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(p));
                }
                if (!training || p == 0)
                {
                    return input;
                }
                if (p == 1)
                {
                    return input.mul(0.0);
                }
                var mask = Tensor.Empty(input.shapeI, input.dtype, input.device);
                mask.Backend.DropoutMask(mask, p, generator ?? default_generator);
                var r = input.mul(mask);
                mask.Dispose();
                return r;
            }

            /// <summary>
            /// Layer normalisation over the trailing <paramref name="normalized_shape"/> dimensions, with optional
            /// elementwise affine weight and bias (fused forward and backward).
            /// </summary>
            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                input.RequireFloatPublic("layer_norm");
                int k = normalized_shape.Length;
                int rank = input.Dimensions;
                if (k == 0 || k > rank)
                {
                    throw new ArgumentException("layer_norm needs 1..rank normalised dimensions.");
                }
                long d = 1;
                for (int i = 0; i < k; i++)
                {
                    if (input.shapeI[rank - k + i] != normalized_shape[i])
                    {
                        throw new ArgumentException($"layer_norm: input shape {Shapes.Format(input.shapeI)} does not end with the normalised shape.");
                    }
                    d *= normalized_shape[i];
                }
                if (weight is not null && weight.numel() != d || bias is not null && bias.numel() != d)
                {
                    throw new ArgumentException("layer_norm weight and bias must hold one value per normalised element.");
                }
                int rows = d == 0 ? 0 : (int)(input.numel() / d);
                var x = input.Contig();
                var w = weight?.Contig();
                var b = bias?.Contig();
                var y = Tensor.Empty(input.shapeI, input.dtype, input.device);
                var mean = Tensor.Empty([rows], input.dtype, input.device);
                var rstd = Tensor.Empty([rows], input.dtype, input.device);
                x.Backend.LayerNorm(x, w, b, eps, y, mean, rstd);
                if (Node.ShouldRecord([input, weight, bias]))
                {
                    Tensor[] saved = w is null ? [x, mean, rstd] : [x, w, mean, rstd];
                    Node.Record(y, "NativeLayerNormBackward0", [input, weight, bias], (g, need) =>
                    {
                        var gc = g.Contig();
                        var dx = need[0] ? Tensor.Empty(x.shapeI, x.dtype, x.device) : null;
                        var dw = need[1] ? Tensor.Empty(weight!.shapeI, x.dtype, x.device) : null;
                        var db = need[2] ? Tensor.Empty(bias!.shapeI, x.dtype, x.device) : null;
                        x.Backend.LayerNormBackward(gc, x, w, mean, rstd, dx, dw, db);
                        return [dx, dw, db];
                    }, saved);
                }
                return y;
            }

            /// <summary>Looks up rows of <paramref name="weight"/> [V, D] for int64 indices of any shape; the gradient scatters back.</summary>
            public static Tensor embedding(Tensor input, Tensor weight)
            {
                using var flat = input.reshape(-1);
                using var rows = weight.index_select(0, flat);
                return rows.ReshapeTo([.. input.shapeI, weight.shapeI[1]]);
            }

            /// <summary>y = x Wᵀ + b for x [..., in], W [out, in], b [out]: one GEMM with the bias folded in.</summary>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                if (weight.Dimensions != 2)
                {
                    throw new ArgumentException("linear needs a 2-D weight [out, in].");
                }
                int outF = weight.shapeI[0], inF = weight.shapeI[1];
                if (input.Dimensions == 0 || input.shapeI[^1] != inF)
                {
                    throw new ArgumentException($"linear: input {Shapes.Format(input.shapeI)} does not end with {inF} features.");
                }
                if (input.dtype != weight.dtype)
                {
                    throw new ArgumentException("linear: input and weight must share a dtype.");
                }
                int m = inF == 0 ? 0 : (int)(input.numel() / inF);
                var x = input.Contig();
                var y = Tensor.Empty([.. input.shapeI[..^1], outF], input.dtype, input.device);
                using (var x2 = new Tensor(x.storage, [m, inF], [inF, 1], x.offset))
                using (var wt = new Tensor(weight.storage, [inF, outF], [weight.stridesI[1], weight.stridesI[0]], weight.offset))
                using (var y2 = new Tensor(y.storage, [m, outF], [outF, 1], 0))
                {
                    double beta = 0;
                    if (bias is not null)
                    {
                        y.Backend.Copy(bias, y2);
                        beta = 1;
                    }
                    y.Backend.MatMul(x2, wt, y2, 1, beta);
                }
                if (Node.ShouldRecord([input, weight, bias]))
                {
                    Node.Record(y, "LinearBackward0", [input, weight, bias], (g, need) =>
                    {
                        var gc = g.Contig();
                        using var g2 = new Tensor(gc.storage, [m, outF], [outF, 1], gc.offset);
                        Tensor? dx = null, dw = null, db = null;
                        if (need[0])
                        {
                            dx = Tensor.Empty(input.shapeI, input.dtype, input.device);
                            using var dx2 = new Tensor(dx.storage, [m, inF], [inF, 1], 0);
                            using var w2 = new Tensor(weight.storage, [outF, inF], weight.stridesI, weight.offset);
                            dx.Backend.MatMul(g2, w2, dx2, 1, 0);
                        }
                        if (need[1])
                        {
                            dw = Tensor.Empty(weight.shapeI, weight.dtype, weight.device);
                            using var g2t = new Tensor(gc.storage, [outF, m], [1, outF], gc.offset);
                            using var x2 = new Tensor(x.storage, [m, inF], [inF, 1], x.offset);
                            dw.Backend.MatMul(g2t, x2, dw, 1, 0);
                        }
                        if (need[2])
                        {
                            db = g2.sum(0).ReshapeTo(bias!.shapeI);
                        }
                        return [dx, dw, db];
                    }, x, weight);
                }
                return y;
            }

            /// <summary>
            /// softmax(q kᵀ · scale + mask) v over the last two dims of q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv].
            /// With <paramref name="past_key"/>/<paramref name="past_value"/> (cached [..., P, D]) the keys and values are
            /// the cache followed by k and v, and with <paramref name="is_causal"/> query i sits at position
            /// (total keys - Tq + i) and attends to every key up to it — so a prefix-cached call equals the full causal
            /// computation's last rows. A bool <paramref name="attn_mask"/> marks keys that may be attended; a float mask is added.
            /// <para><paramref name="fused"/>: true runs the backend's fused kernel where it has one (the managed backend's tiled
            /// kernel takes a per-key mask [..., 1, Tk]); false always composes matmul, softmax, matmul; null (the default) lets
            /// the backend choose: libtorch fuses calls without a mask, the managed backend from
            /// <c>torch.set_fused_attention_min_keys</c> keys (1024) on, so shorter contexts keep the composed path's numbers.</para>
            /// </summary>
            public static Tensor scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask = null,
                double dropout_p = 0, bool is_causal = false, double? scale = null, Tensor? past_key = null, Tensor? past_value = null,
                Generator? generator = null, bool? fused = null) =>
                ScaledDotProductAttention(query, key, value, attn_mask, dropout_p, is_causal, scale, past_key, past_value, generator, fused, false);

            /// <summary>
            /// <see cref="scaled_dot_product_attention"/>; with <paramref name="headsLast"/> the composed path's output
            /// [B, H, Tq, Dv] is a transposed view of a contiguous [B, Tq, H, Dv] buffer that the last product writes
            /// directly (same values, bit for bit), so merging the heads back into [B, Tq, H·Dv] is a view, not a copy.
            /// </summary>
            internal static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask,
                double dropout_p, bool is_causal, double? scale, Tensor? past_key, Tensor? past_value,
                Generator? generator, bool? fused, bool headsLast)
            {
                if ((past_key is null) != (past_value is null))
                {
                    throw new ArgumentException("past_key and past_value come together.");
                }
                Tensor k = past_key is null ? key : cat([past_key, key], -2);
                Tensor v = past_value is null ? value : cat([past_value, value], -2);
                int tq = query.shapeI[^2], tk = k.shapeI[^2], dHead = query.shapeI[^1];
                if (tq > tk && is_causal)
                {
                    throw new ArgumentException("A causal attention call cannot have more queries than keys.");
                }
                double s = scale ?? 1.0 / Math.Sqrt(dHead);
                if (dropout_p == 0 && fused != false && query.Backend is Backends.IFusedAttention kernel
                    && (fused == true || kernel.PrefersFused(tk)) && attn_mask?.requires_grad != true)
                {
                    bool record = Node.ShouldRecord([query, k, v]);
                    if (kernel.Attention(query, k, v, attn_mask, is_causal, s, record, out var backward) is { } y)
                    {
                        if (record)
                        {
                            Node.Record(y, "ScaledDotProductAttentionBackward0", [query, k, v], (g, _) => backward!(g));
                        }
                        DisposeConcatenated(k, key, v, value);
                        return y;
                    }
                }
                using var kt = k.transpose(-2, -1);
                using var raw = query.matmul(kt);
                Tensor attn;
                if (attn_mask is null)
                {
                    // Scale, causal mask and softmax in one pass over the scores (and one in the backward).
                    attn = raw.ScaledSoftmax(s, is_causal);
                }
                else
                {
                    var scores = raw.mul(s);
                    if (is_causal)
                    {
                        using var allowed = ones([tq, tk], ScalarType.Bool);
                        using var blocked = allowed.triu(tk - tq + 1);
                        var masked = scores.masked_fill(blocked, double.NegativeInfinity);
                        scores.Dispose();
                        scores = masked;
                    }
                    Tensor next;
                    if (attn_mask.dtype == ScalarType.Bool)
                    {
                        using var notAllowed = attn_mask.logical_not();
                        next = scores.masked_fill(notAllowed, double.NegativeInfinity);
                    }
                    else
                    {
                        next = scores.add(attn_mask);
                    }
                    scores.Dispose();
                    attn = next.softmax(-1);
                    next.Dispose();
                }
                if (dropout_p > 0)
                {
                    var dropped = dropout(attn, dropout_p, true, generator);
                    attn.Dispose();
                    attn = dropped;
                }
                var output = headsLast ? attn.MatMulHeadsLast(v) : attn.matmul(v);
                attn.Dispose();
                DisposeConcatenated(k, key, v, value);
                return output;
            }

            // cat() made new tensors for a KV prefix; the graph keeps what it saved.
            private static void DisposeConcatenated(Tensor k, Tensor key, Tensor v, Tensor value)
            {
                if (!ReferenceEquals(k, key))
                {
                    k.Dispose();
                }
                if (!ReferenceEquals(v, value))
                {
                    v.Dispose();
                }
            }
        }
    }

    public sealed partial class Tensor
    {
        internal void RequireFloatPublic(string op) => RequireFloat(op);
    }
}
