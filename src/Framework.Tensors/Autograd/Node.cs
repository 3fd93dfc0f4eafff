using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Autograd;

/// <summary>Computes the gradients of a node's inputs from the gradient of its output.</summary>
/// <param name="grad">Gradient of the node's output (same shape as the output).</param>
/// <param name="needs">needs[i] is true when input i wants a gradient.</param>
/// <returns>One gradient per input, shaped like that input (null where not needed).</returns>
internal delegate Tensor?[] BackwardFn(Tensor grad, bool[] needs);

/// <summary>Backward of an operation with several outputs; grads[i] is null when output i received no gradient.</summary>
internal delegate Tensor?[] MultiBackwardFn(Tensor?[] grads, bool[] needs);

/// <summary>
/// One recorded operation in the autograd graph: where its input gradients go (the producing node, or the leaf
/// that accumulates them) and how to compute them. Saved tensors keep their storage alive until the node runs.
/// </summary>
internal sealed class Node
{
    private readonly BackwardFn? backward;
    private readonly MultiBackwardFn? multiBackward;
    private Tensor[]? saved;

    private Node(string name, Tensor?[] inputs, BackwardFn? backward, MultiBackwardFn? multiBackward, int outputs, Tensor[]? saved)
    {
        Name = name;
        this.backward = backward;
        this.multiBackward = multiBackward;
        Outputs = outputs;
        Next = new Node?[inputs.Length];
        NextOutput = new int[inputs.Length];
        Leaves = new Tensor?[inputs.Length];
        Needs = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            if (t is not null && t.requires_grad)
            {
                Needs[i] = true;
                if (t.GradFn is not null)
                {
                    Next[i] = t.GradFn;
                    NextOutput[i] = t.GradFnOutput;
                }
                else
                {
                    Leaves[i] = t;
                }
            }
        }
        if (saved is not null)
        {
            foreach (var s in saved)
            {
                s.Storage.Retain();
            }
            this.saved = saved;
        }
    }

    public string Name { get; }

    /// <summary>Number of outputs (1 except for split-like operations).</summary>
    public int Outputs { get; }

    /// <summary>Which output of Next[i] input i is.</summary>
    public int[] NextOutput { get; }

    /// <summary>Producer of input i (null when input i is a leaf or needs no gradient).</summary>
    public Node?[] Next { get; }

    /// <summary>Leaf that accumulates the gradient of input i.</summary>
    public Tensor?[] Leaves { get; }

    public bool[] Needs { get; }

    public bool Released { get; private set; }

    /// <summary>True when autograd should record an operation on these inputs.</summary>
    public static bool ShouldRecord(Tensor a) => a.requires_grad && is_grad_enabled();

    public static bool ShouldRecord(Tensor a, Tensor b) => (a.requires_grad || b.requires_grad) && is_grad_enabled();

    public static bool ShouldRecord(ReadOnlySpan<Tensor?> inputs)
    {
        foreach (var t in inputs)
        {
            if (t is not null && t.requires_grad)
            {
                return is_grad_enabled();
            }
        }
        return false;
    }

    /// <summary>Marks <paramref name="output"/> as produced by a new node over <paramref name="inputs"/>.</summary>
    public static Tensor Record(Tensor output, string name, Tensor?[] inputs, BackwardFn backward, params Tensor[]? saved)
    {
        output.GradFn = new Node(name, inputs, backward, null, 1, saved is { Length: > 0 } ? saved : null);
        output.GradFnOutput = 0;
        output.requires_grad = true;
        return output;
    }

    /// <summary>Marks several outputs as produced by one node (their gradients arrive together).</summary>
    public static void RecordMulti(Tensor[] outputs, string name, Tensor?[] inputs, MultiBackwardFn backward, params Tensor[]? saved)
    {
        var node = new Node(name, inputs, null, backward, outputs.Length, saved is { Length: > 0 } ? saved : null);
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i].GradFn = node;
            outputs[i].GradFnOutput = i;
            outputs[i].requires_grad = true;
        }
    }

    public Tensor?[] Apply(Tensor?[] grads)
    {
        if (Released)
        {
            throw new InvalidOperationException(
                $"Trying to backward through {Name} a second time; its saved tensors were freed. Pass retain_graph: true to the first backward.");
        }
        if (multiBackward is not null)
        {
            return multiBackward(grads, Needs);
        }
        return grads[0] is { } g ? backward!(g, Needs) : new Tensor?[Needs.Length];
    }

    public void Release()
    {
        Released = true;
        var s = saved;
        saved = null;
        if (s is not null)
        {
            foreach (var t in s)
            {
                t.Storage.Release();
            }
        }
    }
}
