using AlignFx.Tensors.Autograd;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        /// <summary>A view over this tensor's storage; records <paramref name="back"/> when autograd is on.</summary>
        private Tensor MakeView(int[] shape, int[] strides, int off, string name, Func<Tensor, Tensor> back)
        {
            var r = new Tensor(storage, shape, strides, off);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, name, [this], (g, _) => [back(g)]);
            }
            return r;
        }

        /// <summary>A view with a new shape (one entry may be -1). Throws when the strides do not allow a view; see <see cref="reshape"/>.</summary>
        public Tensor view(params long[] shape)
        {
            var ns = Shapes.Infer(shape, numelI);
            var st = Shapes.ViewStrides(shapeI, stridesI, ns)
                ?? throw new InvalidOperationException($"view of shape {Shapes.Format(ns)} is not compatible with the input's size and stride; use reshape().");
            var orig = shapeI;
            return MakeView(ns, st, offset, "ViewBackward0", g => g.ReshapeTo(orig));
        }

        /// <summary>A tensor with a new shape: a view when the layout allows it, else a contiguous copy.</summary>
        public Tensor reshape(params long[] shape)
        {
            var ns = Shapes.Infer(shape, numelI);
            if (Shapes.ViewStrides(shapeI, stridesI, ns) is not null)
            {
                return view(shape);
            }
            using var c = contiguous();
            return c.view(shape);
        }

        internal Tensor ReshapeTo(int[] shape)
        {
            var l = new long[shape.Length];
            for (int i = 0; i < l.Length; i++)
            {
                l[i] = shape[i];
            }
            return reshape(l);
        }

        /// <summary>Views this tensor with the shape of <paramref name="other"/>.</summary>
        public Tensor view_as(Tensor other) => view(other.shape);

        /// <summary>Reshapes this tensor to the shape of <paramref name="other"/>.</summary>
        public Tensor reshape_as(Tensor other) => reshape(other.shape);

        /// <summary>Swaps two dimensions (a view).</summary>
        public Tensor transpose(long dim0, long dim1)
        {
            int a = Shapes.Dim(dim0, shapeI.Length), b = Shapes.Dim(dim1, shapeI.Length);
            if (shapeI.Length == 0)
            {
                return MakeView(shapeI, stridesI, offset, "TransposeBackward0", g => g);
            }
            var s = (int[])shapeI.Clone();
            var st = (int[])stridesI.Clone();
            (s[a], s[b]) = (s[b], s[a]);
            (st[a], st[b]) = (st[b], st[a]);
            return MakeView(s, st, offset, "TransposeBackward0", g => g.transpose(a, b));
        }

        /// <summary>The transpose of a matrix (a 0-d or 1-d tensor is returned as is).</summary>
        public Tensor t()
        {
            if (shapeI.Length > 2)
            {
                throw new InvalidOperationException("t() expects a tensor with at most 2 dimensions; use transpose or mT.");
            }
            return shapeI.Length < 2 ? MakeView(shapeI, stridesI, offset, "TBackward0", g => g) : transpose(0, 1);
        }

        /// <summary>The transpose of the last two dimensions.</summary>
        public Tensor mT => transpose(-2, -1);

        /// <summary>Reorders the dimensions (a view).</summary>
        public Tensor permute(params long[] dims)
        {
            int r = shapeI.Length;
            if (dims.Length != r)
            {
                throw new ArgumentException($"permute needs {r} dimensions, got {dims.Length}.");
            }
            var p = new int[r];
            var seen = new bool[r];
            var s = new int[r];
            var st = new int[r];
            for (int i = 0; i < r; i++)
            {
                p[i] = Shapes.Dim(dims[i], r);
                if (seen[p[i]])
                {
                    throw new ArgumentException("permute dimensions must be distinct.");
                }
                seen[p[i]] = true;
                s[i] = shapeI[p[i]];
                st[i] = stridesI[p[i]];
            }
            var inv = new long[r];
            for (int i = 0; i < r; i++)
            {
                inv[p[i]] = i;
            }
            return MakeView(s, st, offset, "PermuteBackward0", g => g.permute(inv));
        }

        /// <summary>The slice [start, start + length) of dimension <paramref name="dim"/> (a view).</summary>
        public Tensor narrow(long dim, long start, long length)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            int size = shapeI[d];
            long s0 = start < 0 ? start + size : start;
            if (s0 < 0 || length < 0 || s0 + length > size)
            {
                throw new ArgumentOutOfRangeException(nameof(start), $"narrow({dim}, {start}, {length}) is outside a dimension of size {size}.");
            }
            return SliceCore(d, (int)s0, (int)length, 1, "NarrowBackward0");
        }

        /// <summary>Python-style slice start:finish:step of dimension <paramref name="dim"/> (a view; bounds are clamped).</summary>
        public Tensor slice(long dim, long start, long finish, long step = 1)
        {
            if (step <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(step), "slice step must be positive.");
            }
            int d = Shapes.Dim(dim, shapeI.Length);
            long size = shapeI[d];
            long s = start < 0 ? Math.Max(start + size, 0) : Math.Min(start, size);
            long f = finish < 0 ? Math.Max(finish + size, 0) : Math.Min(finish, size);
            long len = f > s ? (f - s + step - 1) / step : 0;
            return SliceCore(d, (int)s, (int)len, (int)step, "SliceBackward0");
        }

        private Tensor SliceCore(int d, int start, int length, int step, string name)
        {
            var s = (int[])shapeI.Clone();
            var st = (int[])stridesI.Clone();
            s[d] = length;
            st[d] = stridesI[d] * step;
            var orig = shapeI;
            var dt = dtype;
            return MakeView(s, st, offset + start * stridesI[d], name, g =>
            {
                var z = zeros(orig, dt);
                using var part = z.SliceCore(d, start, length, step, name);
                part.Backend.Copy(g, part);
                return z;
            });
        }

        /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension (a view).</summary>
        public Tensor select(long dim, long index)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            int size = shapeI[d];
            long i = index < 0 ? index + size : index;
            if (i < 0 || i >= size)
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is out of range for a dimension of size {size}.");
            }
            var s = new List<int>(shapeI);
            var st = new List<int>(stridesI);
            s.RemoveAt(d);
            st.RemoveAt(d);
            var orig = shapeI;
            var dt = dtype;
            int ii = (int)i;
            return MakeView(s.ToArray(), st.ToArray(), offset + ii * stridesI[d], "SelectBackward0", g =>
            {
                var z = zeros(orig, dt);
                using var part = z.select(d, ii);
                part.Backend.Copy(g, part);
                return z;
            });
        }

        /// <summary>Indexing shorthand: <c>x[i]</c> selects along dimension 0.</summary>
        public Tensor this[long index] => select(0, index);

        /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (a view).</summary>
        public Tensor unsqueeze(long dim)
        {
            int r = shapeI.Length;
            long dd = dim < 0 ? dim + r + 1 : dim;
            if (dd < 0 || dd > r)
            {
                throw new ArgumentOutOfRangeException(nameof(dim), $"unsqueeze dimension {dim} is out of range for {r} dimensions.");
            }
            int d = (int)dd;
            var s = new List<int>(shapeI);
            var st = new List<int>(stridesI);
            s.Insert(d, 1);
            st.Insert(d, d < r ? shapeI[d] * stridesI[d] : 1);
            var orig = shapeI;
            return MakeView(s.ToArray(), st.ToArray(), offset, "UnsqueezeBackward0", g => g.ReshapeTo(orig));
        }

        /// <summary>Removes size-1 dimensions (all of them, or only <paramref name="dim"/> when it has size 1) (a view).</summary>
        public Tensor squeeze(long? dim = null)
        {
            var s = new List<int>();
            var st = new List<int>();
            int only = dim is null ? -1 : Shapes.Dim(dim.Value, shapeI.Length);
            for (int i = 0; i < shapeI.Length; i++)
            {
                bool drop = shapeI[i] == 1 && (only < 0 || only == i);
                if (!drop)
                {
                    s.Add(shapeI[i]);
                    st.Add(stridesI[i]);
                }
            }
            var orig = shapeI;
            return MakeView(s.ToArray(), st.ToArray(), offset, "SqueezeBackward0", g => g.ReshapeTo(orig));
        }

        /// <summary>Broadcasts size-1 dimensions (and new leading ones) to the given sizes without copying; -1 keeps a size.</summary>
        public Tensor expand(params long[] sizes)
        {
            var target = Shapes.ToInt(sizes);
            int lead = target.Length - shapeI.Length;
            if (lead < 0)
            {
                throw new ArgumentException($"expand needs at least {shapeI.Length} sizes.");
            }
            for (int i = 0; i < target.Length; i++)
            {
                if (target[i] == -1)
                {
                    if (i < lead)
                    {
                        throw new ArgumentException("expand cannot use -1 for a new leading dimension.");
                    }
                    target[i] = shapeI[i - lead];
                }
            }
            var st = Shapes.BroadcastStrides(shapeI, stridesI, target);
            var orig = shapeI;
            return MakeView(target, st, offset, "ExpandBackward0", g => g.SumTo(orig));
        }

        /// <summary>Expands to the shape of <paramref name="other"/>.</summary>
        public Tensor expand_as(Tensor other) => expand(other.shape);

        /// <summary>This tensor if contiguous, else a contiguous copy.</summary>
        public Tensor contiguous()
        {
            if (is_contiguous())
            {
                return this;
            }
            return clone();
        }

        /// <summary>A contiguous copy that stays in the autograd graph.</summary>
        public Tensor clone()
        {
            var r = Empty(shapeI, dtype, device);
            Backend.Copy(this, r);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, "CloneBackward0", [this], (g, _) => [g]);
            }
            return r;
        }

        /// <summary>Merges dimensions start_dim..end_dim into one.</summary>
        public Tensor flatten(long start_dim = 0, long end_dim = -1)
        {
            if (shapeI.Length == 0)
            {
                return reshape(1);
            }
            int s = Shapes.Dim(start_dim, shapeI.Length), e = Shapes.Dim(end_dim, shapeI.Length);
            var ns = new List<long>();
            for (int i = 0; i < s; i++)
            {
                ns.Add(shapeI[i]);
            }
            long m = 1;
            for (int i = s; i <= e; i++)
            {
                m *= shapeI[i];
            }
            ns.Add(m);
            for (int i = e + 1; i < shapeI.Length; i++)
            {
                ns.Add(shapeI[i]);
            }
            return reshape(ns.ToArray());
        }

        /// <summary>Splits dimension <paramref name="dim"/> into <paramref name="sizes"/>.</summary>
        public Tensor unflatten(long dim, params long[] sizes)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            var ns = new List<long>();
            for (int i = 0; i < d; i++)
            {
                ns.Add(shapeI[i]);
            }
            ns.AddRange(sizes);
            for (int i = d + 1; i < shapeI.Length; i++)
            {
                ns.Add(shapeI[i]);
            }
            return reshape(ns.ToArray());
        }

        /// <summary>Splits into pieces of <paramref name="split_size"/> along <paramref name="dim"/> (the last may be smaller); views.</summary>
        public Tensor[] split(long split_size, long dim = 0)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            int size = shapeI[d];
            if (split_size <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(split_size));
            }
            var sizes = new List<long>();
            for (long s = 0; s < size; s += split_size)
            {
                sizes.Add(Math.Min(split_size, size - s));
            }
            return split(sizes.ToArray(), d);
        }

        /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/>; views with one shared backward.</summary>
        public Tensor[] split(long[] split_sizes, long dim = 0)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            long total = 0;
            foreach (var s in split_sizes)
            {
                total += s;
            }
            if (total != shapeI[d])
            {
                throw new ArgumentException($"split sizes add up to {total}, not {shapeI[d]}.");
            }
            var parts = new Tensor[split_sizes.Length];
            var starts = new int[split_sizes.Length];
            int at = 0;
            for (int i = 0; i < parts.Length; i++)
            {
                var shape = (int[])shapeI.Clone();
                shape[d] = (int)split_sizes[i];
                starts[i] = at;
                parts[i] = new Tensor(storage, shape, stridesI, offset + at * stridesI[d]);
                at += shape[d];
            }
            if (Node.ShouldRecord(this))
            {
                var orig = shapeI;
                var dt = dtype;
                // One node for all pieces: the input gradient is assembled once instead of summing zero-padded pieces.
                Node.RecordMulti(parts, "SplitWithSizesBackward0", [this], (grads, _) =>
                {
                    bool complete = Array.TrueForAll(grads, g => g is not null);
                    var full = complete ? Empty(orig, dt, device) : zeros(Array.ConvertAll(orig, v => (long)v), dt, device);
                    for (int i = 0; i < grads.Length; i++)
                    {
                        if (grads[i] is { } g)
                        {
                            using var slot = full.SliceCore(d, starts[i], g.shapeI[d], 1, "SplitBackward");
                            slot.Backend.Copy(g, slot);
                        }
                    }
                    return [full];
                });
            }
            return parts;
        }

        /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces along <paramref name="dim"/>; views.</summary>
        public Tensor[] chunk(long chunks, long dim = 0)
        {
            int d = Shapes.Dim(dim, shapeI.Length);
            long size = shapeI[d];
            long each = (size + chunks - 1) / chunks;
            return split(Math.Max(each, 1), d);
        }

        /// <summary>Sums this tensor down to <paramref name="shape"/> (the inverse of broadcasting).</summary>
        internal Tensor SumTo(int[] shape)
        {
            if (Shapes.Equal(shapeI, shape))
            {
                return this;
            }
            int lead = shapeI.Length - shape.Length;
            var dims = new List<long>();
            for (int i = 0; i < shapeI.Length; i++)
            {
                if (i < lead || (shape[i - lead] == 1 && shapeI[i] != 1))
                {
                    dims.Add(i);
                }
            }
            var s = dims.Count == 0 ? this : sum(dims.ToArray(), keepdim: true);
            return s.ReshapeTo(shape);
        }

        /// <summary>Sums to the given shape (the inverse of broadcasting).</summary>
        public Tensor sum_to_size(params long[] size) => SumTo(Shapes.ToInt(size));
    }
}
