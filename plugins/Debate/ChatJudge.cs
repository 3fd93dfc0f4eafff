using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Roles;
using Microsoft.Extensions.AI;

namespace AlignFx.Debate;

/// <summary>
/// The <c>chat</c> judge's decision where no check decided: the role prompt, rendered with the question, both answers
/// as presented and the transcript so far, is put to the chat model; a reply naming exactly one of A and B (as a word)
/// chooses, anything else or no reply within the timeout forfeits the turn (recorded in the transcript) and a seeded
/// coin decides with confidence 0.5.
/// </summary>
/// <param name="model">The judge's chat model.</param>
/// <param name="prompter">The host's role prompter.</param>
/// <param name="options">The judge's options (prompt and timeout).</param>
internal sealed partial class ChatJudge(IChatClient model, IRolePrompter prompter, JudgeOptions options)
{
    public async Task<Game> DecideAsync(OversightQuestion question, Game game, Random coin, CancellationToken ct)
    {
        var transcript = game.Transcript.ToList();
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = question.Candidates[0].Prompt.Text,
            ["first"] = question.Candidates[game.Order[0]].Text,
            ["second"] = question.Candidates[game.Order[1]].Text,
            ["transcript"] = string.Join("\n", transcript.Select(t => $"{t.Speaker}: {t.Text}")),
        };
        TimeSpan timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        string? reply = null;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(timeout);
            try
            {
                ChatResponse response = await prompter.AskAsync(model, options.Prompt, variables,
                    new ChatOptions { Temperature = 0, MaxOutputTokens = 8 }, limit.Token).ConfigureAwait(false);
                reply = response.Text;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture,
                    $"gave no reply within {timeout.TotalSeconds:0.###} s: the turn is forfeited")));
            }
        }
        if (reply is not null)
        {
            string[] named = [.. Choice().Matches(reply).Select(m => m.Value.ToUpperInvariant()).Distinct()];
            if (named.Length == 1)
            {
                int side = named[0] == "A" ? 0 : 1;
                transcript.Add(new TranscriptTurn(Speakers.Judge, $"{reply.Trim()} (verdict: candidate {game.Order[side]})"));
                return game with { Chosen = game.Order[side], Confidence = 1, Transcript = transcript };
            }
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"replied '{reply.Trim()}', outside the grammar (A or B): the turn is forfeited"));
        }
        int chosen = game.Order[coin.Next(2)];
        transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture, $"a coin decides: candidate {chosen}")));
        return game with { Chosen = chosen, Confidence = 0.5, Transcript = transcript, JudgeForfeited = true };
    }

    [GeneratedRegex(@"\b[AB]\b", RegexOptions.CultureInvariant)]
    private static partial Regex Choice();
}
