using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Backends;

/// <summary>Elementwise functions of one tensor (p0, p1 carry scalar parameters where noted).</summary>
internal enum UnaryOp
{
    Identity, Neg, Abs, Sign, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Relu, GeluTanh, GeluErf, Softplus, LogSigmoid,
    /// <summary>x^p0.</summary>
    PowScalar,
    /// <summary>min(max(x, p0), p1).</summary>
    Clamp,
    /// <summary>x + p0.</summary>
    AddScalar,
    /// <summary>x * p0.</summary>
    MulScalar,
    /// <summary>p0 - x.</summary>
    RSubScalar,
    /// <summary>p0 / x.</summary>
    RDivScalar,
    /// <summary>e^x by the C library's exp (what Math.Exp calls), element by element: bitwise the host's double exp.</summary>
    ExpLibm,
}

/// <summary>Elementwise functions of two tensors; the *Grad ops take (grad, saved input or output).</summary>
internal enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum,
    /// <summary>a + p0 * b.</summary>
    AddScaled,
    ReluGrad, SigmoidGrad, TanhGrad, SoftplusGrad, LogSigmoidGrad, AbsGrad,
    /// <summary>g where p0 &lt;= x &lt;= p1.</summary>
    ClampGrad,
    /// <summary>g * p0 * x^(p0-1).</summary>
    PowScalarGrad,
    GeluTanhGrad, GeluErfGrad,
}

/// <summary>Comparisons (numbers to bool) and logical ops (bool to bool).</summary>
internal enum CompareOp { Eq, Ne, Lt, Le, Gt, Ge, And, Or, Xor }

/// <summary>Optimiser-style in-place updates of dst.</summary>
internal enum FusedOp
{
    /// <summary>dst += value * a * b.</summary>
    AddCMul,
    /// <summary>dst += value * a / b.</summary>
    AddCDiv,
    /// <summary>dst += value * (a - dst).</summary>
    Lerp,
}

/// <summary>Reductions over a set of dimensions.</summary>
internal enum ReduceOp { Sum, Max, Min }

/// <summary>
/// The device seam: every kernel the tensor API runs goes through a backend chosen by the tensor's device.
/// Tensors passed in are already shape-checked; outputs are preallocated by the caller (usually contiguous).
/// A GPU backend implements this interface and its own <see cref="Storage"/>.
/// </summary>
internal interface IBackend
{
    Storage Allocate(ScalarType dtype, int numel);

    void Fill(Tensor dst, double value);

    /// <summary>Copies src into dst (broadcasting src to dst's shape), converting the element type.</summary>
    void Copy(Tensor src, Tensor dst);

    void Unary(UnaryOp op, Tensor x, Tensor dst, double p0 = 0, double p1 = 0);

    /// <summary>dst = op(a, b) with a and b broadcast to dst's shape; all three share a dtype.</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst, double p0 = 0);

    /// <summary>dst = grad where lo &lt;= x &lt;= hi, else 0 (the clamp backward).</summary>
    void ClampGrad(Tensor grad, Tensor x, Tensor dst, double lo, double hi);

    /// <summary>dst (bool) = a op b with broadcasting.</summary>
    void Compare(CompareOp op, Tensor a, Tensor b, Tensor dst);

    void CompareScalar(CompareOp op, Tensor a, double s, Tensor dst);

    void LogicalNot(Tensor a, Tensor dst);

    /// <summary>An in-place update of dst from a and b (b unused by Lerp), each broadcast to dst's shape and of dst's type.</summary>
    void Fused(FusedOp op, Tensor dst, Tensor a, Tensor? b, double value);

    void Where(Tensor condition, Tensor a, Tensor b, Tensor dst);

    /// <summary>Sets dst to value wherever mask (broadcast to dst) is true.</summary>
    void MaskedFill(Tensor dst, Tensor mask, double value);

    /// <summary>Reduces x over sorted distinct dims into contiguous dst (the kept dims); indices gets arg-positions for Max/Min.</summary>
    void Reduce(ReduceOp op, Tensor x, int[] dims, Tensor dst, Tensor? indices);

    /// <summary>c = alpha * a @ b + beta * c; a [..., m, k] and b [..., k, n] are views with c's batch shape; c is contiguous.</summary>
    void MatMul(Tensor a, Tensor b, Tensor c, double alpha, double beta);

