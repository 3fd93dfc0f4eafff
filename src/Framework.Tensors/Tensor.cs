using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using AlignFx.Tensors.Autograd;
using AlignFx.Tensors.Backends;

namespace AlignFx.Tensors;

public static partial class torch
{
    /// <summary>
    /// An n-dimensional array with a shape, strides and an offset into shared, pooled storage (views share storage),
    /// optionally recording the operations applied to it for reverse-mode automatic differentiation.
    /// Disposing a tensor releases its reference to the storage; the buffer returns to the pool when the last
    /// tensor (or autograd node) using it lets go. Tensors never disposed are simply garbage collected.
    /// </summary>
    public sealed partial class Tensor : IDisposable
    {
        internal readonly Storage storage;
        internal readonly int[] shapeI;
        internal readonly int[] stridesI;
        internal readonly int offset;
        internal readonly int numelI;
        private bool disposed;
        private bool requiresGrad;
        private Tensor? gradValue;

        internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
        {
            this.storage = storage;
            shapeI = shape;
            stridesI = strides;
            this.offset = offset;
            numelI = Shapes.Numel(shape);
            storage.Retain();
            DisposeScope.Register(this);
        }

        /// <summary>Allocates an uninitialised contiguous tensor.</summary>
        internal static Tensor Empty(int[] shape, ScalarType dtype, Device? device = null)
        {
            var dev = device ?? DefaultDevice;
            var st = dev.Backend.Allocate(dtype, Shapes.Numel(shape));
            return new Tensor(st, shape, Shapes.ContiguousStrides(shape), 0);
        }

        internal Storage Storage => storage;

        /// <summary>This tensor when contiguous, else a contiguous copy made outside autograd (callers dispose it when it differs).</summary>
        internal Tensor Contig()
        {
            if (is_contiguous())
            {
                return this;
            }
            var c = Empty(shapeI, dtype, device);
            Backend.Copy(this, c);
            return c;
        }

        internal IBackend Backend => storage.Device.Backend;

        internal DisposeScope? OwningScope { get; set; }

        internal bool IsInvalid => disposed;

        /// <summary>The autograd node that produced this tensor (null for leaves and for tensors outside the graph).</summary>
        internal Node? GradFn { get; set; }

        /// <summary>Which output of <see cref="GradFn"/> this tensor is.</summary>
        internal int GradFnOutput { get; set; }

        /// <summary>Element type.</summary>
        public ScalarType dtype => storage.DType;

        /// <summary>The device holding the storage.</summary>
        public Device device => storage.Device;

        /// <summary>The sizes of the dimensions (a fresh array).</summary>
        public long[] shape
        {
            get
            {
                var s = new long[shapeI.Length];
                for (int i = 0; i < s.Length; i++)
                {
                    s[i] = shapeI[i];
                }
                return s;
            }
        }

        /// <summary>The element strides of the dimensions (a fresh array).</summary>
        public long[] stride()
        {
            var s = new long[stridesI.Length];
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = stridesI[i];
            }
            return s;
        }

        /// <summary>The stride of dimension <paramref name="dim"/>.</summary>
        public long stride(long dim) => stridesI[Shapes.Dim(dim, shapeI.Length)];

        /// <summary>The element offset of this view into its storage.</summary>
        public long storage_offset() => offset;

        /// <summary>The size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
        public long size(long dim) => shapeI[Shapes.Dim(dim, shapeI.Length)];

        /// <summary>The sizes of all dimensions.</summary>
        public long[] size() => shape;

        /// <summary>Number of dimensions.</summary>
        public long dim() => shapeI.Length;

        /// <summary>Number of dimensions.</summary>
        public int Dimensions => shapeI.Length;

        /// <summary>Number of dimensions.</summary>
        public long ndim => shapeI.Length;

        /// <summary>Number of elements.</summary>
        public long numel() => numelI;

        /// <summary>Number of elements.</summary>
        public long NumberOfElements => numelI;

        /// <summary>True when the elements are laid out row-major with no gaps.</summary>
        public bool is_contiguous() => Shapes.IsContiguous(shapeI, stridesI);

        /// <summary>True once the tensor has been disposed.</summary>
        public bool IsDisposed => disposed;

        /// <summary>Whether gradients are computed for this tensor. Only float tensors can require gradients.</summary>
        public bool requires_grad
        {
            get => requiresGrad;
            set
            {
                if (value && dtype is not (ScalarType.Float32 or ScalarType.Float64))
                {
                    throw new InvalidOperationException("Only floating point tensors can require gradients.");
                }
                if (!value && GradFn is not null)
                {
                    throw new InvalidOperationException("requires_grad can only be turned off on leaf tensors; use detach().");
                }
                requiresGrad = value;
            }
        }

        /// <summary>Sets <see cref="requires_grad"/> and returns this tensor.</summary>
        public Tensor requires_grad_(bool requires_grad = true)
        {
            this.requires_grad = requires_grad;
            return this;
        }

        /// <summary>True for tensors not produced by a recorded operation (user-created tensors and parameters).</summary>
        public bool is_leaf => GradFn is null;

        /// <summary>The name of the backward function that produced this tensor, or null for a leaf.</summary>
        public string? grad_fn => GradFn?.Name;

        /// <summary>
        /// The accumulated gradient of a leaf that requires grad (null until a backward pass reaches it).
        /// Gradients belong to no dispose scope; setting a new value does not dispose the old one.
        /// </summary>
        public Tensor? grad
        {
            get => gradValue;
            set
            {
                if (value is not null && !Shapes.Equal(value.shapeI, shapeI))
                {
                    throw new ArgumentException($"Gradient shape {Shapes.Format(value.shapeI)} does not match tensor shape {Shapes.Format(shapeI)}.");
                }
                gradValue = value;
            }
        }

