using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Manifests;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Runner;

/// <summary>
/// The stage cache: a stage implementing <see cref="ICacheableStage"/> whose inputs are identical to one already run
/// reuses its results. The key hashes everything that decides them: the task, the policy and every stage up to this
/// one with their effective options, the run's seed, the device, and the module version ids of the assemblies of
/// those components (so a rebuilt plugin with changed code misses) and of the shared runtime. An entry is a folder
/// <c>runs/cache/&lt;key&gt;/</c> holding the stage's saved state, the files it registered and the values it recorded;
/// it is written under a temporary name and renamed into place, so a killed run leaves no half entry.
/// </summary>
internal sealed class StageCache(string root, ILogger logger)
{
    /// <summary>The cache folder of a store: <c>cache/</c> beside the database.</summary>
    public static string RootOf(RunStore store) => Path.Combine(store.RunsDirectory, "cache");

    private const string EntryFile = "entry.json";
    private const string StateFolder = "state";
    private const string FilesFolder = "files";
    private const int Format = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>The key of stage <paramref name="index"/> of <paramref name="manifest"/> run with <paramref name="seed"/> on <paramref name="device"/>.</summary>
    public static string Key(PipelineManifest manifest, int index, long seed, string device)
    {
        JsonObject pipeline = CanonicalJson.Pipeline(manifest);
        var stages = (JsonArray)pipeline["stages"]!;
        var prefix = new JsonArray([.. stages.Take(index + 1).Select(s => s!.DeepClone())]);
        var involved = new List<BoundComponent> { manifest.Task, manifest.Policy };
        involved.AddRange(manifest.Stages.Take(index + 1).Select(s => s.Component));
        var paths = involved.Select(c => c.Path).ToList();
        involved.AddRange(manifest.Nested.Values.Where(n => paths.Any(p => IsUnder(n.Path, p))));
        var assemblies = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var assembly in involved.Select(c => c.Descriptor.ImplementationType.Assembly)
                     .Concat([typeof(AlignFx.Tensors.torch).Assembly, typeof(IStage).Assembly, typeof(AlignFx.Evaluation.TaskMetrics).Assembly]))
        {
            assemblies[assembly.GetName().Name ?? assembly.FullName ?? ""] = assembly.ManifestModule.ModuleVersionId.ToString("N");
        }
        var key = new JsonObject
        {
            ["format"] = Format,
            ["seed"] = seed,
            ["device"] = device,
            ["task"] = pipeline["task"]!.DeepClone(),
            ["policy"] = pipeline["policy"]!.DeepClone(),
            ["stages"] = prefix,
            ["assemblies"] = new JsonObject([.. assemblies.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))]),
        };
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson.Write(key))));
    }

    private static bool IsUnder(string path, string parent) =>
        path.Length > parent.Length && path.StartsWith(parent, StringComparison.Ordinal) && path[parent.Length] is '.' or '[';

    /// <summary>
    /// Restores the entry of <paramref name="key"/> into the running stage: its state, then its files, metrics, feedback
    /// and transcripts. False (nothing changed) when there is no usable entry.
    /// </summary>
    public bool TryRestore(string key, ICacheableStage stage, IStageContext context, RunRecorder recorder, IMetricSink metrics)
    {
        string folder = Path.Combine(root, key);
        CachedStage? entry;
        try
        {
            if (!File.Exists(Path.Combine(folder, EntryFile)))
            {
                return false;
            }
            entry = JsonSerializer.Deserialize<CachedStage>(File.ReadAllText(Path.Combine(folder, EntryFile)), Json);
            if (entry is null || entry.Format != Format || entry.Files.Any(f => !File.Exists(Path.Combine(folder, FilesFolder, f.RelativePath))))
            {
                logger.LogWarning("Stage cache entry {Key} is incomplete; running the stage instead", key);
                Discard(folder);
                return false;
            }
            stage.RestoreState(context, Path.Combine(folder, StateFolder));
        }
        catch (Exception ex) when (ex is IOException or JsonException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            logger.LogWarning("Stage cache entry {Key} could not be restored ({Message}); running the stage instead", key, ex.Message);
            Discard(folder);
            return false;
        }
        foreach (var file in entry.Files)
        {
            File.Copy(Path.Combine(folder, FilesFolder, file.RelativePath), recorder.GetPath(file.RelativePath), overwrite: true);
            recorder.AddArtifact(file.Name, file.Kind, file.RelativePath);
        }
        foreach (var series in entry.Metrics)
        {
            for (int i = 0; i < series.Steps.Count; i++)
            {
                metrics.Log(series.Name, series.Values[i] ?? double.NaN, series.Steps[i]);
            }
        }
        recorder.AddFeedback(entry.Feedback.Select(f => new FeedbackEntry(f.Source, f.Annotator, f.Kind, f.PayloadJson, f.Cost,
            f.LatencyMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, f.Confidence)));
        recorder.AddTranscripts(entry.Transcripts.Select(t => new TranscriptEntry(t.Method, t.PayloadJson)));
        logger.LogInformation("Stage restored from the cache (entry {Key}, first run {Run})", key, entry.SourceRun);
        return true;
    }

    /// <summary>Saves the stage that just completed as the entry of <paramref name="key"/>, unless one exists.</summary>
    public void TrySave(string key, ICacheableStage stage, IStageContext context, RunStore store, RunRecorder recorder, int stageIndex)
    {
        string folder = Path.Combine(root, key);
        if (Directory.Exists(folder))
        {
            return;
        }
        string temporary = Path.Combine(root, $".tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.Combine(temporary, StateFolder));
            if (!stage.TrySaveState(context, Path.Combine(temporary, StateFolder)))
            {
                return;
            }
            recorder.Flush();
            var files = store.GetArtifacts(recorder.RunId).Where(a => a.StageIndex == stageIndex).ToList();
            foreach (var file in files)
            {
                string target = Path.Combine(temporary, FilesFolder, file.RelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(recorder.Folder, file.RelativePath), target);
            }
            var entry = new CachedStage(
                Format, recorder.RunId, stageIndex,
                [.. store.GetMetrics(recorder.RunId).Where(m => m.StageIndex == stageIndex)
                    .Select(m => new CachedSeries(m.Name, m.Steps, [.. m.Values.Select(v => double.IsNaN(v) ? (double?)null : v)]))],
                [.. store.GetFeedback(recorder.RunId, stageIndex).Select(f => new CachedFeedback(f.Source, f.Annotator, f.Kind, f.PayloadJson, f.Cost, f.Latency?.TotalMilliseconds, f.Confidence))],
                [.. store.GetTranscripts(recorder.RunId, stageIndex).Select(t => new CachedTranscript(t.Method, t.PayloadJson))],
                [.. files.Select(f => new CachedFile(f.Name, f.Kind, f.RelativePath))]);
            File.WriteAllText(Path.Combine(temporary, EntryFile), JsonSerializer.Serialize(entry, Json));
            Directory.Move(temporary, folder);
            temporary = "";
        }
        catch (IOException ex) when (Directory.Exists(folder))
        {
            // Another process saved the same entry first: theirs is as good as ours.
            logger.LogDebug(ex, "Stage cache entry {Key} was saved by another run", key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Stage cache entry {Key} could not be saved ({Message}); the run goes on without it", key, ex.Message);
        }
        finally
        {
            if (temporary.Length > 0 && Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    /// <summary>Removes a damaged entry (renamed first, so no reader sees it half deleted) so that the stage's run replaces it.</summary>
    private void Discard(string folder)
    {
        string doomed = Path.Combine(root, $".tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(folder, doomed);
            Directory.Delete(doomed, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogDebug(ex, "Could not remove the damaged stage cache entry {Folder}", folder);
        }
    }

    private sealed record CachedStage(int Format, string SourceRun, int StageIndex, IReadOnlyList<CachedSeries> Metrics,
        IReadOnlyList<CachedFeedback> Feedback, IReadOnlyList<CachedTranscript> Transcripts, IReadOnlyList<CachedFile> Files);

    // NaN survives as null (JSON has no NaN).
    private sealed record CachedSeries(string Name, IReadOnlyList<long> Steps, IReadOnlyList<double?> Values);

    private sealed record CachedFeedback(string Source, string? Annotator, string Kind, string PayloadJson, double Cost, double? LatencyMs, double? Confidence);

    private sealed record CachedTranscript(string Method, string PayloadJson);

    private sealed record CachedFile(string Name, string Kind, string RelativePath);
}
