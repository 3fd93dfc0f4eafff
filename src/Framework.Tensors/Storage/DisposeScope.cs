using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors;

/// <summary>
/// A region whose tensors are disposed together (TorchSharp's dispose scope). Open with
/// <see cref="torch.NewDisposeScope"/>; scopes nest per thread; the innermost open scope owns new tensors.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly List<Tensor> tensors = [];
    private bool disposed;

    private DisposeScope(DisposeScope? outer) => Outer = outer;

    /// <summary>The scope that was innermost when this one opened (null at the top).</summary>
    public DisposeScope? Outer { get; }

    /// <summary>Tensors currently owned by this scope.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var t in tensors)
            {
                if (ReferenceEquals(t.OwningScope, this) && !t.IsInvalid)
                {
                    n++;
                }
            }
            return n;
        }
    }

    internal static DisposeScope Open()
    {
        var s = new DisposeScope(current);
        current = s;
        return s;
    }

    internal static void Register(Tensor t)
    {
        var s = current;
        if (s is not null)
        {
            t.OwningScope = s;
            s.tensors.Add(t);
        }
    }

    internal void Adopt(Tensor t)
    {
        t.OwningScope = this;
        tensors.Add(t);
    }

    /// <summary>Moves <paramref name="tensor"/> to the enclosing scope (or to no scope) and returns it.</summary>
    public Tensor MoveToOuter(Tensor tensor) => tensor.MoveToOuterDisposeScope();

    /// <summary>Moves several tensors to the enclosing scope.</summary>
    public void MoveToOuter(params ReadOnlySpan<Tensor> tensors)
    {
        foreach (var t in tensors)
        {
            t.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Removes <paramref name="tensor"/> from every scope: the caller owns it from now on.</summary>
    public Tensor Detach(Tensor tensor) => tensor.DetachFromDisposeScope();

    /// <summary>Disposes every tensor this scope still owns and closes the scope.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (var t in tensors)
        {
            if (ReferenceEquals(t.OwningScope, this))
            {
                t.OwningScope = null;
                t.Dispose();
            }
        }
        tensors.Clear();
        if (ReferenceEquals(current, this))
        {
            current = Outer;
        }
    }
}
