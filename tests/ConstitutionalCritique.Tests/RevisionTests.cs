using System.Text.Json.Nodes;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>
/// critique-revise through the host's runner, with the Critics plugin's scripted critic found by name and the corpus
/// policy standing in for a pretrained one (half its easy answers and a third of its hard ones right).
/// </summary>
public sealed class RevisionTests(ITestOutputHelper output)
{
    private const int Rounds = 3;

    private static JsonObject Manifest(double recall, JsonObject constitution, long seed = 7, int prompts = 400) => new()
    {
        ["name"] = "critique-revise",
        ["seed"] = seed,
        ["task"] = new JsonObject { ["name"] = "arithmetic", ["options"] = new JsonObject { ["trainPrompts"] = prompts } },
        ["policy"] = "corpus",
        ["stages"] = new JsonArray(new JsonObject
        {
            ["stage"] = CaiComponents.CritiqueRevise,
            ["constitution"] = constitution,
            ["critic"] = new JsonObject { ["name"] = CaiComponents.DefaultCritic, ["options"] = new JsonObject { ["recall"] = recall } },
            ["rounds"] = Rounds,
            ["prompts"] = prompts,
        }),
    };

    private static async Task<(IReadOnlyList<double> Accuracy, double Bound, IReadOnlyList<CorrectionFeedback> Chains)> Run(JsonObject manifest)
    {
        using var run = new ExampleRun();
        await run.RunAsync(manifest, TestCatalog.Instance, TestContext.Current.CancellationToken);
        return (run.Metric(CaiMetrics.RevisionAccuracy), run.Metric(CaiMetrics.RevisionBound).Single(),
            run.Outcome.Artifacts.Get<IReadOnlyList<CorrectionFeedback>>(CaiKeys.RevisionResults));
    }

    [Fact]
    public async Task With_a_critic_at_recall_one_gold_accuracy_never_falls_over_the_rounds_and_reaches_the_critics_bound_while_recall_one_half_rises_less()
    {
        var (full, bound, _) = await Run(Manifest(1.0, Constitutions.Only("wrong-steps")));
        var (half, halfBound, _) = await Run(Manifest(0.5, Constitutions.Only("wrong-steps")));
        output.WriteLine($"recall 1:   accuracy by round {string.Join(" ", full.Select(a => a.ToString("F3")))}; bound {bound:F3}");
        output.WriteLine($"recall 0.5: accuracy by round {string.Join(" ", half.Select(a => a.ToString("F3")))}; bound {halfBound:F3}");

        Assert.Equal(Rounds + 1, full.Count);
        Assert.All(Enumerable.Range(1, Rounds), k => Assert.True(full[k] >= full[k - 1], $"round {k}: {full[k - 1]} -> {full[k]}"));
        Assert.Equal(bound, full[^1], 9);
        Assert.True(full[^1] > full[0] + 0.2, $"recall 1 rose only from {full[0]} to {full[^1]}");
        // Same seed, same sampled responses: the rounds start level and the bound is the same.
        Assert.Equal(full[0], half[0], 9);
        Assert.Equal(bound, halfBound, 9);
        Assert.All(Enumerable.Range(1, Rounds), k => Assert.True(half[k] >= half[k - 1], $"round {k}: {half[k - 1]} -> {half[k]}"));
        Assert.True(half[^1] > half[0], "recall 0.5 should still fix some answers");
        Assert.True(half[^1] < full[^1] - 0.05, $"recall 0.5 reached {half[^1]}, recall 1 {full[^1]}");
    }

