namespace AlignFx.RewardModels.Composed;

/// <summary>How <c>multi-objective</c> combines its objectives into one reward.</summary>
public enum Scalarisation
{
    /// <summary><c>Σ_i w_i·R_i</c>: reaches only the supported (convex-hull) points of a Pareto front.</summary>
    Linear,
    /// <summary>
    /// <c>−max_i w_i·|z_i* − R_i|</c> (plus <c>ρ·Σ_i w_i·R_i</c> when augmented): every Pareto-optimal point, the
    /// non-convex parts of a front included, is the maximiser for some weights.
    /// </summary>
    Tchebycheff,
}

/// <summary>The scalarisation functions of <see cref="Scalarisation"/>, for one response's objective values.</summary>
public static class Scalarise
{
    /// <summary>The weighted sum <c>Σ_i w_i·R_i</c>.</summary>
    /// <param name="values">The objective values R_i.</param>
    /// <param name="weights">The weights w_i, one per value.</param>
    /// <returns>The sum.</returns>
    public static double Linear(ReadOnlySpan<double> values, ReadOnlySpan<double> weights)
    {
        SameLength(values, weights, nameof(weights));
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += weights[i] * values[i];
        }
        return sum;
    }

    /// <summary>
    /// The (augmented) Tchebycheff scalarisation <c>−max_i w_i·|z_i* − R_i| + ρ·Σ_i w_i·R_i</c>: minus the weighted
    /// distance, in the maximum norm, from the ideal point z*. A small ρ &gt; 0 breaks ties among weakly
    /// Pareto-optimal points in favour of the Pareto-optimal one.
    /// </summary>
    /// <param name="values">The objective values R_i.</param>
    /// <param name="weights">The weights w_i, one per value.</param>
    /// <param name="ideal">The ideal (utopia) point z_i*, one per value.</param>
    /// <param name="augmentation">ρ (0: plain Tchebycheff).</param>
    /// <returns>The scalarised reward (at most ρ·Σ w_i·R_i; 0 at the ideal point when ρ = 0).</returns>
    public static double Tchebycheff(ReadOnlySpan<double> values, ReadOnlySpan<double> weights, ReadOnlySpan<double> ideal, double augmentation = 0)
    {
        SameLength(values, weights, nameof(weights));
        SameLength(values, ideal, nameof(ideal));
        double worst = 0;
        for (int i = 0; i < values.Length; i++)
        {
            worst = Math.Max(worst, weights[i] * Math.Abs(ideal[i] - values[i]));
        }
        return -worst + (augmentation == 0 ? 0 : augmentation * Linear(values, weights));
    }

    private static void SameLength(ReadOnlySpan<double> values, ReadOnlySpan<double> other, string name)
    {
        if (other.Length != values.Length)
        {
            throw new ArgumentException($"Expected {values.Length} values, one per objective, but {name} has {other.Length}.", name);
        }
    }
}
