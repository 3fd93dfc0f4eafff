using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.LanguageModels.Tests;

/// <summary>The pretrain stage on its own, with a small synthetic task and an in-memory stage context.</summary>
public sealed class PretrainStageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-pretrain-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Pretraining_fits_the_corpus_logs_its_metrics_and_writes_a_checkpoint_of_the_trained_policy()
    {
        using var policy = Tiny.Policy(seed: 3);
        var context = new StageContext(_dir, new SumTask(), policy);
        var stage = new PretrainStage(new PretrainOptions { Steps = 120, BatchSize = 16, EvaluateEvery = 40, LearningRate = 1e-2, WarmupSteps = 10, Patience = 0 });

        await stage.RunAsync(context, TestContext.Current.CancellationToken);

        Assert.Same(policy, context.Policy);
        var result = context.Artifacts.Get(LanguageModelArtifacts.Pretrain);
        Assert.Equal(120, result.Steps);
        Assert.Equal([40L, 80, 120], context.Logged.Where(m => m.Name == MetricNames.Pretrain.Loss).Select(m => m.Step));
        var losses = context.Logged.Where(m => m.Name == MetricNames.Pretrain.Loss).Select(m => m.Value).ToList();
        Assert.True(losses[^1] < losses[0] * 0.6, string.Join(", ", losses));
        Assert.Equal(3, context.Logged.Count(m => m.Name == MetricNames.Pretrain.ValidationLoss));
        Assert.All(context.Logged.Where(m => m.Name == MetricNames.Pretrain.TokensPerSecond), m => Assert.True(m.Value > 0));
        Assert.Equal(120, context.Advanced);
        Assert.Equal(result.ValidationLoss, context.Artifacts.Get(LanguageModelArtifacts.PretrainResults).Metrics[MetricNames.Pretrain.ValidationLoss]);

        // The checkpoint holds the trained policy: its scores equal the live policy's.
        Assert.Equal(3, context.Registered.Count);
        using var loaded = GptPolicy.Load(result.CheckpointDirectory!);
        Response[] probe = [new(new Prompt("p", "3+4=?"), "7")];
        Assert.Equal(Tiny.Score(policy, probe)[0], Tiny.Score(loaded, probe)[0]);
    }

    [Fact]
    public async Task Early_stopping_ends_on_a_stalled_validation_loss_and_keeps_the_best()
    {
        using var policy = Tiny.Policy(seed: 4);
        var context = new StageContext(_dir, new SumTask(), policy);
        // A learning rate this high makes the validation loss wander: patience 1 stops at its first rise.
        var stage = new PretrainStage(new PretrainOptions { Steps = 400, BatchSize = 8, EvaluateEvery = 5, LearningRate = 0.3, WarmupSteps = 0, Patience = 1, SaveCheckpoint = false });

        await stage.RunAsync(context, TestContext.Current.CancellationToken);

        var result = context.Artifacts.Get(LanguageModelArtifacts.Pretrain);
        var validation = context.Logged.Where(m => m.Name == MetricNames.Pretrain.ValidationLoss).Select(m => m.Value).ToList();
        Assert.True(result.Steps < 400, $"ran all {result.Steps} steps: {string.Join(", ", validation)}");
        Assert.True(validation[^1] >= validation[^2]);
        Assert.Equal(validation.Min(), result.ValidationLoss);
        Assert.Null(result.CheckpointDirectory);
        Assert.Empty(context.Registered);
    }

    [Fact]
    public async Task Pretrain_refuses_a_policy_that_is_not_gpt()
    {
        var context = new StageContext(_dir, new SumTask(), new NotGpt());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new PretrainStage(new PretrainOptions()).RunAsync(context, TestContext.Current.CancellationToken));
        Assert.Contains("gpt", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Sums of two digits: "a+b=?" answered "s".</summary>
    private sealed class SumTask : ITask
    {
        public IReadOnlyList<string> Splits => [TaskSplits.Train];
        public IReadOnlyList<Prompt> GetPrompts(string split) => [new Prompt("p", "1+1=?")];
        public IGoldEvaluator? Gold => null;
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() =>
            [.. Enumerable.Range(0, 100).Select(i => new PretrainingExample($"{i / 10}+{i % 10}=?", $"{(i / 10) + (i % 10)}"))];
    }

    private sealed class NotGpt : IPolicy
    {
        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
    }

    private sealed class StageContext(string directory, ITask task, IPolicy policy) : IStageContext, IMetricSink, IArtifactStore, IProgressReporter, IProgressTask
    {
        public List<(string Name, double Value, long Step)> Logged { get; } = [];
        public List<string> Registered { get; } = [];
        public double Advanced { get; private set; }

        public ITask Task => task;
        public IPolicy Policy { get; set; } = policy;
        public IArtifactBag Artifacts { get; } = new ArtifactBag();
        public IComponentFactory Components => throw new NotSupportedException();
        public string RunId => "test";
        public long Seed => 11;
        public ILogger Logger => NullLogger.Instance;
        public IMetricSink Metrics => this;
        public IArtifactStore Files => this;
        public IProgressReporter Progress => this;
        public CancellationToken Cancellation => CancellationToken.None;
        public string Device => "cpu";
        public string RunDirectory => directory;

        public void Log(string name, double value, long step) => Logged.Add((name, value, step));
        public string GetPath(string relativePath) => Path.Combine(directory, relativePath);
        public void Register(string relativePath, string kind, string? description = null) => Registered.Add(relativePath);
        public IProgressTask Start(string description, double total) => this;
        public void Advance(double amount = 1) => Advanced += amount;
        void IDisposable.Dispose()
        {
        }
    }
}
