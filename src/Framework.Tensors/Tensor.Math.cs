using AlignFx.Tensors.Autograd;
using AlignFx.Tensors.Backends;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        private static int Rank(ScalarType t) => t switch
        {
            ScalarType.Bool => 0,
            ScalarType.Int64 => 1,
            ScalarType.Float32 => 2,
            _ => 3,
        };

        /// <summary>Brings two tensors to a common element type (bool &lt; int64 &lt; float32 &lt; float64).</summary>
        private static (Tensor, Tensor) Promote(Tensor a, Tensor b)
        {
            if (a.dtype == b.dtype)
            {
                return (a, b);
            }
            return Rank(a.dtype) > Rank(b.dtype) ? (a, b.to(a.dtype)) : (a.to(b.dtype), b);
        }

        internal static Tensor BinaryRaw(BinaryOp op, Tensor a, Tensor b, double p0 = 0)
        {
            var r = Empty(Shapes.Broadcast(a.shapeI, b.shapeI), a.dtype, a.device);
            a.Backend.Binary(op, a, b, r, p0);
            return r;
        }

        internal Tensor UnaryRaw(UnaryOp op, double p0 = 0, double p1 = 0)
        {
            var r = Empty(shapeI, dtype, device);
            Backend.Unary(op, this, r, p0, p1);
            return r;
        }

        private void RequireFloat(string op)
        {
            if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            {
                throw new NotSupportedException($"{op} needs a floating point tensor, not {dtype}.");
            }
        }

        // ---------------- binary arithmetic ----------------

        /// <summary>this + alpha * other, with broadcasting.</summary>
        public Tensor add(Tensor other, double alpha = 1)
        {
            var (a, b) = Promote(this, other);
            var r = BinaryRaw(alpha == 1 ? BinaryOp.Add : BinaryOp.AddScaled, a, b, alpha);
            if (Node.ShouldRecord(a, b))
            {
                var sa = a.shapeI;
                var sb = b.shapeI;
                Node.Record(r, "AddBackward0", [a, b], (g, n) =>
                [
                    n[0] ? g.SumTo(sa) : null,
                    n[1] ? (alpha == 1 ? g : g.mul(alpha)).SumTo(sb) : null,
                ]);
            }
            return r;
        }

        /// <summary>this - alpha * other, with broadcasting.</summary>
        public Tensor sub(Tensor other, double alpha = 1)
        {
            var (a, b) = Promote(this, other);
            var r = BinaryRaw(alpha == 1 ? BinaryOp.Sub : BinaryOp.AddScaled, a, b, -alpha);
            if (Node.ShouldRecord(a, b))
            {
                var sa = a.shapeI;
                var sb = b.shapeI;
                Node.Record(r, "SubBackward0", [a, b], (g, n) =>
                [
                    n[0] ? g.SumTo(sa) : null,
                    n[1] ? g.mul(-alpha).SumTo(sb) : null,
                ]);
            }
            return r;
        }

        /// <summary>Elementwise product, with broadcasting.</summary>
        public Tensor mul(Tensor other)
        {
            var (a, b) = Promote(this, other);
            var r = BinaryRaw(BinaryOp.Mul, a, b);
            if (Node.ShouldRecord(a, b))
            {
                Node.Record(r, "MulBackward0", [a, b], (g, n) =>
                [
                    n[0] ? g.mul(b).SumTo(a.shapeI) : null,
                    n[1] ? g.mul(a).SumTo(b.shapeI) : null,
                ], a, b);
            }
            return r;
        }

        /// <summary>Elementwise quotient, with broadcasting (integer tensors divide as float32).</summary>
        public Tensor div(Tensor other)
        {
            var (a, b) = Promote(this, other);
            if (a.dtype is ScalarType.Int64 or ScalarType.Bool)
            {
                return a.to(ScalarType.Float32).div(b.to(ScalarType.Float32));
            }
            var r = BinaryRaw(BinaryOp.Div, a, b);
            if (Node.ShouldRecord(a, b))
            {
                Node.Record(r, "DivBackward0", [a, b], (g, n) =>
                [
                    n[0] ? g.div(b).SumTo(a.shapeI) : null,
                    n[1] ? g.mul(a).div(b.mul(b)).neg().SumTo(b.shapeI) : null,
                ], a, b);
            }
            return r;
        }

        /// <summary>Elementwise power with a tensor exponent.</summary>
        public Tensor pow(Tensor exponent)
        {
            var (a, b) = Promote(this, exponent);
            a.RequireFloat("pow");
            var r = BinaryRaw(BinaryOp.Pow, a, b);
            if (Node.ShouldRecord(a, b))
            {
                Node.Record(r, "PowBackward1", [a, b], (g, n) =>
                [
                    n[0] ? g.mul(b).mul(a.pow(b.sub(1.0))).SumTo(a.shapeI) : null,
                    n[1] ? g.mul(r.detach()).mul(a.log()).SumTo(b.shapeI) : null,
                ], a, b, r);
            }
            return r;
        }

        /// <summary>Elementwise maximum, with broadcasting (ties send the gradient to this tensor).</summary>
        public Tensor maximum(Tensor other) => MinMax(other, BinaryOp.Maximum, "MaximumBackward0");

        /// <summary>Elementwise minimum, with broadcasting (ties send the gradient to this tensor).</summary>
        public Tensor minimum(Tensor other) => MinMax(other, BinaryOp.Minimum, "MinimumBackward0");

        private Tensor MinMax(Tensor other, BinaryOp op, string name)
        {
            var (a, b) = Promote(this, other);
            var r = BinaryRaw(op, a, b);
            if (Node.ShouldRecord(a, b))
            {
                Node.Record(r, name, [a, b], (g, n) =>
                {
                    using var pickA = op == BinaryOp.Maximum ? a.ge(b) : a.le(b);
                    return
                    [
                        n[0] ? where(pickA, g, 0.0).SumTo(a.shapeI) : null,
                        n[1] ? where(pickA, 0.0, g).SumTo(b.shapeI) : null,
                    ];
                }, a, b);
            }
            return r;
        }

        // ---------------- scalar arithmetic ----------------

        private Tensor ScalarOp(UnaryOp op, double s, string name, Func<Tensor, Tensor> back)
        {
            var r = UnaryRaw(op, s);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, name, [this], (g, _) => [back(g)]);
            }
            return r;
        }

        /// <summary>this + alpha * scalar.</summary>
        public Tensor add(double scalar, double alpha = 1) => ScalarOp(UnaryOp.AddScalar, scalar * alpha, "AddBackward1", g => g);

        /// <summary>this - alpha * scalar.</summary>
        public Tensor sub(double scalar, double alpha = 1) => ScalarOp(UnaryOp.AddScalar, -scalar * alpha, "SubBackward1", g => g);

        /// <summary>this * scalar.</summary>
        public Tensor mul(double scalar) => ScalarOp(UnaryOp.MulScalar, scalar, "MulBackward1", g => g.mul(scalar));

        /// <summary>this / scalar.</summary>
        public Tensor div(double scalar)
        {
            if (dtype is ScalarType.Int64 or ScalarType.Bool)
            {
                return to(ScalarType.Float32).div(scalar);
            }
            return ScalarOp(UnaryOp.MulScalar, 1.0 / scalar, "DivBackward1", g => g.mul(1.0 / scalar));
        }

        /// <summary>scalar - this.</summary>
        public Tensor rsub(double scalar) => ScalarOp(UnaryOp.RSubScalar, scalar, "RsubBackward1", g => g.neg());

        /// <summary>this ^ exponent.</summary>
        public Tensor pow(double exponent)
        {
            RequireFloat("pow");
            var r = UnaryRaw(UnaryOp.PowScalar, exponent);
            if (Node.ShouldRecord(this))
            {
                var x = this;
                Node.Record(r, "PowBackward0", [x], (g, _) => [GradOp(BinaryOp.PowScalarGrad, g, x, exponent)], x);
            }
            return r;
        }

        /// <summary>The elementwise square.</summary>
        public Tensor square() => pow(2.0);

        /// <summary>-this.</summary>
        public Tensor neg() => ScalarOp(UnaryOp.Neg, 0, "NegBackward0", g => g.neg());

        /// <summary>Adds a tensor.</summary>
        public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
        /// <summary>Adds a scalar.</summary>
        public static Tensor operator +(Tensor a, double b) => a.add(b);
        /// <summary>Adds a scalar.</summary>
        public static Tensor operator +(double a, Tensor b) => b.add(a);
        /// <summary>Subtracts a tensor.</summary>
        public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
        /// <summary>Subtracts a scalar.</summary>
        public static Tensor operator -(Tensor a, double b) => a.sub(b);
        /// <summary>Subtracts from a scalar.</summary>
        public static Tensor operator -(double a, Tensor b) => b.rsub(a);
        /// <summary>Multiplies elementwise.</summary>
        public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
        /// <summary>Multiplies by a scalar.</summary>
        public static Tensor operator *(Tensor a, double b) => a.mul(b);
        /// <summary>Multiplies by a scalar.</summary>
        public static Tensor operator *(double a, Tensor b) => b.mul(a);
        /// <summary>Divides elementwise.</summary>
        public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
        /// <summary>Divides by a scalar.</summary>
        public static Tensor operator /(Tensor a, double b) => a.div(b);

        /// <summary>Divides a scalar by a tensor.</summary>
        public static Tensor operator /(double a, Tensor b)
        {
            b.RequireFloat("division");
            var r = b.UnaryRaw(UnaryOp.RDivScalar, a);
            if (Node.ShouldRecord(b))
            {
                Node.Record(r, "DivBackward1", [b], (g, _) => [g.mul(r.detach()).div(b).neg()], b, r);
            }
            return r;
        }

        /// <summary>Negates.</summary>
        public static Tensor operator -(Tensor a) => a.neg();

        // ---------------- unary functions ----------------

        private static Tensor GradOp(BinaryOp op, Tensor g, Tensor saved, double p0 = 0)
        {
            // Gradients often arrive as expanded views (e.g. from sum); the vectorised kernels want dense spans.
            var gc = g.Contig();
            var r = BinaryRaw(op, gc, saved, p0);
            if (!ReferenceEquals(gc, g))
            {
                gc.Dispose();
            }
            return r;
        }

        private Tensor FloatUnary(UnaryOp op, string name, Func<Tensor, Tensor, Tensor, Tensor> back, bool saveInput, bool saveOutput)
        {
            RequireFloat(op.ToString());
            var r = UnaryRaw(op);
            if (Node.ShouldRecord(this))
            {
                var x = this;
                Tensor[] saved = saveInput && saveOutput ? [x, r] : saveInput ? [x] : saveOutput ? [r] : [];
                Node.Record(r, name, [x], (g, _) => [back(g, x, r)], saved);
            }
            return r;
        }

        /// <summary>e^x.</summary>
        public Tensor exp() => FloatUnary(UnaryOp.Exp, "ExpBackward0", (g, _, y) => g.mul(y.detach()), false, true);

        /// <summary>Natural logarithm.</summary>
        public Tensor log() => FloatUnary(UnaryOp.Log, "LogBackward0", (g, x, _) => g.div(x), true, false);

        /// <summary>Square root.</summary>
        public Tensor sqrt() => FloatUnary(UnaryOp.Sqrt, "SqrtBackward0", (g, _, y) => g.div(y.detach()).mul(0.5), false, true);

        /// <summary>1 / sqrt(x).</summary>
        public Tensor rsqrt() => FloatUnary(UnaryOp.Rsqrt, "RsqrtBackward0", (g, x, y) => g.mul(y.detach()).div(x).mul(-0.5), true, true);

        /// <summary>Absolute value.</summary>
        public Tensor abs()
        {
            if (dtype == ScalarType.Int64)
            {
                return UnaryRaw(UnaryOp.Abs);
            }
            return FloatUnary(UnaryOp.Abs, "AbsBackward0", (g, x, _) => GradOp(BinaryOp.AbsGrad, g, x), true, false);
        }

        /// <summary>Sign (-1, 0 or 1); not differentiable (zero gradient).</summary>
        public Tensor sign() => UnaryRaw(UnaryOp.Sign);

        /// <summary>Hyperbolic tangent.</summary>
        public Tensor tanh() => FloatUnary(UnaryOp.Tanh, "TanhBackward0", (g, _, y) => GradOp(BinaryOp.TanhGrad, g, y), false, true);

        /// <summary>Logistic sigmoid.</summary>
        public Tensor sigmoid() => FloatUnary(UnaryOp.Sigmoid, "SigmoidBackward0", (g, _, y) => GradOp(BinaryOp.SigmoidGrad, g, y), false, true);

        /// <summary>max(x, 0).</summary>
        public Tensor relu() => FloatUnary(UnaryOp.Relu, "ReluBackward0", (g, _, y) => GradOp(BinaryOp.ReluGrad, g, y), false, true);

        /// <summary>GELU: exact (approximate "none") or the tanh approximation ("tanh").</summary>
        public Tensor gelu(string approximate = "none") => approximate switch
        {
            "none" => FloatUnary(UnaryOp.GeluErf, "GeluBackward0", (g, x, _) => GradOp(BinaryOp.GeluErfGrad, g, x), true, false),
            "tanh" => FloatUnary(UnaryOp.GeluTanh, "GeluBackward0", (g, x, _) => GradOp(BinaryOp.GeluTanhGrad, g, x), true, false),
            _ => throw new ArgumentException($"gelu approximate must be 'none' or 'tanh', not '{approximate}'."),
        };

        /// <summary>log(1 + e^x), computed stably.</summary>
        public Tensor softplus() => FloatUnary(UnaryOp.Softplus, "SoftplusBackward0", (g, x, _) => GradOp(BinaryOp.SoftplusGrad, g, x), true, false);

        /// <summary>log(sigmoid(x)), computed stably.</summary>
        public Tensor logsigmoid() => FloatUnary(UnaryOp.LogSigmoid, "LogSigmoidBackward0", (g, x, _) => GradOp(BinaryOp.LogSigmoidGrad, g, x), true, false);

        /// <summary>Clamps into [min, max] (either bound may be omitted); the gradient passes where min &lt;= x &lt;= max.</summary>
        public Tensor clamp(double? min = null, double? max = null)
        {
            double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
            var r = UnaryRaw(UnaryOp.Clamp, lo, hi);
            if (Node.ShouldRecord(this))
            {
                var x = this;
                Node.Record(r, "ClampBackward1", [x], (g, _) =>
                {
                    var d = Empty(g.shapeI, g.dtype, g.device);
                    x.Backend.ClampGrad(g, x, d, lo, hi);
                    return [d];
                }, x);
            }
            return r;
        }

        /// <summary>Same as <see cref="clamp"/>.</summary>
        public Tensor clip(double? min = null, double? max = null) => clamp(min, max);

        // ---------------- comparisons and logic (no gradient) ----------------

        private Tensor CompareT(CompareOp op, Tensor other)
        {
            var (a, b) = Promote(this, other);
            var r = Empty(Shapes.Broadcast(a.shapeI, b.shapeI), ScalarType.Bool, device);
            Backend.Compare(op, a, b, r);
            return r;
        }

        private Tensor CompareS(CompareOp op, double s)
        {
            var r = Empty(shapeI, ScalarType.Bool, device);
            Backend.CompareScalar(op, this, s, r);
            return r;
        }

        /// <summary>Elementwise ==.</summary>
        public Tensor eq(Tensor other) => CompareT(CompareOp.Eq, other);
        /// <summary>Elementwise == scalar.</summary>
        public Tensor eq(double other) => CompareS(CompareOp.Eq, other);
        /// <summary>Elementwise !=.</summary>
        public Tensor ne(Tensor other) => CompareT(CompareOp.Ne, other);
        /// <summary>Elementwise != scalar.</summary>
        public Tensor ne(double other) => CompareS(CompareOp.Ne, other);
        /// <summary>Elementwise &lt;.</summary>
        public Tensor lt(Tensor other) => CompareT(CompareOp.Lt, other);
        /// <summary>Elementwise &lt; scalar.</summary>
        public Tensor lt(double other) => CompareS(CompareOp.Lt, other);
        /// <summary>Elementwise &lt;=.</summary>
        public Tensor le(Tensor other) => CompareT(CompareOp.Le, other);
        /// <summary>Elementwise &lt;= scalar.</summary>
        public Tensor le(double other) => CompareS(CompareOp.Le, other);
        /// <summary>Elementwise &gt;.</summary>
        public Tensor gt(Tensor other) => CompareT(CompareOp.Gt, other);
        /// <summary>Elementwise &gt; scalar.</summary>
        public Tensor gt(double other) => CompareS(CompareOp.Gt, other);
        /// <summary>Elementwise &gt;=.</summary>
        public Tensor ge(Tensor other) => CompareT(CompareOp.Ge, other);
        /// <summary>Elementwise &gt;= scalar.</summary>
        public Tensor ge(double other) => CompareS(CompareOp.Ge, other);
        /// <summary>Elementwise logical and (non-zero is true).</summary>
        public Tensor logical_and(Tensor other) => CompareT(CompareOp.And, other);
        /// <summary>Elementwise logical or.</summary>
        public Tensor logical_or(Tensor other) => CompareT(CompareOp.Or, other);
        /// <summary>Elementwise logical xor.</summary>
        public Tensor logical_xor(Tensor other) => CompareT(CompareOp.Xor, other);

        /// <summary>Elementwise logical not.</summary>
        public Tensor logical_not()
        {
            var r = Empty(shapeI, ScalarType.Bool, device);
            Backend.LogicalNot(this, r);
            return r;
        }

        /// <summary>True when every element is non-zero.</summary>
        public bool all()
        {
            using var n = logical_not();
            using var any = n.to(ScalarType.Int64).sum();
            return any.item<long>() == 0;
        }

        /// <summary>True when some element is non-zero.</summary>
        public bool any()
        {
            using var b = to(ScalarType.Bool);
            using var c = b.to(ScalarType.Int64);
            using var s = c.sum();
            return s.item<long>() != 0;
        }

        /// <summary>True when both tensors have the same shape and all elements are within rtol * |other| + atol.</summary>
        public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
        {
            if (!Shapes.Equal(shapeI, other.shapeI))
            {
                return false;
            }
            var a = to(ScalarType.Float64).ToArray<double>();
            var b = other.to(ScalarType.Float64).ToArray<double>();
            for (int i = 0; i < a.Length; i++)
            {
                if (!(Math.Abs(a[i] - b[i]) <= atol + rtol * Math.Abs(b[i])))
                {
                    return false;
                }
            }
            return true;
        }

        // ---------------- type conversion ----------------

        /// <summary>This tensor converted to <paramref name="type"/> (itself when the type already matches).</summary>
        public Tensor to(ScalarType type)
        {
            if (type == dtype)
            {
                return this;
            }
            var r = Empty(shapeI, type, device);
            Backend.Copy(this, r);
            bool floats = type is ScalarType.Float32 or ScalarType.Float64;
            if (floats && Node.ShouldRecord(this))
            {
                var from = dtype;
                Node.Record(r, "ToCopyBackward0", [this], (g, _) => [g.to(from)]);
            }
            return r;
        }

        /// <summary>This tensor copied to <paramref name="device"/> (itself when already there); gradients flow back.</summary>
        public Tensor to(Device device)
        {
            if (device.Equals(this.device))
            {
                return this;
            }
            var r = Empty(shapeI, dtype, device);
            // The backend that is not the managed CPU one moves the bytes (it knows its memory).
            (device.Equals(CPU) ? Backend : r.Backend).Copy(this, r);
            if (Node.ShouldRecord(this))
            {
                var from = this.device;
                Node.Record(r, "ToCopyBackward0", [this], (g, _) => [g.to(from)]);
            }
            return r;
        }

        /// <summary>Converts to <paramref name="type"/>.</summary>
        public Tensor to_type(ScalarType type) => to(type);

        /// <summary>Converts to float32.</summary>
        public Tensor @float() => to(ScalarType.Float32);

        /// <summary>Converts to float64.</summary>
        public Tensor @double() => to(ScalarType.Float64);

        /// <summary>Converts to int64.</summary>
        public Tensor @long() => to(ScalarType.Int64);

        /// <summary>Converts to bool.</summary>
        public Tensor @bool() => to(ScalarType.Bool);

        /// <summary>This tensor (CPU is the only device).</summary>
        public Tensor cpu() => this;

        // ---------------- in-place updates ----------------

        private void CheckInplace(Tensor? other = null, Tensor? other2 = null)
        {
            if (is_grad_enabled() && (requires_grad || other?.requires_grad == true || other2?.requires_grad == true))
            {
                throw new InvalidOperationException(is_leaf && requires_grad
                    ? "a leaf Variable that requires grad is being used in an in-place operation; wrap it in torch.no_grad()."
                    : "in-place operations on tensors that take part in autograd are not supported; use the out-of-place form.");
            }
        }

        private Tensor CastLike(Tensor other) => other.dtype == dtype ? other : other.to(dtype);

        /// <summary>this += alpha * other (other broadcast to this shape).</summary>
        public Tensor add_(Tensor other, double alpha = 1)
        {
            CheckInplace(other);
            Backend.Binary(alpha == 1 ? BinaryOp.Add : BinaryOp.AddScaled, this, CastLike(other), this, alpha);
            return this;
        }

        /// <summary>this += alpha * scalar.</summary>
        public Tensor add_(double scalar, double alpha = 1)
        {
            CheckInplace();
            Backend.Unary(UnaryOp.AddScalar, this, this, scalar * alpha);
            return this;
        }

        /// <summary>this -= alpha * other.</summary>
        public Tensor sub_(Tensor other, double alpha = 1) => add_(other, -alpha);

        /// <summary>this -= scalar.</summary>
        public Tensor sub_(double scalar) => add_(-scalar);

        /// <summary>this *= other.</summary>
        public Tensor mul_(Tensor other)
        {
            CheckInplace(other);
            Backend.Binary(BinaryOp.Mul, this, CastLike(other), this);
            return this;
        }

        /// <summary>this *= scalar.</summary>
        public Tensor mul_(double scalar)
        {
            CheckInplace();
            Backend.Unary(UnaryOp.MulScalar, this, this, scalar);
            return this;
        }

        /// <summary>this /= other.</summary>
        public Tensor div_(Tensor other)
        {
            CheckInplace(other);
            Backend.Binary(BinaryOp.Div, this, CastLike(other), this);
            return this;
        }

        /// <summary>this /= scalar.</summary>
        public Tensor div_(double scalar) => mul_(1.0 / scalar);

        /// <summary>Sets every element to zero.</summary>
        public Tensor zero_() => fill_(0);

        /// <summary>Sets every element to <paramref name="value"/>.</summary>
        public Tensor fill_(double value)
        {
            CheckInplace();
            Backend.Fill(this, value);
            return this;
        }

        /// <summary>Copies <paramref name="src"/> (broadcast, converted) into this tensor.</summary>
        public Tensor copy_(Tensor src)
        {
            CheckInplace(src);
            Backend.Copy(src, this);
            return this;
        }

        /// <summary>Clamps in place.</summary>
        public Tensor clamp_(double? min = null, double? max = null)
        {
            CheckInplace();
            Backend.Unary(UnaryOp.Clamp, this, this, min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
            return this;
        }

        /// <summary>this += value * tensor1 * tensor2.</summary>
        public Tensor addcmul_(Tensor tensor1, Tensor tensor2, double value = 1)
        {
            CheckInplace(tensor1, tensor2);
            Backend.Fused(FusedOp.AddCMul, this, CastLike(tensor1), CastLike(tensor2), value);
            return this;
        }

        /// <summary>this += value * tensor1 / tensor2.</summary>
        public Tensor addcdiv_(Tensor tensor1, Tensor tensor2, double value = 1)
        {
            CheckInplace(tensor1, tensor2);
            Backend.Fused(FusedOp.AddCDiv, this, CastLike(tensor1), CastLike(tensor2), value);
            return this;
        }

        /// <summary>this += weight * (end - this).</summary>
        public Tensor lerp_(Tensor end, double weight)
        {
            CheckInplace(end);
            Backend.Fused(FusedOp.Lerp, this, CastLike(end), null, weight);
            return this;
        }

        /// <summary>Square root in place.</summary>
        public Tensor sqrt_()
        {
            CheckInplace();
            Backend.Unary(UnaryOp.Sqrt, this, this);
            return this;
        }

        /// <summary>e^x in place.</summary>
        public Tensor exp_()
        {
            CheckInplace();
            Backend.Unary(UnaryOp.Exp, this, this);
            return this;
        }

        /// <summary>Negates in place.</summary>
        public Tensor neg_()
        {
            CheckInplace();
            Backend.Unary(UnaryOp.Neg, this, this);
            return this;
        }

        /// <summary>Fills with uniform draws from [from, to).</summary>
        public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
        {
            CheckInplace();
            FillRandom(t => t.Backend.Uniform(t, from, to, generator ?? default_generator));
            return this;
        }

        /// <summary>Fills with normal draws.</summary>
        public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
        {
            CheckInplace();
            FillRandom(t => t.Backend.Normal(t, mean, std, generator ?? default_generator));
            return this;
        }

        private void FillRandom(Action<Tensor> fill)
        {
            if (is_contiguous())
            {
                fill(this);
                return;
            }
            using var tmp = Empty(shapeI, dtype, device);
            fill(tmp);
            Backend.Copy(tmp, this);
        }
    }
}