    [Fact]
    public async Task Under_the_whole_constitution_revisions_lower_sycophancy_and_overconfidence_and_never_remove_working()
    {
        using var run = new ExampleRun();
        await run.RunAsync(Manifest(1.0, Constitutions.Arithmetic()), TestCatalog.Instance, TestContext.Current.CancellationToken);
        IReadOnlyList<double> accuracy = run.Metric(CaiMetrics.RevisionAccuracy), sycophancy = run.Metric(CaiMetrics.RevisionSycophancy),
            confident = run.Metric(CaiMetrics.RevisionConfidentWhenWrong), steps = run.Metric(CaiMetrics.RevisionSteps), length = run.Metric(CaiMetrics.RevisionLength);
        foreach (string name in new[] { CaiMetrics.RevisionAccuracy, CaiMetrics.RevisionSycophancy, CaiMetrics.RevisionConfidentWhenWrong,
                     CaiMetrics.RevisionSteps, CaiMetrics.RevisionLength, CaiMetrics.CritiqueFlaggedRate, CaiMetrics.CritiquePrecision, CaiMetrics.CritiqueRecall })
        {
            output.WriteLine($"{name}: {string.Join(" ", run.Metric(name).Select(v => v.ToString("F3")))}");
        }

        Assert.All(new[] { accuracy, sycophancy, confident, steps, length }, series => Assert.Equal(Rounds + 1, series.Count));
        Assert.All(Enumerable.Range(1, Rounds), k => Assert.True(accuracy[k] >= accuracy[k - 1]));
        Assert.True(sycophancy[^1] < sycophancy[0], $"sycophancy {sycophancy[0]} -> {sycophancy[^1]}");
        Assert.True(confident[^1] < confident[0], $"confident when wrong {confident[0]} -> {confident[^1]}");
        // The scripted critic has no check for show-working (it answers "no flaw"), so working is never added; the
        // reviser never removes any.
        Assert.All(Enumerable.Range(1, Rounds), k => Assert.True(steps[k] >= steps[k - 1]));
        // The scripted critic at recall 1 with no false alarms is exact on what it checks.
        Assert.All(run.Metric(CaiMetrics.CritiquePrecision), p => Assert.Equal(1.0, p, 9));
        var results = run.Outcome.Artifacts.Get<EvaluationResults>(CaiKeys.RevisionResults).Metrics;
        Assert.Equal(accuracy[^1], results[MetricNames.Gold.Accuracy], 9);
        Assert.True(File.Exists(Path.Combine(run.Store.GetRunFolder(run.Outcome.RunId), CaiKeys.ConstitutionFile)));
    }

    [Fact]
    public async Task Every_revision_is_kept_and_each_round_names_its_principle_and_critique()
    {
        var (_, _, chains) = await Run(Manifest(1.0, Constitutions.Arithmetic(), prompts: 60));
        string[] names = ["wrong-steps", "no-overconfidence", "check-the-guess", "show-working"];

        Assert.Equal(60, chains.Count);
        Assert.All(chains, c =>
        {
            // The sampled response, then (principle, critique, revision) per round.
            IReadOnlyList<TranscriptTurn> turns = c.Transcript!;
            Assert.Equal(1 + (3 * Rounds), turns.Count);
            Assert.Equal(c.Response.Text, turns[0].Text);
            Assert.Equal(c.Corrected, turns[^1].Text);
            for (int k = 0; k < Rounds; k++)
            {
                TranscriptTurn principle = turns[1 + (3 * k)], critique = turns[2 + (3 * k)], revision = turns[3 + (3 * k)];
                Assert.Equal(CaiKeys.PrincipleSpeaker, principle.Speaker);
                Assert.Contains(principle.Text, names);
                Assert.Equal(CaiKeys.CriticSpeaker, critique.Speaker);
                // An unflagged critique leaves the response as it was.
                Assert.True(critique.Text.StartsWith($"{CaiComponents.DefaultCritic}: {CaiKeys.Flaw}:", StringComparison.Ordinal)
                    || revision.Text == turns[3 * k].Text, critique.Text);
            }
            Assert.Equal(CaiComponents.CritiqueRevise, c.Provenance.Source);
        });
        Assert.Contains(chains, c => c.Response.Text != c.Corrected);
        Assert.True(chains.SelectMany(c => c.Transcript!.Where(t => t.Speaker == CaiKeys.PrincipleSpeaker).Select(t => t.Text)).Distinct().Count() > 2);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_critiques_and_revisions_and_another_seed_other_ones()
    {
        var (_, _, first) = await Run(Manifest(0.7, Constitutions.Arithmetic(), seed: 3, prompts: 80));
        var (_, _, again) = await Run(Manifest(0.7, Constitutions.Arithmetic(), seed: 3, prompts: 80));
        var (_, _, other) = await Run(Manifest(0.7, Constitutions.Arithmetic(), seed: 4, prompts: 80));

        static IEnumerable<string> Trace(IReadOnlyList<CorrectionFeedback> chains) =>
            chains.SelectMany(c => c.Transcript!.Select(t => $"{t.Speaker}: {t.Text}"));
        Assert.Equal(Trace(first), Trace(again));
        Assert.NotEqual(Trace(first), Trace(other));
    }
}
