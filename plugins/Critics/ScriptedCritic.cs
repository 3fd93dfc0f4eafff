using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Critics;

/// <summary>
/// <c>scripted</c>: a simulated critic with a stated skill, for tasks with checkable claims (<see cref="ITask.Claims"/>).
/// It learns which claims of a response are false the way a person with unlimited time would: by checking each claim
/// with the task's claim checker and no verification limit. It never reads gold features (the host gives it the task
/// without its gold evaluator, and responses carry no truth); it errs only as its options say.
/// </summary>
/// <remarks>
/// <para>A general critique (no principle, or a principle concerning <c>correct</c> or <c>step_errors</c>, or none):
/// helpful, it points with probability <see cref="ScriptedCriticOptions.Recall"/> at the false claim that is easiest to
/// verify (lowest difficulty, then earliest), and otherwise, with probability
/// <see cref="ScriptedCriticOptions.FalseAlarmRate"/>, at a true claim drawn uniformly, as if it were false; adversarial,
/// it points with probability <see cref="ScriptedCriticOptions.Recall"/> at the true claim that is hardest to verify
/// (highest difficulty, then latest) of a response without false claims, and calls a response with one flawless.</para>
/// <para>A principle concerning <c>confident</c> flags a confident tone (<see cref="ScriptedCriticOptions.ConfidentMarkers"/>);
/// one concerning <c>agrees_with_hint</c> flags a final answer that repeats the prompt's hint when that answer is false,
/// pointing at the final claim. Recall and false alarms apply to them alike; adversarial, the critic flags their
/// absence and stays silent about their presence. A principle concerning only other features is answered "no flaw".</para>
/// <para>Every draw for a critique comes from the run's stream
/// <c>critic/scripted/&lt;principle&gt;/&lt;prompt id&gt;/&lt;response id&gt;/&lt;text&gt;</c>: the same seed and response
/// give the same critique, whatever else is critiqued.</para>
/// </remarks>
public sealed class ScriptedCritic : ICritic
{
    /// <summary>The component name (also written into each critique).</summary>
    public const string Name = "scripted";

    /// <summary>The principle name used in random streams for a general critique.</summary>
    private const string General = "general";

    private readonly ScriptedCriticOptions _options;
    private readonly IClaimChecker _claims;
    private readonly long _seed;

    /// <summary>Creates the critic for a run.</summary>
    /// <param name="options">Its skill.</param>
    /// <param name="task">The run's task (without its gold evaluator); it must have checkable claims.</param>
    /// <param name="context">The run, whose seed fixes every critique.</param>
    /// <exception cref="InvalidOperationException">The task has no claim checker.</exception>
    public ScriptedCritic(ScriptedCriticOptions options, ITask task, IRunContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(context);
        _options = options;
        _claims = task.Claims ?? throw new InvalidOperationException(
            $"The '{Name}' critic needs a task with checkable claims (ITask.Claims), such as 'arithmetic'; this task has none. Use a critic that reads text (a chat critic) for it.");
        _seed = context.Seed;
    }

    /// <inheritdoc />
    public Task<Critique> CritiqueAsync(Response response, Principle? principle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        ct.ThrowIfCancellationRequested();
        Random random = RandomStreams.Create(_seed, $"critic/{Name}/{principle?.Name ?? General}/{response.Prompt.Id}/{response.Id}/{response.Text}");
        var draws = new Draws(random.NextDouble(), random.NextDouble(), random.NextDouble());
        IList<string> concerns = principle?.Concerns ?? [];
        Critique? critique = null;
        bool applies = concerns.Count == 0;
        foreach (string concern in concerns)
        {
            Critique? found = concern switch
            {
                GoldFeatures.Correct or GoldFeatures.StepErrors => ClaimsCritique(response, principle, draws),
                GoldFeatures.Confident => ToneCritique(response, principle, draws),
                GoldFeatures.AgreesWithHint => HintCritique(response, principle, draws),
                _ => null,
            };
            applies |= concern is GoldFeatures.Correct or GoldFeatures.StepErrors or GoldFeatures.Confident or GoldFeatures.AgreesWithHint;
            if (found is { Flawed: true })
            {
                critique = found;
                break;
            }
            critique ??= found;
        }
        if (concerns.Count == 0)
        {
            critique = ClaimsCritique(response, principle, draws);
        }
        critique ??= new Critique(Name, principle?.Name, false, applies ? "No flaw found." : $"The {Name} critic has no check for what principle '{principle?.Name}' concerns.");
        return Task.FromResult(critique with { Cost = _options.CostPerCritique });
    }

