using AlignFx.Evaluation;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.Feedback;

/// <summary>What the collect-feedback stage asks for.</summary>
public enum LabelKind
{
    /// <summary>Which of two responses to the same prompt is better.</summary>
    Pairwise,
    /// <summary>A rating of one response on a 1–7 scale.</summary>
    Rating,
}

/// <summary>Options of <c>collect-feedback</c>.</summary>
public sealed class CollectFeedbackOptions
{
    /// <summary>How many labels to collect (the budget compare manifests match across arms).</summary>
    [Range(1, 10_000_000), Budget(Budgets.Labels)]
    public int Labels { get; set; } = 2000;

    /// <summary>The feedback source that answers.</summary>
    [ComponentKind(ComponentKinds.FeedbackSource)]
    public ComponentRef Source { get; set; } = new() { Name = SimulatedHumanSource.Name };

    /// <summary>The task split whose prompts the policy answers.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>Responses sampled per prompt; every two of them make a pairwise query (each one a rating query).</summary>
    [Range(2, 16)]
    public int SamplesPerPrompt { get; set; } = 2;

    /// <summary>Pairwise preferences or ratings.</summary>
    public LabelKind Kind { get; set; } = LabelKind.Pairwise;

    /// <summary>Sampling temperature of the policy.</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Prompts sampled per policy call (memory versus speed).</summary>
    [Range(1, 100_000)]
    public int BatchPrompts { get; set; } = 256;

    /// <summary>Active collection: the selector that picks which candidate queries get a label (null: every query is asked).</summary>
    [ComponentKind(ComponentKinds.QuerySelector)]
    public ComponentRef? Selector { get; set; }

    /// <summary>With a selector: candidate queries generated per label spent (the selector keeps 1 in this many).</summary>
    [Range(1, 64)]
    public int Candidates { get; set; } = 4;
}

