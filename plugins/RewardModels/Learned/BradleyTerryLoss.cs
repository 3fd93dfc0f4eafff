using AlignFx.Tensors;
using static AlignFx.Tensors.torch;

namespace AlignFx.RewardModels;

/// <summary>
/// The Bradley–Terry preference loss with soft labels and Christiano et al.'s random-answer mixture: the modelled
/// probability that the first response is preferred is <c>P' = (1 − ε)·σ(r₁ − r₂) + ε/2</c>, and the loss is the
/// cross-entropy <c>−[y·log P' + (1 − y)·log(1 − P')]</c> against the soft label <c>y</c> (1: first, 0: second,
/// 0.5: a tie), averaged over the batch.
/// </summary>
public static class BradleyTerryLoss
{
    /// <summary>The mean loss over a batch, differentiable in the rewards.</summary>
    /// <param name="first">Rewards of the first responses, [batch].</param>
    /// <param name="second">Rewards of the second responses, [batch].</param>
    /// <param name="preferFirst">Soft labels in [0, 1], [batch].</param>
    /// <param name="randomAnswerRate">ε in [0, 1): the assumed rate of random answers.</param>
    /// <returns>A scalar tensor.</returns>
    public static Tensor Compute(Tensor first, Tensor second, Tensor preferFirst, double randomAnswerRate)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(preferFirst);
        if (randomAnswerRate is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(randomAnswerRate), randomAnswerRate, "ε must be in [0, 1).");
        }
        using var scope = NewDisposeScope();
        var margin = first - second;
        Tensor logFirst, logSecond;
        if (randomAnswerRate == 0)
        {
            // log σ(d) and log σ(−d) directly: exact for large margins.
            logFirst = nn.functional.logsigmoid(margin);
            logSecond = nn.functional.logsigmoid(-margin);
        }
        else
        {
            // P' stays within [ε/2, 1 − ε/2], so its logarithm is finite.
            var p = (margin.sigmoid() * (1 - randomAnswerRate)) + (randomAnswerRate / 2);
            logFirst = p.log();
            logSecond = (1 - p).log();
        }
        var loss = -((preferFirst * logFirst) + ((1 - preferFirst) * logSecond)).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The modelled preference probability <c>(1 − ε)·σ(r₁ − r₂) + ε/2</c> of one pair.</summary>
    /// <param name="margin">r₁ − r₂.</param>
    /// <param name="randomAnswerRate">ε.</param>
    /// <returns>P'.</returns>
    public static double Probability(double margin, double randomAnswerRate) =>
        ((1 - randomAnswerRate) * Sigmoid(margin)) + (randomAnswerRate / 2);

    /// <summary>The logistic function.</summary>
    /// <param name="x">Its argument.</param>
    /// <returns>1 / (1 + e^−x).</returns>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
