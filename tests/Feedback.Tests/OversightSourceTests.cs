using System.Text.Json;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>An oversight method goes wherever a feedback source goes: its verdicts become labels, its transcripts are kept.</summary>
public sealed class OversightSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-oversight-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly Lazy<IComponentCatalog> Catalog = new(() => new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback"), TestCatalog.ScriptedPolicy,
        TestCatalog.Describe(ComponentKinds.Oversight, "shorter-wins", typeof(ShorterWins), typeof(ShorterWinsOptions))));

    private ManifestResult<PipelineManifest> Load(string source)
    {
        string path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, $$"""
            {
              "name": "oversight-labels", "seed": 6,
              "task": { "name": "arithmetic", "options": { "trainPrompts": 100 } },
              "policy": "scripted",
              "stages": [ { "stage": "collect-feedback", "labels": 40, "source": {{source}} } ],
            }
            """);
        return ManifestLoader.LoadPipeline(path, Catalog.Value);
    }

    [Fact]
    public async Task Collect_feedback_takes_an_oversight_method_as_its_source_and_stores_its_transcripts()
    {
        ManifestResult<PipelineManifest> manifest = Load("""{ "name": "shorter-wins", "options": { "confidence": 0.8 } }""");
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "alignfx.db"));

        RunOutcome outcome = await new PipelineRunner(Catalog.Value, store, NullLoggerFactory.Instance, TextWriter.Null)
            .RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        var labels = outcome.Artifacts.Get<FeedbackDataset>().Pairwise.ToList();
        Assert.Equal(40, labels.Count);
        Assert.All(labels, l =>
        {
            Assert.Equal(("shorter-wins", "length-judge", 0.8), (l.Provenance.Source, l.Provenance.Annotator, l.Provenance.Confidence));
            // The verdict's confidence becomes the soft label, towards the shorter response.
            Assert.Equal(l.First.Text.Length <= l.Second.Text.Length ? 0.8 : 0.2, l.PreferFirst, 12);
            Assert.Equal(["judge"], l.Transcript!.Select(t => t.Speaker));
        });
        var stored = store.GetFeedback(outcome.RunId);
        Assert.Equal(40, stored.Count);
        Assert.All(stored, f =>
        {
            JsonElement transcript = JsonDocument.Parse(f.PayloadJson).RootElement.GetProperty("transcript");
            Assert.StartsWith("shorter: ", transcript[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void An_unknown_source_is_answered_with_the_feedback_sources_and_oversight_methods_that_exist()
    {
        ManifestResult<PipelineManifest> manifest = Load("\"shorter-win\"");

        ManifestError error = Assert.Single(manifest.Errors);
        Assert.Equal("$.stages[0].source", error.Path);
        Assert.Contains("unknown feedback source 'shorter-win'", error.Message, StringComparison.Ordinal);
        Assert.Contains("shorter-wins", error.Message, StringComparison.Ordinal);
        Assert.Contains("simulated-human", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Options of the test's oversight method.</summary>
    public sealed class ShorterWinsOptions
    {
        /// <summary>The verdict's confidence.</summary>
        public double Confidence { get; set; } = 0.9;
    }

    /// <summary>An oversight method that picks the shorter candidate and says so in its transcript.</summary>
    private sealed class ShorterWins(ShorterWinsOptions options) : IOversightMethod
    {
        public Task<OversightVerdict> JudgeAsync(OversightQuestion question, CancellationToken ct)
        {
            int chosen = question.Candidates[0].Text.Length <= question.Candidates[1].Text.Length ? 0 : 1;
            return Task.FromResult(new OversightVerdict(chosen, options.Confidence, [new TranscriptTurn("judge", $"shorter: {question.Candidates[chosen].Text}")])
            {
                Judge = "length-judge",
            });
        }
    }
}