/// <summary>
/// <c>collect-feedback</c>: samples responses from the pipeline's current policy on a split's prompts (in a seeded
/// order, cycling when the labels need more), asks the source, and leaves the labels as the pipeline's
/// <see cref="FeedbackDataset"/> (appended to one an earlier round left). Responses never carry the truth; simulated
/// sources get the task's gold evaluator from the host. Logs <c>feedback/labels</c>, <c>feedback/cost</c> (cumulative, per batch)
/// and <c>feedback/gold_agreement</c>, records every label through <see cref="IRunContext.FeedbackLog"/>, and leaves
/// <see cref="TaskMetrics.MeasureLabels"/> of this round as <see cref="EvaluationResults"/> under the key
/// <c>feedback</c>. With a <see cref="CollectFeedbackOptions.Selector"/> (active collection) it generates
/// <see cref="CollectFeedbackOptions.Candidates"/> times as many queries and asks the source only about those the
/// selector picks, so the labels spent stay at <see cref="CollectFeedbackOptions.Labels"/>.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class CollectFeedbackStage(CollectFeedbackOptions options) : IStage
{
    /// <summary>The artifact key of this stage's <see cref="EvaluationResults"/>.</summary>
    public const string ResultsKey = "feedback";

    /// <summary>A report contribution name for the source's facts, unique within the run (a second collect-feedback stage gets its own).</summary>
    private static string ContributionName(IStageContext context, string source)
    {
        string stem = "feedback-source-" + new string([.. source.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        string name = stem;
        for (int n = 2; File.Exists(context.Files.GetPath($"report/{name}.json")); n++)
        {
            name = $"{stem}-{n}";
        }
        return name;
    }

    /// <summary>Scale of rating queries.</summary>
    private const double RatingMin = 1, RatingMax = 7;

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold
            ?? throw new InvalidOperationException("collect-feedback needs a task with a gold evaluator, to measure how far the labels agree with the truth.");
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(options.Split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        IFeedbackSource source = context.Components.Create<IFeedbackSource>(options.Source);
        FeedbackKind kind = options.Kind == LabelKind.Pairwise ? FeedbackKind.Pairwise : FeedbackKind.Rating;
        if (!source.Supports.Contains(kind))
        {
            throw new InvalidOperationException($"The feedback source '{options.Source.Name}' does not answer {kind} queries.");
        }
        if (source is IDisclosesFacts { DisclosureFacts.Count: > 0 } disclosing)
        {
            // The source states what it knows about itself (ai-feedback: its constitution) for the disclosure card.
            context.Files.Contribute(ContributionName(context, options.Source.Name), new ReportContribution(disclosing.DisclosureFacts, []));
        }
        if (context.FeedbackLog is null)
        {
            context.Logger.LogWarning("This host keeps no feedback log: the labels stay in the pipeline's results only.");
        }

        IQuerySelector? selector = options.Selector is null ? null : context.Components.Create<IQuerySelector>(options.Selector);
        int factor = selector is null ? 1 : options.Candidates;
        int k = options.SamplesPerPrompt;
        int queriesPerPrompt = kind == FeedbackKind.Pairwise ? k * (k - 1) / 2 : k;
        // Ids unique within the run: the stage's seed differs between stages.
        string prefix = string.Create(CultureInfo.InvariantCulture, $"cf{(ulong)context.Seed % 0xFFFFFF:x6}");
        var order = new PromptOrder(prompts, context.CreateRandom("collect-feedback/prompts"));
        var collected = new List<FeedbackRecord>(options.Labels);
        int asked = 0;
        double cost = 0;
        using (IProgressTask progress = context.Progress.Start("collect feedback", options.Labels))
        {
            for (int batch = 0; asked < options.Labels; batch++)
            {
                ct.ThrowIfCancellationRequested();
                int needed = options.Labels - asked;
                int promptCount = Math.Min(options.BatchPrompts, ((needed * factor) + queriesPerPrompt - 1) / queriesPerPrompt);
                List<Prompt> batchPrompts = [.. Enumerable.Range(0, promptCount).Select(_ => order.Next())];
                var generation = new GenerationOptions
                {
                    MaxNewTokens = options.MaxNewTokens,
                    Temperature = options.Temperature,
                    Seed = context.DeriveSeed($"collect-feedback/generate/{batch}"),
                };
                IReadOnlyList<Response> responses = await context.Policy.GenerateAsync(
                    [.. batchPrompts.SelectMany(p => Enumerable.Repeat(p, k))], generation, ct).ConfigureAwait(false);
                if (responses.Count != promptCount * k)
                {
                    throw new InvalidOperationException($"The policy returned {responses.Count} responses for {promptCount * k} prompts.");
                }
                var annotated = responses.Select((r, i) =>
                    r.Id.Length > 0 ? r : r with { Id = string.Create(CultureInfo.InvariantCulture, $"{prefix}-b{batch}-r{i}") }).ToList();

                var queries = new List<FeedbackQuery>();
                for (int p = 0; p < promptCount && queries.Count < needed * factor; p++)
                {
                    var group = annotated.GetRange(p * k, k);
                    foreach (FeedbackQuery query in Queries(group, kind, $"{prefix}-b{batch}-p{p}"))
                    {
                        if (queries.Count == needed * factor)
                        {
                            break;
                        }
                        queries.Add(query);
                    }
                }
                if (selector is not null)
                {
                    int budget = Math.Min(needed, (queries.Count + factor - 1) / factor);
                    var byId = queries.ToDictionary(q => q.Id, StringComparer.Ordinal);
                    IReadOnlyList<FeedbackQuery> chosen = await selector.SelectAsync(queries, budget, ct).ConfigureAwait(false);
                    queries = [.. chosen.Take(budget).Select(q => byId[q.Id])];
                }
                IReadOnlyList<FeedbackRecord> answers = await source.AnswerAsync(queries, ct).ConfigureAwait(false);
                List<FeedbackRecord> records = [.. answers];
                context.FeedbackLog?.Record(records);
                collected.AddRange(records);
                asked += queries.Count;
                cost += records.Sum(r => r.Provenance.Cost);
                context.Metrics.Log(MetricNames.Feedback.Labels, collected.Count, asked);
                context.Metrics.Log(MetricNames.Feedback.Cost, cost, asked);
                progress.Advance(queries.Count);
            }
        }

        IReadOnlyDictionary<string, double> metrics = TaskMetrics.MeasureLabels(collected, gold);
        context.Metrics.Log(MetricNames.Feedback.GoldAgreement, metrics[MetricNames.Feedback.GoldAgreement], asked);
        context.Logger.LogInformation("Collected {Labels} labels from {Source} for {Cost:0.##}; agreement with gold {Agreement:P1}",
            collected.Count, options.Source.Name, cost, metrics[MetricNames.Feedback.GoldAgreement]);
        if (context.Artifacts.TryGet(ArtifactKeys.Feedback) is { } earlier)
        {
            earlier.Add(collected);
        }
        else
        {
            context.Artifacts.Set(ArtifactKeys.Feedback, new FeedbackDataset(collected));
        }
        context.Artifacts.Set(new EvaluationResults(ResultsKey, metrics), ResultsKey);
    }

    private static IEnumerable<FeedbackQuery> Queries(List<Response> group, FeedbackKind kind, string id)
    {
        if (kind == FeedbackKind.Rating)
        {
            for (int i = 0; i < group.Count; i++)
            {
                yield return new RatingQuery(string.Create(CultureInfo.InvariantCulture, $"{id}-{i}"), group[i], RatingMin, RatingMax);
            }
            yield break;
        }
        for (int i = 0; i < group.Count; i++)
        {
            for (int j = i + 1; j < group.Count; j++)
            {
                yield return new PairwiseQuery(string.Create(CultureInfo.InvariantCulture, $"{id}-{i}v{j}"), group[i], group[j]);
            }
        }
    }

    /// <summary>Prompts in a seeded order, reshuffled on every pass.</summary>
    private sealed class PromptOrder(IReadOnlyList<Prompt> prompts, Random random)
    {
        private int[] _order = [];
        private int _next;

        public Prompt Next()
        {
            if (_next == _order.Length)
            {
                _order = [.. Enumerable.Range(0, prompts.Count)];
                random.Shuffle(_order);
                _next = 0;
            }
            return prompts[_order[_next++]];
        }
    }
}
