using System.ComponentModel.DataAnnotations;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Tasks.Tests;

public sealed class OptionsTests
{
    private static List<string> Errors(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")];
    }

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(Errors(new ArithmeticOptions()));
        Assert.Empty(Errors(new PretrainingCorpusOptions()));
    }

    [Fact]
    public void Out_of_range_and_inconsistent_options_are_refused_with_reasons()
    {
        Assert.Contains(Errors(new ArithmeticOptions { HardFraction = 1.5 }), e => e.StartsWith("HardFraction:", StringComparison.Ordinal));
        Assert.Contains(Errors(new ArithmeticOptions { Operators = "+/" }), e => e.StartsWith("Operators:", StringComparison.Ordinal));
        Assert.Equal(["Operators: lists an operator twice ('++')"], Errors(new ArithmeticOptions { Operators = "++" }));
        Assert.Equal(["EasyDigits: easy items (difficulty 3) must not be harder than hard ones (difficulty 1)"],
            Errors(new ArithmeticOptions { EasyDigits = 2, EasyOperations = 2, HardDigits = 1, HardOperations = 1 }));
        Assert.Equal(["HedgedRate: confidentRate + hedgedRate must be at most 1 (a response has one tone), not 1.2"],
            Errors(new PretrainingCorpusOptions { ConfidentRate = 0.6, HedgedRate = 0.6 }));
    }
}
