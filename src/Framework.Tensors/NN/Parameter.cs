namespace AlignFx.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A trainable tensor owned by a <see cref="Module"/>: it requires grad, belongs to no dispose scope, and is
        /// listed by <see cref="Module.parameters"/>. The runtime's <see cref="Tensor"/> is sealed, so a parameter
        /// wraps its tensor (<see cref="data"/>) and converts to it implicitly: <c>functional.linear(x, weight)</c>
        /// works with a parameter as with a tensor. Wrapping also lets <see cref="Module.to(ScalarType)"/> swap the
        /// tensor underneath while every holder of the parameter keeps seeing the current one.
        /// </summary>
        public sealed class Parameter : IDisposable
        {
            private Tensor tensor;

            /// <summary>Wraps <paramref name="data"/> (taken over, not copied) as a parameter.</summary>
            /// <exception cref="ArgumentException">The tensor is not a leaf (it was produced by a recorded operation).</exception>
            public Parameter(Tensor data, bool requires_grad = true)
            {
                ArgumentNullException.ThrowIfNull(data);
                tensor = Adopt(data, requires_grad);
            }

            /// <summary>The current value. Setting it replaces the tensor (shape and dtype may change); the old one is not disposed.</summary>
            public Tensor data
            {
                get => tensor;
                set
                {
                    ArgumentNullException.ThrowIfNull(value);
                    tensor = Adopt(value, tensor.requires_grad);
                }
            }

            /// <summary>The accumulated gradient (null until a backward pass reaches the parameter, or after zero_grad(set_to_none)).</summary>
            public Tensor? grad
            {
                get => tensor.grad;
                set => tensor.grad = value;
            }

            /// <summary>Whether backward passes compute a gradient for this parameter.</summary>
            public bool requires_grad
            {
                get => tensor.requires_grad;
                set => tensor.requires_grad = value;
            }

            /// <summary>The sizes of the dimensions.</summary>
            public long[] shape => tensor.shape;

            /// <summary>Element type.</summary>
            public ScalarType dtype => tensor.dtype;

            /// <summary>Number of elements.</summary>
            public long numel() => tensor.numel();

            /// <summary>The size of dimension <paramref name="dim"/>.</summary>
            public long size(long dim) => tensor.size(dim);

            /// <summary>The parameter's tensor.</summary>
            public static implicit operator Tensor(Parameter parameter)
            {
                ArgumentNullException.ThrowIfNull(parameter);
                return parameter.tensor;
            }

            /// <summary>Disposes the tensor and its gradient.</summary>
            public void Dispose()
            {
                tensor.grad?.Dispose();
                tensor.grad = null;
                tensor.Dispose();
            }

            /// <inheritdoc/>
            public override string ToString() => "Parameter " + tensor;

            private static Tensor Adopt(Tensor t, bool requiresGrad)
            {
                if (!t.is_leaf)
                {
                    throw new ArgumentException("A parameter must be a leaf tensor; detach() it first.", nameof(t));
                }
                t.DetachFromDisposeScope();
                t.requires_grad = requiresGrad;
                return t;
            }
        }
    }
}
