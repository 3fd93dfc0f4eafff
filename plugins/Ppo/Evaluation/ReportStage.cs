using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;

namespace AlignFx.Ppo.Evaluation;

/// <summary>Options of the <c>report</c> stage.</summary>
public sealed class ReportOptions
{
    /// <summary>The folder (under the run's folder) of the stage's files: the contribution and the headline table.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]+$")]
    public string Folder { get; set; } = "report";

    /// <summary>The heading of the stage's first section in the run's report.</summary>
    [Required, MinLength(1)]
    public string Title { get; set; } = "AlignFx run report";

    /// <summary>
    /// Artifact keys of other stages' <see cref="EvaluationResults"/> to show as tables (for example
    /// <c>critique-revise</c>, <c>sft</c>, <c>principle-agreement</c> of constitutional pipelines); keys no stage left are skipped.
    /// </summary>
    public List<string> Results { get; set; } = [];
}

/// <summary>
/// <c>report</c>: contributes the RLHF view of the run to the host's report (<c>report.html</c>, rebuilt by
/// <c>alignfx report</c>) as data: the base-versus-final table with the reward-hacking call, gold and proxy against
/// sqrt(KL) and against steps, the KL coefficient, learning curves, the best-of-n sweep with its fits, sample
/// responses before and after, the results the options name, and disclosure facts (the reward-hacking call as the
/// card's expected risks, base versus final as the policy's evaluation). Writes the base-versus-final table to
/// <c>&lt;folder&gt;/headline.md</c>, which <c>alignfx run</c> prints last. The host renders; this stage writes no markup.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class ReportStage(ReportOptions options) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ReportContent content = Gather(context, options.Title, options.Results);
        context.Files.Contribute(options.Folder, ReportSections.Build(content));
        context.Logger.LogInformation("Report data contributed to the run's report ({Path})", context.Files.GetPath("report/" + options.Folder + ".json"));
        var rows = content.BaseVersusFinal();
        if (rows.Count > 0)
        {
            // The host prints a "headline" artifact at the end of `alignfx run`, so the table is the last thing a user sees.
            string headlinePath = options.Folder + "/headline.md";
            string table = ReportSections.HeadlineMarkdown(rows);
            await File.WriteAllTextAsync(context.Files.GetPath(headlinePath), table, ct).ConfigureAwait(false);
            context.Files.Register(headlinePath, ReportArtifactKinds.Headline, "Base versus final policy on held-out prompts");
            context.Logger.LogInformation("Base versus final policy on held-out prompts:\n{Table}", table.TrimEnd());
        }
    }

    /// <summary>Collects what the report shows from the stage context.</summary>
    internal static ReportContent Gather(IStageContext context, string title, IReadOnlyList<string> results)
    {
        IMetricHistory history = context.MetricHistory ?? EmptyMetricHistory.Instance;
        var named = results.Distinct(StringComparer.Ordinal)
            .Select(k => (Key: k, Results: context.Artifacts.TryGet<EvaluationResults>(k)))
            .Where(r => r.Results is not null)
            .Select(r => (r.Key, r.Results!))
            .ToList();
        return new ReportContent(title,
            context.Artifacts.TryGet(PpoArtifacts.BaseResults),
            context.Artifacts.TryGet(PpoArtifacts.FinalResults),
            named, history,
            context.Artifacts.TryGet(PpoArtifacts.Samples),
            context.Artifacts.TryGet(PpoArtifacts.Overoptimisation));
    }
}
