using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.Debate;

/// <summary>Options of <c>debater-moves</c>.</summary>
public sealed class DebaterMovesOptions
{
    /// <summary>The task split whose prompts make the questions.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>Questions (the split's prompts in a seeded order, repeated when the split is shorter).</summary>
    [Range(1, 1_000_000)]
    public int Items { get; set; } = 100;

    /// <summary>The artifact key of the examples (<c>sft</c> reads <c>sft</c> by default).</summary>
    [Required, MinLength(1)]
    public string Key { get; set; } = SelfPlayArtifacts.MovesKey;
}

/// <summary>
/// <c>debater-moves</c>: the warm start of a policy debater. A policy pretrained on a task's answers (or not at all)
/// never writes <c>dispute 3</c>, so an optimiser has nothing to reinforce; this stage leaves, as fine-tuning examples
/// (an <c>IReadOnlyList&lt;Response&gt;</c> under <see cref="DebaterMovesOptions.Key"/>, what the LanguageModels
/// plugin's <c>sft</c> stage learns), every legal move once for every state a debater meets on the questions: for each
/// question and each side, its answer against the opponent's chain with steps, against the final claim alone, and
/// against the parts of each claim of that chain that splits (<see cref="DebaterMoves.State"/>). A policy fine-tuned on
/// them writes moves in the grammar, about uniformly over the legal ones: a debater with no preference, which
/// <c>train-debaters</c> then trains. No example depends on which answer is right.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class DebaterMovesStage(DebaterMovesOptions options) : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold ?? throw new InvalidOperationException("debater-moves needs a task with a gold evaluator, to pose questions of a right and a wrong answer.");
        IClaimChecker claims = context.Task.Claims
            ?? throw new InvalidOperationException("debater-moves needs a task with checkable claims (ITask.Claims), such as 'arithmetic'.");
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(options.Split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        var view = new DebaterClaimView(claims);
        var opener = new TapeDebater(view, [], 0);
        Random random = context.CreateRandom("debater-moves/items");
        int[] order = [.. Enumerable.Range(0, prompts.Count)];
        random.Shuffle(order);
        var states = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Items; i++)
        {
            ct.ThrowIfCancellationRequested();
            (OversightQuestion question, _) = BareQuestions.Make(claims, gold, prompts[order[i % order.Length]], random,
                string.Create(CultureInfo.InvariantCulture, $"moves-{i}"));
            Stance[] stances = [opener.Open(question.Candidates[0]), opener.Open(question.Candidates[1])];
            for (int s = 0; s < 2; s++)
            {
                Stance own = stances[s], theirs = stances[1 - s];
                if (own.Final is null || theirs.Final is null)
                {
                    continue;
                }
                List<IReadOnlyList<Claim>> chains = [theirs.Chain, new[] { theirs.Final }];
                chains.AddRange(theirs.Chain.Select(view.Split).Where(parts => parts.Count > 0));
                foreach (IReadOnlyList<Claim> chain in chains)
                {
                    string state = DebaterMoves.State(own.Answer, chain);
                    if (seen.Add(state))
                    {
                        states.Add(state + "\n" + chain.Count.ToString(CultureInfo.InvariantCulture));
                    }
                }
            }
        }
        var examples = new List<Response>();
        foreach (string entry in states)
        {
            int cut = entry.LastIndexOf('\n');
            string state = entry[..cut];
            int count = int.Parse(entry[(cut + 1)..], CultureInfo.InvariantCulture);
            var prompt = new Prompt(string.Create(CultureInfo.InvariantCulture, $"moves/{examples.Count}"), state);
            examples.AddRange(DebaterMoves.Legal(count).Select(move => new Response(prompt, move) { Source = DebateNames.DebaterMovesStage }));
        }
        context.Artifacts.Set<IReadOnlyList<Response>>(examples, options.Key);
        context.Logger.LogInformation("debater-moves: {States} states, {Examples} examples under '{Key}'", states.Count, examples.Count, options.Key);
        return Task.CompletedTask;
    }
}
