using System.ComponentModel.DataAnnotations;

namespace AlignFx.Host.Manifests;

/// <summary>
/// Plain sentences for failed DataAnnotations attributes, in place of the framework's "The field X must ..." defaults.
/// Attributes this class does not know (custom ones, EmailAddress, ...) keep their own message.
/// </summary>
internal static class ValidationMessages
{
    public static string For(ValidationAttribute attribute, object? value, string jsonName) => attribute switch
    {
        RangeAttribute range => Range(range),
        RegularExpressionAttribute regex => $"must match the pattern '{regex.Pattern}'",
        MinLengthAttribute min => value is string ? $"must be at least {Count(min.Length, "character")} long" : $"must have at least {Count(min.Length, "item")}",
        MaxLengthAttribute max => value is string ? $"must be at most {Count(max.Length, "character")} long" : $"must have at most {Count(max.Length, "item")}",
        LengthAttribute length => value is string
            ? $"must be {length.MinimumLength} to {Count(length.MaximumLength, "character")} long"
            : $"must have {length.MinimumLength} to {Count(length.MaximumLength, "item")}",
        StringLengthAttribute length => length.MinimumLength > 0
            ? $"must be {length.MinimumLength} to {Count(length.MaximumLength, "character")} long"
            : $"must be at most {Count(length.MaximumLength, "character")} long",
        AllowedValuesAttribute allowed => "must be one of " + string.Join(", ", allowed.Values.Select(Quote)),
        DeniedValuesAttribute denied => "must not be " + string.Join(" or ", denied.Values.Select(Quote)),
        _ => LowerFirst(attribute.FormatErrorMessage(jsonName)),
    };

    /// <summary>"must be in (0, 1]", "must be at least 1", "must be less than 0.5": brackets show which ends are included.</summary>
    public static string Range(RangeAttribute range)
    {
        var hasMin = !IsUnbounded(range.Minimum, low: true);
        var hasMax = !IsUnbounded(range.Maximum, low: false);
        var min = OptionsBinder.Format(range.Minimum);
        var max = OptionsBinder.Format(range.Maximum);
        return (hasMin, hasMax) switch
        {
            (true, true) => $"must be in {(range.MinimumIsExclusive ? '(' : '[')}{min}, {max}{(range.MaximumIsExclusive ? ')' : ']')}",
            (true, false) => range.MinimumIsExclusive ? $"must be greater than {min}" : $"must be at least {min}",
            (false, true) => range.MaximumIsExclusive ? $"must be less than {max}" : $"must be at most {max}",
            _ => "is out of range",
        };
    }

    /// <summary>True for the extreme values authors write to leave one end of a range open.</summary>
    public static bool IsUnbounded(object? bound, bool low) => bound switch
    {
        int i => low ? i == int.MinValue : i == int.MaxValue,
        long l => low ? l == long.MinValue : l == long.MaxValue,
        double d => double.IsInfinity(d) || (low ? d == double.MinValue : d == double.MaxValue),
        float f => float.IsInfinity(f) || (low ? f == float.MinValue : f == float.MaxValue),
        _ => false,
    };

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string Quote(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        Enum e => $"'{OptionsBinder.EnumNames(e.GetType()).First(p => Equals(p.Value, e)).Key}'",
        _ => OptionsBinder.Format(value),
    };

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
}
