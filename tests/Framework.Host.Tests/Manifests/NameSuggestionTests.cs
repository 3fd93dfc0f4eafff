using AlignFx.Host.Manifests;
using FsCheck.Xunit;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>Closest-name ordering for "did you mean" and for the names listed after an unknown component.</summary>
public class NameSuggestionTests
{
    [Theory]
    [InlineData("ppo", "ppo", 0)]
    [InlineData("ppx", "ppo", 1)]       // substitution
    [InlineData("clipRang", "clipRange", 1)] // insertion
    [InlineData("pretrian", "pretrain", 1)]  // adjacent swap counts once
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("PPO", "ppo", 0)]        // case is ignored
    public void EditDistanceMatchesHandCountedValues(string a, string b, int expected)
    {
        Assert.Equal(expected, NameSuggestions.EditDistance(a, b));
        Assert.Equal(expected, NameSuggestions.EditDistance(b, a));
    }

    [Fact]
    public void ClosestFirstOrdersByDistanceThenAlphabetically()
    {
        string[] stages = ["pretrain", "collect-feedback", "train-reward-model", "optimise", "oversee", "evaluate", "report"];

        Assert.Equal(
            ["optimise", "oversee", "evaluate", "pretrain", "report", "collect-feedback", "train-reward-model"],
            NameSuggestions.ClosestFirst("optimize", stages));
        // Ties (ppo and bon are both 3 away from "xyz") fall back to ordinal order.
        Assert.Equal(["bon", "ppo"], NameSuggestions.ClosestFirst("xyz", ["ppo", "bon"]));
    }

    [Fact]
    public void DidYouMeanOnlySuggestsCloseNames()
    {
        Assert.Equal("clipRange", NameSuggestions.DidYouMean("clipRang", ["clipRange", "epochs"]));
        Assert.Equal("steps", NameSuggestions.DidYouMean("stepz", ["steps", "learningRate"]));
        Assert.Null(NameSuggestions.DidYouMean("batch", ["steps", "learningRate"]));
        Assert.Null(NameSuggestions.DidYouMean("x", []));
    }

    [Property]
    public bool DistanceIsAMetricOnSmallStrings(string? a, string? b, string? c)
    {
        a ??= "";
        b ??= "";
        c ??= "";
        var ab = NameSuggestions.EditDistance(a, b);
        return ab == NameSuggestions.EditDistance(b, a)
               && (ab == 0) == (a.ToLowerInvariant() == b.ToLowerInvariant())
               && ab <= Math.Max(a.Length, b.Length)
               && ab >= Math.Abs(a.Length - b.Length);
    }
}
