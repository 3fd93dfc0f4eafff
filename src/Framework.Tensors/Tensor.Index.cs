using AlignFx.Tensors.Autograd;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        private static void RequireIndex(Tensor index, string op)
        {
            if (index.dtype != ScalarType.Int64)
            {
                throw new ArgumentException($"{op} needs an int64 index tensor, not {index.dtype}.");
            }
        }

        /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and so on): picks along <paramref name="dim"/> by index.</summary>
        public Tensor gather(long dim, Tensor index)
        {
            RequireIndex(index, "gather");
            int d = Shapes.Dim(dim, shapeI.Length);
            if (index.shapeI.Length != shapeI.Length)
            {
                throw new ArgumentException("gather needs an index with as many dimensions as the input.");
            }
            var r = Empty(index.shapeI, dtype, device);
            Backend.Gather(this, d, index, r);
            if (Node.ShouldRecord(this))
            {
                var shape = shapeI;
                var dt = dtype;
                Node.Record(r, "GatherBackward0", [this], (g, _) =>
                {
                    var z = zeros(shape, dt);
                    z.Backend.ScatterAdd(z, d, index, g);
                    return [z];
                }, index);
            }
            return r;
        }

        /// <summary>A copy of this tensor with src added at the positions index names along <paramref name="dim"/>.</summary>
        public Tensor scatter_add(long dim, Tensor index, Tensor src)
        {
            RequireIndex(index, "scatter_add");
            int d = Shapes.Dim(dim, shapeI.Length);
            var s = src.dtype == dtype ? src : src.to(dtype);
            var r = Empty(shapeI, dtype, device);
            Backend.Copy(this, r);
            Backend.ScatterAdd(r, d, index, s);
            if (Node.ShouldRecord(this, s))
            {
                Node.Record(r, "ScatterAddBackward0", [this, s], (g, n) =>
                [
                    n[0] ? g : null,
                    n[1] ? g.gather(d, index) : null,
                ], index);
            }
            return r;
        }

        /// <summary>In place: adds src at the positions index names along <paramref name="dim"/>.</summary>
        public Tensor scatter_add_(long dim, Tensor index, Tensor src)
        {
            RequireIndex(index, "scatter_add_");
            CheckInplace(src);
            Backend.ScatterAdd(this, Shapes.Dim(dim, shapeI.Length), index, CastLike(src));
            return this;
        }

        /// <summary>The entries of dimension <paramref name="dim"/> listed in the 1-D <paramref name="index"/>.</summary>
        public Tensor index_select(long dim, Tensor index)
        {
            RequireIndex(index, "index_select");
            if (index.shapeI.Length > 1)
            {
                throw new ArgumentException("index_select needs a 0-d or 1-d index.");
            }
            int d = Shapes.Dim(dim, shapeI.Length);
            var shape = (int[])shapeI.Clone();
            shape[d] = index.numelI;
            var r = Empty(shape, dtype, device);
            Backend.IndexSelect(this, d, index, r);
            if (Node.ShouldRecord(this))
            {
                var orig = shapeI;
                var dt = dtype;
                Node.Record(r, "IndexSelectBackward0", [this], (g, _) =>
                {
                    var z = zeros(orig, dt);
                    var gc = g.contiguous();
                    z.Backend.IndexAdd(z, d, index, gc);
                    return [z];
                }, index);
            }
            return r;
        }

        /// <summary>In place: adds the slices of src into the entries of dimension <paramref name="dim"/> named by index.</summary>
        public Tensor index_add_(long dim, Tensor index, Tensor src)
        {
            RequireIndex(index, "index_add_");
            CheckInplace(src);
            Backend.IndexAdd(this, Shapes.Dim(dim, shapeI.Length), index, CastLike(src));
            return this;
        }

        /// <summary>A copy with <paramref name="value"/> wherever the (broadcast) bool mask is true.</summary>
        public Tensor masked_fill(Tensor mask, double value)
        {
            if (mask.dtype != ScalarType.Bool)
            {
                throw new ArgumentException("masked_fill needs a bool mask.");
            }
            Shapes.BroadcastStrides(mask.shapeI, mask.stridesI, shapeI);
            var r = Empty(shapeI, dtype, device);
            Backend.Copy(this, r);
            Backend.MaskedFill(r, mask, value);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, "MaskedFillBackward0", [this], (g, _) =>
                {
                    var gc = g.clone();
                    gc.Backend.MaskedFill(gc, mask, 0);
                    return [gc];
                }, mask);
            }
            return r;
        }

        /// <summary>In place: sets <paramref name="value"/> wherever the mask is true.</summary>
        public Tensor masked_fill_(Tensor mask, double value)
        {
            CheckInplace();
            Backend.MaskedFill(this, mask, value);
            return this;
        }

        /// <summary>Keeps the lower triangle of the last two dims (j &lt;= i + diagonal), zeroing the rest.</summary>
        public Tensor tril(long diagonal = 0) => Triangle((int)diagonal, false);

        /// <summary>Keeps the upper triangle of the last two dims (j &gt;= i + diagonal), zeroing the rest.</summary>
        public Tensor triu(long diagonal = 0) => Triangle((int)diagonal, true);

        private Tensor Triangle(int diagonal, bool upper)
        {
            if (shapeI.Length < 2)
            {
                throw new ArgumentException("tril/triu need at least 2 dimensions.");
            }
            var r = Empty(shapeI, dtype, device);
            Backend.Triangle(this, r, diagonal, upper);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, upper ? "TriuBackward0" : "TrilBackward0", [this], (g, _) => [g.Triangle(diagonal, upper)]);
            }
            return r;
        }
    }
}
