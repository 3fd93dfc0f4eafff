using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace AlignFx.RewardModels.Composed;

/// <summary>Regular expressions written in options: compiled once, culture-invariant, with a match timeout.</summary>
internal static class Patterns
{
    // A pathological pattern on sampled text must fail loudly rather than stall a run.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public static Regex Compile(string pattern, bool ignoreCase = false) =>
        new(pattern, RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None), Timeout);

    /// <summary>A validation error when <paramref name="pattern"/> is set but is not a regular expression.</summary>
    public static ValidationResult? Check(string? pattern, string member)
    {
        if (pattern is null)
        {
            return null;
        }
        try
        {
            _ = Compile(pattern);
            return null;
        }
        catch (ArgumentException ex)
        {
            return new ValidationResult($"is not a valid regular expression: {ex.Message}", [member]);
        }
    }
}
