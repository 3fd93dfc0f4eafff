using System.ComponentModel.DataAnnotations;
using System.Globalization;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;

namespace AlignFx.Ppo.Evaluation;

/// <summary>Options of the <c>report</c> stage.</summary>
public sealed class ReportOptions
{
    /// <summary>The report's folder under the run's folder.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]+$")]
    public string Folder { get; set; } = "report";

    /// <summary>The report's title.</summary>
    [Required, MinLength(1)]
    public string Title { get; set; } = "AlignFx run report";

    /// <summary>
    /// Artifact keys of other stages' <see cref="EvaluationResults"/> to add to "Results by stage", after the built-in
    /// ones (for example <c>critique-revise</c>, <c>sft</c>, <c>principle-agreement</c> of constitutional pipelines).
    /// </summary>
    public List<string> Results { get; set; } = [];
}

/// <summary>
/// <c>report</c>: writes <c>&lt;folder&gt;/summary.md</c> (Markdown) and <c>&lt;folder&gt;/index.html</c> (one
/// self-contained page with inline SVG plots) from what the pipeline left: run settings, every stage's
/// <see cref="EvaluationResults"/>, plots of the run's metric history (proxy and gold against sqrt(KL) and steps, the
/// KL coefficient, reward-model learning curves), the overoptimisation sweep with its fits, sample responses before
/// and after, and the RLHF disclosure card. Logs where the report is and the base-versus-final table.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class ReportStage(ReportOptions options) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ReportContent content = Gather(context, options.Title, options.Results);
        string markdown = ReportMarkdown.Write(content);
        string html = ReportHtml.Write(content);
        string summaryPath = options.Folder + "/summary.md", pagePath = options.Folder + "/index.html";
        await File.WriteAllTextAsync(context.Files.GetPath(summaryPath), markdown, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(context.Files.GetPath(pagePath), html, ct).ConfigureAwait(false);
        context.Files.Register(summaryPath, ReportArtifactKinds.Report, "Markdown summary of the run");
        context.Files.Register(pagePath, ReportArtifactKinds.Report, "HTML report with plots and the RLHF disclosure card");

        context.Logger.LogInformation("Report written to {Path}", context.Files.GetPath(pagePath));
        var rows = content.BaseVersusFinal();
        // The host's run report (alignfx run, alignfx report) draws these; this stage's own pages are unchanged.
        context.Files.Contribute(options.Folder, Contribution(content, rows));
        if (rows.Count > 0)
        {
            // The host prints a "headline" artifact at the end of `alignfx run`, so the table is the last thing a user sees.
            string headlinePath = options.Folder + "/headline.md";
            string table = ReportMarkdown.BaseVersusFinalTable(rows);
            await File.WriteAllTextAsync(context.Files.GetPath(headlinePath), table, ct).ConfigureAwait(false);
            context.Files.Register(headlinePath, ReportArtifactKinds.Headline, "Base versus final policy on held-out prompts");
            context.Logger.LogInformation("Base versus final policy on held-out prompts:\n{Table}", table.TrimEnd());
        }
    }

    /// <summary>
    /// What this stage adds to the host's report, as data: the base-versus-final table and the reward-hacking call
    /// (proxy up while gold falls beyond its noise) for the disclosure card's expected risks.
    /// </summary>
    internal static ReportContribution Contribution(ReportContent content, IReadOnlyList<(string Metric, double Base, double Final)> rows)
    {
        List<DisclosureFact> facts = Disclosure.RewardHacking(content) is { } hacking
            ? [new DisclosureFact(DisclosureGroups.SystemicSafety, "Expected risks", hacking)]
            : [];
        List<ReportSectionData> sections = rows.Count == 0 ? [] :
        [
            new ReportSectionData("Base versus final policy", "Held-out prompts: the policy before and after optimisation (the evaluate stage's base and final results).")
            {
                Tables =
                [
                    new ReportTableData("base → final", ["metric", "base", "final", "change"],
                        [.. rows.Select(r => (IReadOnlyList<string>)[r.Metric, ReportContent.Format(r.Base), ReportContent.Format(r.Final), ReportContent.FormatChange(r.Base, r.Final)])]),
                ],
            },
        ];
        return new ReportContribution(facts, sections);
    }

    /// <summary>Collects what the report shows from the stage context.</summary>
    internal static ReportContent Gather(IStageContext context, string title, IReadOnlyList<string>? extraResults = null)
    {
        IMetricHistory history = context.MetricHistory ?? EmptyMetricHistory.Instance;
        var stages = history.Names.SelectMany(n => history.Read(n)).Where(p => p.Stage >= 0)
            .Select(p => (p.Stage, p.StageId)).Distinct().OrderBy(s => s.Stage).Select(s => s.StageId).ToList();
        List<(string, string)> settings =
        [
            ("Run", context.RunId),
            ("Seed of the report stage", context.Seed.ToString(CultureInfo.InvariantCulture)),
            ("Device", context.Device),
            ("Task", context.Task.GetType().Name),
            ("Policy", context.Policy.GetType().Name),
            ("Stages that logged metrics", stages.Count == 0 ? "none" : string.Join(", ", stages)),
        ];
        var results = ReportContent.ResultKeys.Concat((extraResults ?? []).Except(ReportContent.ResultKeys, StringComparer.Ordinal))
            .Select(k => (Key: k, Results: context.Artifacts.TryGet<EvaluationResults>(k)))
            .Where(r => r.Results is not null)
            .Select(r => (r.Key, r.Results!))
            .ToList();
        return new ReportContent(title, settings, results, history,
            context.Artifacts.TryGet<EvaluationSamples>(),
            context.Artifacts.TryGet(PpoArtifacts.Overoptimisation),
            context.Artifacts.TryGet(ArtifactKeys.Feedback));
    }
}