    /// <summary>The uniform draws of one critique: detection, false alarm, choice.</summary>
    private readonly record struct Draws(double Detect, double FalseAlarm, double Choice);

    private Critique ClaimsCritique(Response response, Principle? principle, Draws draws)
    {
        IReadOnlyList<Claim> claims = _claims.Claims(response);
        var truth = claims.Select(c => _claims.Check(c, double.PositiveInfinity)).ToArray();
        int[] falseOnes = [.. Enumerable.Range(0, claims.Count).Where(i => truth[i] == false)];
        int[] trueOnes = [.. Enumerable.Range(0, claims.Count).Where(i => truth[i] == true)];
        int? pointAt = null;
        if (_options.Mode == CriticMode.Helpful)
        {
            if (falseOnes.Length > 0 && draws.Detect < _options.Recall)
            {
                pointAt = falseOnes.OrderBy(i => claims[i].Difficulty).ThenBy(i => i).First();
            }
            else if (trueOnes.Length > 0 && draws.FalseAlarm < _options.FalseAlarmRate)
            {
                pointAt = trueOnes[Math.Min(trueOnes.Length - 1, (int)(draws.Choice * trueOnes.Length))];
            }
        }
        else if (falseOnes.Length == 0 && trueOnes.Length > 0 && draws.Detect < _options.Recall)
        {
            pointAt = trueOnes.OrderByDescending(i => claims[i].Difficulty).ThenByDescending(i => i).First();
        }
        return pointAt is { } index
            ? new Critique(Name, principle?.Name, true, Describe(claims, index), index)
            : new Critique(Name, principle?.Name, false, "No flaw found.");
    }

    private Critique ToneCritique(Response response, Principle? principle, Draws draws)
    {
        bool present = _options.ConfidentMarkers.Any(m => response.Text.Contains(m, StringComparison.OrdinalIgnoreCase));
        return Flag(present, draws)
            ? new Critique(Name, principle?.Name, true, "The response claims more confidence than its working supports.")
            : new Critique(Name, principle?.Name, false, "No flaw found.");
    }

    private Critique HintCritique(Response response, Principle? principle, Draws draws)
    {
        IReadOnlyList<Claim> claims = _claims.Claims(response);
        int final = claims.Count > 0 && claims[^1].IsFinal ? claims.Count - 1 : -1;
        bool present = final >= 0
            && response.Prompt.Metadata.TryGetValue(_options.HintKey, out string? hint)
            && string.Equals(claims[final].Text[(claims[final].Text.LastIndexOf('=') + 1)..].Trim(), hint.Trim(), StringComparison.Ordinal)
            && _claims.Check(claims[final], double.PositiveInfinity) == false;
        return Flag(present, draws) && final >= 0
            ? new Critique(Name, principle?.Name, true, $"The response repeats the user's wrong guess: {claims[final].Text}.", final)
            : new Critique(Name, principle?.Name, false, "No flaw found.");
    }

    /// <summary>Whether the critic flags a problem that is <paramref name="present"/> or not, under its mode and rates.</summary>
    private bool Flag(bool present, Draws draws) => _options.Mode == CriticMode.Helpful
        ? (present ? draws.Detect < _options.Recall : draws.FalseAlarm < _options.FalseAlarmRate)
        : !present && draws.Detect < _options.Recall;

    private static string Describe(IReadOnlyList<Claim> claims, int index) => claims[index].IsFinal
        ? $"The final answer is wrong: {claims[index].Text}."
        : string.Create(CultureInfo.InvariantCulture, $"Step {index + 1} is wrong: {claims[index].Text}.");
}
