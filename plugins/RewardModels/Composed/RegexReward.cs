using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>How <c>regex</c> turns matches into a reward.</summary>
public enum RegexScoring
{
    /// <summary><c>weight × number of (non-overlapping) matches</c>.</summary>
    Count,
    /// <summary><c>weight</c> when the pattern matches anywhere, else 0.</summary>
    Match,
}

/// <summary>Options of <c>regex</c>.</summary>
public sealed class RegexRewardOptions : IValidatableObject
{
    /// <summary>The regular expression (.NET syntax), searched in the response text.</summary>
    [Required]
    public string Pattern { get; set; } = "";

    /// <summary>The reward per match (<see cref="RegexScoring.Count"/>) or for a match (<see cref="RegexScoring.Match"/>); negative to penalise.</summary>
    [Range(-1e6, 1e6)]
    public double Weight { get; set; } = 1;

    /// <summary>Count the matches or only ask whether there is one.</summary>
    public RegexScoring Scoring { get; set; } = RegexScoring.Count;

    /// <summary>Match regardless of case.</summary>
    public bool IgnoreCase { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Patterns.Check(Pattern, nameof(Pattern)) is { } error)
        {
            yield return error;
        }
    }
}

/// <summary>
/// <c>regex</c>: rewards what a regular expression finds in the response text, <c>weight × matches</c> or
/// <c>weight × [any match]</c>. For example <c>(?i)surely|trust me</c> with weight −1 penalises a confident tone,
/// and <c>(?s).</c> with <c>count</c> scores the length in characters.
/// </summary>
public sealed class RegexReward : IRewardModel
{
    private readonly RegexRewardOptions _options;
    private readonly Regex _pattern;

    /// <summary>Compiles the pattern.</summary>
    /// <param name="options">The pattern, weight and scoring.</param>
    /// <exception cref="ArgumentException">The pattern is not a regular expression.</exception>
    public RegexReward(RegexRewardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _pattern = Patterns.Compile(options.Pattern, options.IgnoreCase);
    }

    /// <summary>The reward of one text.</summary>
    /// <param name="text">A response text.</param>
    /// <returns>The weighted count, or the weight or 0.</returns>
    public double Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _options.Scoring == RegexScoring.Count
            ? _options.Weight * _pattern.Count(text)
            : _pattern.IsMatch(text) ? _options.Weight : 0;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        return Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => Score(r.Text))]);
    }
}
