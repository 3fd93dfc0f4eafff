using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Debate;

/// <summary>What a consultant does when the judge questions a claim it cannot check.</summary>
/// <param name="Splits">Whether it states the claim's parts (the judge then questions one); false: it stands by the claim, or forfeited.</param>
/// <param name="Forfeit">Why the turn was forfeited (a reply outside the grammar, no reply in time), or null.</param>
internal readonly record struct ConsultantDefence(bool Splits, string? Forfeit = null);

/// <summary>A consultant of the <c>consultancy</c> protocol.</summary>
internal interface IConsultant
{
    /// <summary>
    /// The stance it takes for <paramref name="response"/>; <see cref="Stance.Honest"/> is whether the answer is right
    /// (the protocol's assignment uses it; a chat consultant's model never sees it).
    /// </summary>
    Stance Open(Response response);

    /// <summary>Whether its next turn is said persuasively.</summary>
    bool Persuasive(Stance stance, Random random);

    /// <summary>The parts it would state for <paramref name="claim"/> (empty: the claim does not split).</summary>
    IReadOnlyList<Claim> Split(Stance stance, Claim claim);

    /// <summary>Whether it splits a questioned claim beyond the judge's limit into <paramref name="parts"/>.</summary>
    Task<ConsultantDefence> DefendAsync(Stance stance, Claim claim, IReadOnlyList<Claim> parts, DebaterTurn turn, CancellationToken ct);
}

/// <summary>A scripted consultant: a scripted debater that always splits a questioned claim (it draws nothing to decide).</summary>
/// <param name="debater">The scripted debater it argues as.</param>
internal sealed class ScriptedConsultant(ScriptedDebater debater) : IConsultant
{
    public Stance Open(Response response) => debater.Open(response);

    public bool Persuasive(Stance stance, Random random) => debater.Persuasive(stance, random);

    public IReadOnlyList<Claim> Split(Stance stance, Claim claim) => debater.Split(stance, claim);

    public Task<ConsultantDefence> DefendAsync(Stance stance, Claim claim, IReadOnlyList<Claim> parts, DebaterTurn turn, CancellationToken ct) =>
        Task.FromResult(new ConsultantDefence(true));
}

/// <summary>
/// A <c>chat</c> consultant: it states the claims its assigned candidate shows (its working steps, then its final
/// claim) and, each time the judge questions a claim it cannot check, asks its chat model the role prompt; a reply
/// starting <c>split</c> states the claim's parts (the task's split; the judge questions one), <c>stand</c> stands by
/// the claim unsplit (the judge cannot check it and moves on), and anything else, or no reply within the timeout,
/// forfeits the turn (recorded; the claim stays unsplit). It never checks claims, and its model is told only which
/// answer to argue for.
/// </summary>
/// <param name="options">Its model's timeout.</param>
/// <param name="prompt">The role prompt.</param>
/// <param name="claims">Its view of the task's claims.</param>
/// <param name="model">Its chat model.</param>
/// <param name="prompter">The host's role prompter.</param>
internal sealed partial class ChatConsultant(DebaterOptions options, RolePrompt prompt, DebaterClaimView claims, IChatClient model, IRolePrompter prompter) : IConsultant
{
    /// <summary>The reply that states the parts.</summary>
    public const string SplitMove = "split";

    /// <summary>The reply that stands by the claim unsplit.</summary>
    public const string StandMove = "stand";

    public Stance Open(Response response)
    {
        IReadOnlyList<Claim> shown = claims.Claims(response);
        Claim? final = shown.LastOrDefault(c => c.IsFinal);
        return final is null ? new Stance(null, [], false) : new Stance(final, shown, claims.Believes(final));
    }

    public bool Persuasive(Stance stance, Random random) => false;

    public IReadOnlyList<Claim> Split(Stance stance, Claim claim) => claims.Split(claim);

    public async Task<ConsultantDefence> DefendAsync(Stance stance, Claim claim, IReadOnlyList<Claim> parts, DebaterTurn turn, CancellationToken ct)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = turn.Question.Candidates[0].Prompt.Text,
            ["answer"] = stance.Answer,
            ["chain"] = Protocol.Chain(stance.Chain),
            ["claim"] = claim.Text,
            ["parts"] = Protocol.Chain(parts),
            ["transcript"] = string.Join("\n", turn.Transcript.Select(t => $"{t.Speaker}: {t.Text}")),
        };
        TimeSpan timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        string reply;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            try
            {
                reply = (await prompter.AskAsync(model, prompt, variables, new ChatOptions { MaxOutputTokens = 16 }, limit.Token).ConfigureAwait(false)).Text;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new ConsultantDefence(false, string.Create(CultureInfo.InvariantCulture, $"no reply within {timeout.TotalSeconds:0.###} s"));
            }
        }
        return Parse(reply);
    }

    /// <summary>Reads a defence from a reply: <c>split</c> or <c>stand</c> first; anything else forfeits.</summary>
    /// <param name="reply">The model's reply.</param>
    /// <returns>The defence.</returns>
    internal static ConsultantDefence Parse(string reply)
    {
        Match match = Grammar().Match(reply);
        return !match.Success
            ? new ConsultantDefence(false, $"reply '{reply.Trim()}' is outside the grammar: '{SplitMove}' or '{StandMove}'")
            : new ConsultantDefence(match.Groups["split"].Success);
    }

    [GeneratedRegex(@"^\s*(?:(?<split>split)|stand)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
