using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Autograd;

/// <summary>Runs reverse-mode differentiation over the recorded graph in dependency order.</summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.requires_grad)
        {
            throw new InvalidOperationException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        using var _ = no_grad();
        Tensor seed;
        if (gradient is null)
        {
            if (root.numel() != 1)
            {
                throw new InvalidOperationException("grad can be implicitly created only for scalar outputs; pass a gradient.");
            }
            seed = ones_like(root);
        }
        else
        {
            if (!Shapes.Equal(gradient.shapeI, root.shapeI))
            {
                throw new ArgumentException($"Gradient shape {Shapes.Format(gradient.shapeI)} does not match output shape {Shapes.Format(root.shapeI)}.");
            }
            seed = gradient.dtype == root.dtype ? gradient : gradient.to(root.dtype);
        }

        var start = root.GradFn;
        if (start is null)
        {
            Accumulate(root, seed);
            return;
        }

        // Count, for every reachable node, how many edges lead into it; a node runs once all have delivered.
        var deps = new Dictionary<Node, int> { [start] = 0 };
        var stack = new Stack<Node>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var next in n.Next)
            {
                if (next is null)
                {
                    continue;
                }
                if (deps.TryGetValue(next, out int c))
                {
                    deps[next] = c + 1;
                }
                else
                {
                    deps[next] = 1;
                    stack.Push(next);
                }
            }
        }

        var grads = new Dictionary<Node, Tensor?[]>();
        grads[start] = new Tensor?[start.Outputs];
        grads[start][root.GradFnOutput] = seed;
        var ready = new Stack<Node>();
        ready.Push(start);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            Tensor?[]? results = null;
            if (grads.Remove(node, out var g))
            {
                results = node.Apply(g);
            }
            if (!retainGraph)
            {
                node.Release();
            }
            for (int i = 0; i < node.Next.Length; i++)
            {
                var r = results is not null && i < results.Length ? results[i] : null;
                var leaf = node.Leaves[i];
                if (leaf is not null)
                {
                    if (r is not null)
                    {
                        Accumulate(leaf, r);
                    }
                    continue;
                }
                var next = node.Next[i];
                if (next is null)
                {
                    continue;
                }
                if (r is not null)
                {
                    if (!grads.TryGetValue(next, out var slots))
                    {
                        grads[next] = slots = new Tensor?[next.Outputs];
                    }
                    int o = node.NextOutput[i];
                    slots[o] = slots[o] is { } existing ? existing.add(r) : r;
                }
                if (--deps[next] == 0)
                {
                    ready.Push(next);
                }
            }
        }
    }

    /// <summary>Adds a gradient into a leaf's .grad, creating it (outside every dispose scope) the first time.</summary>
    private static void Accumulate(Tensor leaf, Tensor g)
    {
        if (!Shapes.Equal(g.shapeI, leaf.shapeI))
        {
            throw new InvalidOperationException($"Internal autograd error: gradient {Shapes.Format(g.shapeI)} for leaf {Shapes.Format(leaf.shapeI)}.");
        }
        if (g.dtype != leaf.dtype)
        {
            g = g.to(leaf.dtype);
        }
        if (leaf.grad is null)
        {
            var copy = Tensor.Empty(leaf.shapeI, leaf.dtype, leaf.device).DetachFromDisposeScope();
            copy.Backend.Copy(g, copy);
            leaf.grad = copy;
        }
        else
        {
            leaf.grad.Backend.Binary(Backends.BinaryOp.Add, leaf.grad, g, leaf.grad);
        }
    }
}
