using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Critics;

/// <summary>Options of the <c>trained</c> critic.</summary>
public sealed class TrainedCriticOptions
{
    /// <summary>The longest claim the critic reads by default, in characters.</summary>
    public const int DefaultMaxInputLength = 64;

    /// <summary>The most tokens of a verdict by default (<c>right</c> and <c>wrong</c> are five characters and the end token).</summary>
    public const int DefaultMaxNewTokens = 6;

    /// <summary>The artifact key of the critic policy (where a <c>train-critic</c> stage left it).</summary>
    [Required, MinLength(1)]
    public string Model { get; set; } = CriticKeys.CriticModel;

    /// <summary>The longest claim the critic reads; a longer one gets no verdict (as train-critic's option).</summary>
    [Range(8, 65536)]
    public int MaxInputLength { get; set; } = DefaultMaxInputLength;

    /// <summary>The most tokens of a verdict.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = DefaultMaxNewTokens;

    /// <summary>What one critique costs, in simulated dollars (as the scripted critic's, 0.01 by default).</summary>
    [Range(0.0, 1e6)]
    public double CostPerCritique { get; set; } = 0.01;
}

/// <summary>
/// What the trained critic's policy reads and writes: one claim as the task states it (<c>7+6=13</c>; claims carry no
/// truth) and one verdict, <c>right</c> or <c>wrong</c> (the claim checker's, with no verification limit, when it learns).
/// </summary>
public static class ClaimVerdicts
{
    /// <summary>The verdict on a true claim.</summary>
    public const string Right = "right";

    /// <summary>The verdict on a false claim.</summary>
    public const string Wrong = "wrong";

    /// <summary>The verdict the critic learns for a claim whose truth is <paramref name="truth"/> (null, beyond any check, counts as right).</summary>
    /// <param name="truth">The claim checker's answer.</param>
    /// <returns><see cref="Right"/> or <see cref="Wrong"/>.</returns>
    public static string Target(bool? truth) => truth == false ? Wrong : Right;

    /// <summary>Reads a verdict: true for <c>right</c>, false for <c>wrong</c> (at the start, ignoring case and leading spaces), null otherwise.</summary>
    /// <param name="reply">The policy's reply.</param>
    /// <returns>The claim's truth as the critic judges it, or null when the reply is outside the grammar.</returns>
    public static bool? Parse(string? reply)
    {
        string text = (reply ?? "").TrimStart();
        return text.StartsWith(Right, StringComparison.OrdinalIgnoreCase) ? true
            : text.StartsWith(Wrong, StringComparison.OrdinalIgnoreCase) ? false
            : null;
    }

    /// <summary>
    /// Asks <paramref name="policy"/> for a verdict on every claim of every response, in batches of
    /// <paramref name="batchSize"/> claims, greedily.
    /// </summary>
    /// <param name="policy">The critic policy.</param>
    /// <param name="claims">Each response's claims.</param>
    /// <param name="maxInputLength">Claims longer than this get no verdict (null).</param>
    /// <param name="maxNewTokens">The most tokens of a verdict.</param>
    /// <param name="batchSize">Claims per policy call.</param>
    /// <param name="ct">Stops the calls.</param>
    /// <returns>Per response, per claim: the reply, or null for a claim too long to read.</returns>
    public static async Task<IReadOnlyList<string?>[]> AskAsync(IPolicy policy, IReadOnlyList<IReadOnlyList<Claim>> claims, int maxInputLength,
        int maxNewTokens, int batchSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(claims);
        var readable = new List<(int Response, int Claim)>();
        var replies = claims.Select(c => new string?[c.Count]).ToArray();
        for (int r = 0; r < claims.Count; r++)
        {
            for (int c = 0; c < claims[r].Count; c++)
            {
                if (claims[r][c].Text.Length <= maxInputLength)
                {
                    readable.Add((r, c));
                }
            }
        }
        for (int start = 0; start < readable.Count; start += batchSize)
        {
            var batch = readable.GetRange(start, Math.Min(batchSize, readable.Count - start));
            IReadOnlyList<Response> answers = await policy.GenerateAsync([.. batch.Select(x => new Prompt("critic", claims[x.Response][x.Claim].Text))],
                TrainedCritic.Greedy(maxNewTokens), ct).ConfigureAwait(false);
            for (int i = 0; i < batch.Count; i++)
            {
                replies[batch[i].Response][batch[i].Claim] = answers[i].Text;
            }
        }
        return replies;
    }

