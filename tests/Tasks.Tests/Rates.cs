using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Tasks.Tests;

/// <summary>Sampling-error bounds for measured rates.</summary>
internal static class Rates
{
    /// <summary>Asserts that <paramref name="hits"/> of <paramref name="n"/> is within 4 standard errors of <paramref name="expected"/>.</summary>
    public static void Within(double expected, int hits, int n, string what)
    {
        Assert.True(n > 0, $"{what}: no samples");
        double measured = (double)hits / n;
        double se = Math.Sqrt(Math.Max(expected * (1 - expected), 1e-9) / n);
        Assert.True(Math.Abs(measured - expected) <= (4 * se) + 1e-12,
            $"{what}: measured {measured:0.0000} over {n}, expected {expected:0.0000} ± {4 * se:0.0000}");
    }
}
