using AlignFx.Tensors.Backends;
using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Tensors.Torch;

internal sealed partial class TorchBackend : IFusedAttention
{
    /// <summary>
    /// libtorch's fused scaled_dot_product_attention (flash / memory-efficient kernels where libtorch has them).
    /// For the backward, the call is recorded on libtorch's own autograd tape (inputs are detached leaves), and our
    /// node asks libtorch for the three input gradients.
    /// </summary>
    public Tensor? Attention(Tensor q, Tensor k, Tensor v, bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward)
    {
        backward = null;
        int tq = q.shapeI[^2], tk = k.shapeI[^2], d = q.shapeI[^1];
        if (Math.Abs(scale * Math.Sqrt(d) - 1) > 1e-12 || q.dtype != k.dtype || q.dtype != v.dtype
            || q.Storage is not TorchStorage || k.Storage is not TorchStorage || v.Storage is not TorchStorage)
        {
            return null; // TorchSharp's SDPA takes the default scale only; other cases take the composed path.
        }
        TS.Tensor tqv, tkv, tvv, o;
        TS.Tensor? mask = null;
        using (TS.NewDisposeScope())
        {
            tqv = View(q).detach().requires_grad_(needGrad).DetachFromDisposeScope();
            tkv = View(k).detach().requires_grad_(needGrad).DetachFromDisposeScope();
            tvv = View(v).detach().requires_grad_(needGrad).DetachFromDisposeScope();
            if (causal && tq != tk)
            {
                // Ours aligns the causal mask bottom-right (a KV prefix before the queries); libtorch's is_causal is top-left.
                mask = TS.ones([tq, tk], TS.ScalarType.Bool, TsDevice).tril(tk - tq).DetachFromDisposeScope();
            }
            using (needGrad ? TS.enable_grad() : TS.no_grad())
            {
                o = TS.nn.functional.scaled_dot_product_attention(tqv, tkv, tvv, attn_mask: mask, is_casual: causal && mask is null).DetachFromDisposeScope();
            }
        }
        var y = Tensor.Empty(q.shapeI[..^1].Append(v.shapeI[^1]).ToArray(), q.dtype, Device);
        Store(y, o.detach());
        if (!needGrad)
        {
            o.Dispose();
            tqv.Dispose();
            tkv.Dispose();
            tvv.Dispose();
            mask?.Dispose();
            return y;
        }
        backward = g =>
        {
            TS.Tensor[] grads;
            using (TS.NewDisposeScope())
            {
                var gv = View(g);
                grads = [.. TS.autograd.grad([o], [tqv, tkv, tvv], [gv], retain_graph: false).Select(t => t.DetachFromDisposeScope())];
            }
            o.Dispose();
            tqv.Dispose();
            tkv.Dispose();
            tvv.Dispose();
            mask?.Dispose();
            var result = new Tensor[3];
            Tensor[] like = [q, k, v];
            for (int i = 0; i < 3; i++)
            {
                result[i] = Tensor.Empty(like[i].shapeI, like[i].dtype, Device);
                Store(result[i], grads[i]);
            }
            return result;
        };
        return y;
    }
}