        /// <summary>
        /// Computes gradients of this tensor with respect to every leaf that requires grad and adds them into
        /// their <see cref="grad"/>. Without <paramref name="gradient"/> the tensor must hold one element.
        /// </summary>
        public void backward(Tensor? gradient = null, bool retain_graph = false) => Engine.Backward(this, gradient, retain_graph);

        /// <summary>A tensor sharing this one's storage but cut out of the autograd graph.</summary>
        public Tensor detach() => new(storage, shapeI, stridesI, offset);

        /// <summary>Moves this tensor to the dispose scope enclosing its current one (or to none) and returns it.</summary>
        public Tensor MoveToOuterDisposeScope()
        {
            var s = OwningScope;
            if (s is not null)
            {
                OwningScope = null;
                s.Outer?.Adopt(this);
            }
            return this;
        }

        /// <summary>Removes this tensor from every dispose scope; the caller now owns it.</summary>
        public Tensor DetachFromDisposeScope()
        {
            OwningScope = null;
            return this;
        }

        /// <summary>Releases this tensor's reference to its storage. Further use throws.</summary>
        public void Dispose()
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            OwningScope = null;
            storage.Release();
        }

        internal T[] Data<T>() where T : unmanaged
        {
            if (disposed)
            {
                ThrowDisposed();
            }
            return ((CpuStorage<T>)storage).Data;
        }

        /// <summary>This view's elements in host memory (contiguous views only); throws for device memory.</summary>
        internal Span<T> HostElements<T>() where T : unmanaged
        {
            if (disposed)
            {
                ThrowDisposed();
            }
            return storage.HostSpan<T>().Slice(offset, numelI);
        }

        /// <summary>Array access for kernels and autograd nodes, allowed after disposal while a node retains the storage.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal T[] Raw<T>() where T : unmanaged => ((CpuStorage<T>)storage).Data;

        private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(Tensor));

        /// <summary>The single element of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
        public T item<T>() where T : unmanaged
        {
            if (numelI != 1)
            {
                throw new InvalidOperationException($"item() needs a one-element tensor, this one has {numelI} elements.");
            }
            if (!storage.IsHostMemory)
            {
                using var h = to(CPU);
                return h.item<T>();
            }
            object v = dtype switch
            {
                ScalarType.Float32 => HostElements<float>()[0],
                ScalarType.Float64 => HostElements<double>()[0],
                ScalarType.Int64 => HostElements<long>()[0],
                _ => HostElements<bool>()[0],
            };
            return ConvertScalar<T>(v);
        }

        private static T ConvertScalar<T>(object v) where T : unmanaged
        {
            if (typeof(T) == typeof(bool))
            {
                return (T)(object)(v is bool b ? b : Convert.ToDouble(v, CultureInfo.InvariantCulture) != 0);
            }
            if (v is bool bb)
            {
                v = bb ? 1 : 0;
            }
            return (T)Convert.ChangeType(v, typeof(T), CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// The elements of a contiguous tensor as a span over its storage (writes go to the tensor).
        /// <typeparamref name="T"/> must match <see cref="dtype"/>.
        /// </summary>
        public Span<T> data<T>() where T : unmanaged
        {
            CheckElementType<T>();
            if (!is_contiguous())
            {
                throw new InvalidOperationException("data<T>() needs a contiguous tensor; call contiguous() first.");
            }
            return HostElements<T>();
        }

        /// <summary>A copy of the elements in row-major order. <typeparamref name="T"/> must match <see cref="dtype"/>.</summary>
        public T[] ToArray<T>() where T : unmanaged
        {
            CheckElementType<T>();
            if (!storage.IsHostMemory)
            {
                using var h = to(CPU);
                return h.ToArray<T>();
            }
            if (is_contiguous())
            {
                return HostElements<T>().ToArray();
            }
            using var c = contiguous();
            return c.HostElements<T>().ToArray();
        }

        private void CheckElementType<T>() where T : unmanaged
        {
            var want = typeof(T) == typeof(float) ? ScalarType.Float32
                : typeof(T) == typeof(double) ? ScalarType.Float64
                : typeof(T) == typeof(long) ? ScalarType.Int64
                : typeof(T) == typeof(bool) ? ScalarType.Bool
                : throw new NotSupportedException($"No tensor element type for {typeof(T).Name}.");
            if (want != dtype)
            {
                throw new InvalidOperationException($"The tensor holds {dtype}, not {want}.");
            }
        }

        /// <summary>A short description: shape, type and device, then the values when there are few.</summary>
        public override string ToString()
        {
            if (disposed)
            {
                return "Tensor (disposed)";
            }
            var sb = new StringBuilder();
            sb.Append('[').Append(string.Join("x", shapeI)).Append("], type = ").Append(dtype).Append(", device = ").Append(device);
            if (GradFn is not null)
            {
                sb.Append(", grad_fn = ").Append(GradFn.Name);
            }
            else if (requiresGrad)
            {
                sb.Append(", requires_grad");
            }
            if (numelI <= 64)
            {
                sb.Append(' ');
                using var d = to(ScalarType.Float64);
                var v = d.ToArray<double>();
                sb.Append('{');
                for (int i = 0; i < v.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    sb.Append(v[i].ToString("G6", CultureInfo.InvariantCulture));
                }
                sb.Append('}');
            }
            return sb.ToString();
        }
    }
}
