using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Debate;

/// <summary>
/// A <c>chat</c> debater: it states the claims its response shows (its working steps, then its final claim) and, for
/// each move, asks its chat model the role prompt; a reply <c>dispute N</c> disputes claim N (1-based) of those shown,
/// <c>pass</c> passes, and anything else, or no reply within the timeout, forfeits the turn (recorded). It never checks
/// claims and knows nothing of their truth but what the model makes of them.
/// </summary>
/// <param name="options">Its prompt and timeout.</param>
/// <param name="claims">Its view of the task's claims.</param>
/// <param name="model">Its chat model.</param>
/// <param name="prompter">The host's role prompter.</param>
internal sealed class ChatDebater(DebaterOptions options, DebaterClaimView claims, IChatClient model, IRolePrompter prompter) : IDebater
{
    public Stance Open(Response response)
    {
        IReadOnlyList<Claim> shown = claims.Claims(response);
        Claim? final = shown.LastOrDefault(c => c.IsFinal);
        return final is null ? new Stance(null, [], false) : new Stance(final, shown, false);
    }

    public bool Persuasive(Stance stance, Random random) => false;

    public IReadOnlyList<Claim> Split(Stance stance, Claim claim) => claims.Split(claim);

    public async Task<DebaterMove> MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = turn.Question.Candidates[0].Prompt.Text,
            ["answer"] = stance.Answer,
            ["chain"] = Protocol.Chain(stance.Chain),
            ["claims"] = Protocol.Chain(opposing),
            ["transcript"] = string.Join("\n", turn.Transcript.Select(t => $"{t.Speaker}: {t.Text}")),
        };
        TimeSpan timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        string reply;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            try
            {
                reply = (await prompter.AskAsync(model, options.Prompt, variables, new ChatOptions { MaxOutputTokens = 16 }, limit.Token).ConfigureAwait(false)).Text;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new DebaterMove(null, string.Create(CultureInfo.InvariantCulture, $"no reply within {timeout.TotalSeconds:0.###} s"));
            }
        }
        return DebaterMoves.Parse(reply, opposing.Count);
    }
}