    /// <summary>The critique the verdicts make: it points at the earliest claim judged wrong, or finds no flaw.</summary>
    /// <param name="principle">The principle, or null.</param>
    /// <param name="claims">The response's claims.</param>
    /// <param name="replies">The critic's reply per claim (null: too long to read).</param>
    /// <returns>The critique, and how many replies were outside the grammar.</returns>
    public static (Critique Critique, int Outside) Critique(Principle? principle, IReadOnlyList<Claim> claims, IReadOnlyList<string?> replies)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(replies);
        int outside = replies.Count(r => r is not null && Parse(r) is null);
        int unread = replies.Count(r => r is null);
        string note = (outside > 0 ? $" {outside} verdict(s) outside the grammar ('{Right}' or '{Wrong}') counted as right." : "")
            + (unread > 0 ? $" {unread} claim(s) too long to read." : "");
        for (int i = 0; i < claims.Count; i++)
        {
            if (Parse(replies[i]) == false)
            {
                string text = claims[i].IsFinal
                    ? $"The final answer is wrong: {claims[i].Text}."
                    : string.Create(CultureInfo.InvariantCulture, $"Step {i + 1} is wrong: {claims[i].Text}.");
                return (new Critique(CriticComponents.Trained, principle?.Name, true, text + note, i), outside);
            }
        }
        return (new Critique(CriticComponents.Trained, principle?.Name, false, "No flaw found." + note), outside);
    }
}

/// <summary>
/// <c>trained</c>: the critic a <c>train-critic</c> stage fine-tuned, a policy of this run (left in the pipeline's results
/// under <see cref="TrainedCriticOptions.Model"/>). For a general critique, or under a principle concerning <c>correct</c>
/// or <c>step_errors</c> (or none), it asks its policy for a verdict on each claim of the response (the task's claim
/// checker lists them, and they carry no truth; <see cref="ClaimVerdicts"/>: <c>right</c> or <c>wrong</c>, greedily) and
/// points at the earliest claim it judges wrong, or finds no flaw. A verdict outside the grammar counts as right and is
/// noted in the critique. Under a principle about other features it answers "no flaw" (it learned to check claims
/// only). It never checks a claim through the checker: what it knows, it learned.
/// </summary>
public sealed class TrainedCritic : ICritic
{
    private readonly TrainedCriticOptions _options;
    private readonly IClaimChecker _claims;
    private readonly IPolicy _policy;

    /// <summary>Creates the critic for a run.</summary>
    /// <param name="options">Its options.</param>
    /// <param name="task">The run's task (without its gold evaluator); its claims are what the critic reads.</param>
    /// <param name="artifacts">The pipeline's results, holding the critic policy.</param>
    /// <exception cref="InvalidOperationException">The task has no claims, or no critic policy is under the key.</exception>
    public TrainedCritic(TrainedCriticOptions options, ITask task, IArtifactBag artifacts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(artifacts);
        _options = options;
        _claims = task.Claims ?? throw new InvalidOperationException(
            $"The '{CriticComponents.Trained}' critic reads a response's claims (ITask.Claims), and this task has none; use a 'chat' critic for it.");
        _policy = artifacts.TryGet<IPolicy>(options.Model) ?? throw new InvalidOperationException(
            $"No critic policy under '{options.Model}': run a '{CriticComponents.TrainCritic}' stage (output '{options.Model}') before the stage that uses the '{CriticComponents.Trained}' critic.");
    }

    private TrainedCritic(TrainedCriticOptions options, IClaimChecker claims, IPolicy policy)
    {
        _options = options;
        _claims = claims;
        _policy = policy;
    }

    /// <summary>The critic around a critic policy (tests, code outside a pipeline).</summary>
    /// <param name="options">Its options (<see cref="TrainedCriticOptions.Model"/> is not used).</param>
    /// <param name="claims">The task's claim checker.</param>
    /// <param name="policy">The critic policy.</param>
    /// <returns>The critic.</returns>
    public static TrainedCritic WithPolicy(TrainedCriticOptions options, IClaimChecker claims, IPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(policy);
        return new TrainedCritic(options, claims, policy);
    }

    /// <summary>The generation settings of a verdict: greedy, so the same claim always gets the same verdict.</summary>
    /// <param name="maxNewTokens">The most tokens.</param>
    /// <returns>The settings.</returns>
    public static GenerationOptions Greedy(int maxNewTokens) => new() { Temperature = 0, MaxNewTokens = maxNewTokens, Seed = 0 };

    /// <inheritdoc />
    public async Task<Critique> CritiqueAsync(Response response, Principle? principle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        ct.ThrowIfCancellationRequested();
        if (principle is { Concerns.Count: > 0 } && !principle.Concerns.Any(c => c is GoldFeatures.Correct or GoldFeatures.StepErrors))
        {
            return new Critique(CriticComponents.Trained, principle.Name, false,
                $"The {CriticComponents.Trained} critic checks claims only, not what principle '{principle.Name}' concerns.") { Cost = _options.CostPerCritique };
        }
        IReadOnlyList<Claim> claims = _claims.Claims(response);
        if (claims.Count == 0)
        {
            return new Critique(CriticComponents.Trained, principle?.Name, false, "No claim to check.") { Cost = _options.CostPerCritique };
        }
        IReadOnlyList<string?> replies = (await ClaimVerdicts.AskAsync(_policy, [claims], _options.MaxInputLength, _options.MaxNewTokens, claims.Count, ct)
            .ConfigureAwait(false))[0];
        (Critique critique, _) = ClaimVerdicts.Critique(principle, claims, replies);
        return critique with
        {
            Cost = _options.CostPerCritique,
            Tokens = claims.Sum(c => c.Text.Length) + replies.Sum(r => r?.Length ?? 0),
        };
    }
}