    /// <summary>
    /// Row-wise softmax or log-softmax of scale * x over the last dimension of contiguous x into contiguous y.
    /// With causalRows &gt; 0 (softmax only), row r of each block of causalRows rows sees only its first
    /// (r mod causalRows) + causalOffset + 1 entries; the rest of the row gets probability 0.
    /// </summary>
    void Softmax(Tensor x, Tensor y, bool log, double scale = 1, int causalRows = 0, int causalOffset = 0);

    /// <summary>dx = scale * (Jacobian of the softmax or log-softmax)ᵀ grad, from the saved output y.</summary>
    void SoftmaxBackward(Tensor grad, Tensor y, Tensor dx, bool log, double scale = 1);

    /// <summary>Normalises rows of x [N, D] (contiguous); writes y, and the per-row mean and 1/std for the backward.</summary>
    void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd);

    void LayerNormBackward(Tensor grad, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias);

    /// <summary>
    /// Per-row smoothed cross-entropy of logits [N, C] against int64 targets [N]; also each row's log-sum-exp.
    /// Returns the number of rows whose target is not ignoreIndex.
    /// </summary>
    int CrossEntropy(Tensor logits, Tensor target, long ignoreIndex, double smoothing, Tensor loss, Tensor lse);

    void CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor lse, long ignoreIndex, double smoothing, Tensor dx);

    /// <summary>
    /// Sorts x along dim into contiguous values and int64 indices (x's shape); stable keeps equal values in index order.
    /// NaN sorts above every number.
    /// </summary>
    void Sort(Tensor x, int dim, bool descending, bool stable, Tensor values, Tensor indices);

    /// <summary>Running sums of x along dim into contiguous dst, added sequentially (from the last index when reverse).</summary>
    void CumSum(Tensor x, int dim, bool reverse, Tensor dst);

    void Gather(Tensor x, int dim, Tensor index, Tensor dst);

    void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst);

    void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /// <summary>Copies x into contiguous dst keeping the lower (or upper) triangle of the last two dims.</summary>
    void Triangle(Tensor x, Tensor dst, int diagonal, bool upper);

    void Uniform(Tensor dst, double low, double high, Generator generator);

    /// <summary>Fills contiguous float dst with 0 (probability p) or 1 / (1 - p), one uniform draw per element.</summary>
    void DropoutMask(Tensor dst, double p, Generator generator);

    void Normal(Tensor dst, double mean, double std, Generator generator);

    void RandInt(Tensor dst, long low, long high, Generator generator);

    /// <summary>Draws numSamples category indices per row of non-negative weights [N, C] into int64 dst [N, numSamples].</summary>
    void Multinomial(Tensor weights, int numSamples, bool replacement, Generator generator, Tensor dst);
}

/// <summary>
/// A backend that runs scaled-dot-product attention as one fused operation (libtorch's SDPA). Optional: where a
/// backend lacks it, attention runs as matmul, fused scaled causal softmax, matmul.
/// </summary>
internal interface IFusedAttention
{
    /// <summary>
    /// softmax(scale * q kᵀ + causal mask) v for q [..., Tq, d], k and v [..., Tk, d]; with causal, query i sees keys
    /// up to i + Tk - Tq (a KV prefix sits before the queries). Returns null when this call is not supported (the
    /// caller falls back). With needGrad, backward maps the output gradient to the gradients of q, k and v.
    /// </summary>
    Tensor? Attention(Tensor q, Tensor k, Tensor v, bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward);

    /// <summary>
    /// <see cref="Attention(Tensor, Tensor, Tensor, bool, double, bool, out Func{Tensor, Tensor[]}?)"/> with a per-key
    /// mask (bool, true keeps a key, or float, added to the scores; broadcast as [..., 1, Tk]); null when unsupported.
    /// </summary>
    Tensor? Attention(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale, bool needGrad, out Func<Tensor, Tensor[]>? backward)
    {
        if (keyMask is not null)
        {
            backward = null;
            return null;
        }
        return Attention(q, k, v, causal, scale, needGrad, out backward);
    }

    /// <summary>Whether a call that does not ask for a path should take the fused one for this many keys.</summary>
    bool PrefersFused(int keys) => true;
}
