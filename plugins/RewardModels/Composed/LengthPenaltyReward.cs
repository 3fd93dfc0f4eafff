using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>Options of <c>length-penalty</c>.</summary>
public sealed class LengthPenaltyOptions
{
    /// <summary>Characters a response may have before the penalty starts.</summary>
    [Range(0, int.MaxValue)]
    public int Target { get; set; } = 20;

    /// <summary>Penalty per character beyond <see cref="Target"/>.</summary>
    [Range(0.0, 1e6)]
    public double Coefficient { get; set; } = 0.05;
}

/// <summary>
/// <c>length-penalty</c>: <c>−coefficient·max(0, characters − target)</c>, counting the response text's characters
/// (UTF-16 code units, as the task's <c>length</c> feature does). 0 for responses at or under the target.
/// </summary>
/// <param name="options">The target and the coefficient.</param>
public sealed class LengthPenaltyReward(LengthPenaltyOptions options) : IRewardModel
{
    /// <summary>The penalty of one text.</summary>
    /// <param name="text">A response text.</param>
    /// <returns>0 or a negative number.</returns>
    public double Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return -options.Coefficient * Math.Max(0, text.Length - options.Target);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        return Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => Score(r.Text))]);
    }
}
