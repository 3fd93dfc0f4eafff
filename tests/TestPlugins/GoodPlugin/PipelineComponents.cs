using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.TestPlugins.Good;

/// <summary>Options of <see cref="CountingTask"/>.</summary>
public sealed class CountingOptions
{
    /// <summary>Prompts per split.</summary>
    [Range(1, 1000)]
    public int Prompts { get; set; } = 4;
}

/// <summary>A task whose prompts ask to count; the gold score is 1 when the response is the next number.</summary>
public sealed class CountingTask(CountingOptions options) : ITask, IGoldEvaluator
{
    /// <inheritdoc />
    public IReadOnlyList<string> Splits => [TaskSplits.Train, TaskSplits.Test];

    /// <inheritdoc />
    public IGoldEvaluator? Gold => this;

    /// <inheritdoc />
    public IReadOnlyList<Prompt> GetPrompts(string split) =>
        [.. Enumerable.Range(0, options.Prompts).Select(i => new Prompt($"{split}-{i}", $"{i}"))];

    /// <inheritdoc />
    public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() =>
        [.. Enumerable.Range(0, options.Prompts).Select(i => new PretrainingExample($"{i}", $"{i + 1}"))];

    /// <inheritdoc />
    public GoldEvaluation Evaluate(Response response) =>
        new(response.Text == (int.Parse(response.Prompt.Text, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1 : 0,
            new Dictionary<string, double> { ["length"] = response.Text.Length });
}

/// <summary>A policy that answers every prompt with the prompt itself; it takes the pipeline's task as a real policy
/// takes it (to build its tokenizer from the task's alphabet), which checks that the runner provides it.</summary>
public sealed class ParrotPolicy(ITask task) : IPolicy
{
    /// <summary>The pipeline's task.</summary>
    public ITask PipelineTask { get; } = task;

    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p => new Response(p, p.Text))]);

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
}

/// <summary>Options of <see cref="RandomWalkStage"/>.</summary>
public sealed class RandomWalkOptions
{
    /// <summary>Steps to walk.</summary>
    [Range(1, 1_000_000), Budget(Budgets.OptimizationSteps)]
    public int Steps { get; set; } = 50;

    /// <summary>Milliseconds to wait after each step (to give tests time to interrupt).</summary>
    [Range(0, 10_000)]
    public int DelayMs { get; set; }

    /// <summary>Throw at this step (tests of failing plugins); -1: never.</summary>
    public int FailAtStep { get; set; } = -1;
}

/// <summary>
/// Walks randomly from the stage's random stream, logging the position and the gold score of the policy every step,
/// and writes the path as an artifact: a deterministic, cancellable stage for the runner's tests.
/// </summary>
public sealed class RandomWalkStage(RandomWalkOptions options) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        Random random = context.CreateRandom("walk");
        var prompts = context.Task.GetPrompts(TaskSplits.Test);
        double position = 0;
        var path = new List<string>();
        using (IProgressTask progress = context.Progress.Start("random walk", options.Steps))
        {
            for (int step = 0; step < options.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                if (step == options.FailAtStep)
                {
                    throw new InvalidOperationException($"the walk fell over at step {step}");
                }
                position += random.NextDouble() - 0.5;
                var responses = await context.Policy.GenerateAsync(prompts, new GenerationOptions(), ct);
                double gold = responses.Average(r => context.Task.Gold!.Evaluate(r).Score);
                context.Metrics.Log("walk/position", position, step);
                context.Metrics.Log(MetricNames.Gold.Accuracy, gold, step);
                path.Add(position.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                progress.Advance();
                if (options.DelayMs > 0)
                {
                    await Task.Delay(options.DelayMs, ct);
                }
            }
        }
        string file = context.Files.GetPath("walk/path.txt");
        await File.WriteAllLinesAsync(file, path, ct);
        context.Files.Register("walk/path.txt", "text", "walk path");
        context.Artifacts.Set(new EvaluationResults("walk", new Dictionary<string, double> { ["walk/final"] = position }));
    }
}
