using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>
/// Options of <c>format</c>: up to three checks (a pattern that must match, one that must not, a length limit), each
/// off when unset. The defaults check the arithmetic task's format: the response ends with its answer.
/// </summary>
public sealed class FormatOptions : IValidatableObject
{
    /// <summary>The pattern for the arithmetic task's response grammar: the text ends with a number, optionally followed by "." or "?".</summary>
    public const string EndsWithAnswer = @"-?\d+[.?]?\s*$";

    /// <summary>
    /// A regular expression the response must match (null: no such check). The default, <see cref="EndsWithAnswer"/>,
    /// asks that an answer is present and that no padding sentence follows it.
    /// </summary>
    public string? RequiredPattern { get; set; } = EndsWithAnswer;

    /// <summary>A regular expression the response must not match (null: no such check).</summary>
    public string? ForbiddenPattern { get; set; }

    /// <summary>The most characters a response may have (null: no limit).</summary>
    [Range(0, int.MaxValue)]
    public int? MaxLength { get; set; }

    /// <summary>The reward of a response that passes every check.</summary>
    [Range(-1e6, 1e6)]
    public double PassScore { get; set; } = 1;

    /// <summary>The reward of a response that fails any check, before <see cref="PenaltyPerViolation"/>.</summary>
    [Range(-1e6, 1e6)]
    public double FailScore { get; set; }

    /// <summary>Subtracted from <see cref="FailScore"/> once per failed check (0: all or nothing).</summary>
    [Range(0.0, 1e6)]
    public double PenaltyPerViolation { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Patterns.Check(RequiredPattern, nameof(RequiredPattern)) is { } required)
        {
            yield return required;
        }
        if (Patterns.Check(ForbiddenPattern, nameof(ForbiddenPattern)) is { } forbidden)
        {
            yield return forbidden;
        }
    }
}

/// <summary>
/// <c>format</c>: checks a response's form, not its content. With <c>v</c> failed checks (required pattern absent,
/// forbidden pattern present, longer than the limit) the reward is <c>passScore</c> when <c>v = 0</c>, else
/// <c>failScore − penaltyPerViolation·v</c>: 1/0 by default, or a graded penalty.
/// </summary>
public sealed class FormatReward : IRewardModel
{
    private readonly FormatOptions _options;
    private readonly Regex? _required;
    private readonly Regex? _forbidden;

    /// <summary>Compiles the patterns.</summary>
    /// <param name="options">The checks and scores.</param>
    /// <exception cref="ArgumentException">A pattern is not a regular expression.</exception>
    public FormatReward(FormatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _required = options.RequiredPattern is { } required ? Patterns.Compile(required) : null;
        _forbidden = options.ForbiddenPattern is { } forbidden ? Patterns.Compile(forbidden) : null;
    }

    /// <summary>How many checks a text fails.</summary>
    /// <param name="text">A response text.</param>
    /// <returns>0 to 3.</returns>
    public int Violations(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int violations = 0;
        if (_required is not null && !_required.IsMatch(text))
        {
            violations++;
        }
        if (_forbidden is not null && _forbidden.IsMatch(text))
        {
            violations++;
        }
        if (_options.MaxLength is { } max && text.Length > max)
        {
            violations++;
        }
        return violations;
    }

    /// <summary>The reward of one text.</summary>
    /// <param name="text">A response text.</param>
    /// <returns>The pass score, or the fail score less the per-violation penalty.</returns>
    public double Score(string text)
    {
        int violations = Violations(text);
        return violations == 0 ? _options.PassScore : _options.FailScore - (_options.PenaltyPerViolation * violations);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        return Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => Score(r.Text))]);
    }
}
