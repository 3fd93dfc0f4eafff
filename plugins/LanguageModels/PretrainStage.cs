using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using AlignFx.Tensors.Serialization;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels;

/// <summary>Which tokens the pretraining loss covers.</summary>
public enum PretrainLoss
{
    /// <summary>The response's tokens and the end token (the prompt is context only).</summary>
    Response,
    /// <summary>Every token after BOS (prompt, separator, response, end).</summary>
    All,
}

/// <summary>How the learning rate decays after warmup.</summary>
public enum LearningRateDecay
{
    /// <summary>Half a cosine down to the final fraction.</summary>
    Cosine,
    /// <summary>A straight line down to the final fraction.</summary>
    Linear,
}

/// <summary>Options of the <c>pretrain</c> stage.</summary>
public sealed class PretrainOptions : IValidatableObject
{
    /// <summary>Optimiser steps (the stage may stop earlier on a stalled validation loss).</summary>
    [Range(1, 10_000_000)]
    public int Steps { get; set; } = 600;

    /// <summary>Sequences per step.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate.</summary>
    [Range(1e-7, 1.0)]
    public double LearningRate { get; set; } = 3e-3;

    /// <summary>Linear warmup steps.</summary>
    [Range(0, 1_000_000)]
    public int WarmupSteps { get; set; } = 30;

    /// <summary>The decay after warmup.</summary>
    public LearningRateDecay Decay { get; set; } = LearningRateDecay.Cosine;

    /// <summary>The learning rate at the last step, as a fraction of the peak.</summary>
    [Range(0.0, 1.0)]
    public double FinalLearningRateFraction { get; set; } = 0.1;

    /// <summary>AdamW's decoupled weight decay.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>The global gradient norm is clipped to this (0: no clipping).</summary>
    [Range(0.0, 1e6)]
    public double GradientClip { get; set; } = 1.0;

    /// <summary>Which tokens the loss covers.</summary>
    public PretrainLoss LossOn { get; set; } = PretrainLoss.Response;

    /// <summary>The share of the corpus held out for the validation loss.</summary>
    [Range(0.0, 0.5)]
    public double ValidationFraction { get; set; } = 0.05;

    /// <summary>Steps between validation losses (and metric points).</summary>
    [Range(1, 1_000_000)]
    public int EvaluateEvery { get; set; } = 50;

    /// <summary>Stop after this many validations without a better loss and keep the best weights (0: never stop early).</summary>
    [Range(0, 1000)]
    public int Patience { get; set; } = 4;

    /// <summary>Write the trained policy's checkpoint into the run's artifacts (<c>pretrain/checkpoint/</c>).</summary>
    public bool SaveCheckpoint { get; set; } = true;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The learning-rate schedule warms up within the run: warmup longer than the run has no decay to reach.
        if (WarmupSteps > Steps)
        {
            yield return new ValidationResult($"must be at most steps ({Steps}), not {WarmupSteps}; lower warmupSteps or raise steps", [nameof(WarmupSteps)]);
        }
    }
}

/// <summary>What a pretraining run reached.</summary>
/// <param name="Steps">Optimiser steps taken.</param>
/// <param name="TrainLoss">Mean training loss over the last evaluation interval.</param>
/// <param name="ValidationLoss">The best validation loss (NaN without a validation set).</param>
/// <param name="TokensPerSecond">Training throughput (input tokens, padding excluded).</param>
/// <param name="CheckpointDirectory">Where the checkpoint went, or null.</param>
public sealed record PretrainResult(int Steps, double TrainLoss, double ValidationLoss, double TokensPerSecond, string? CheckpointDirectory);

/// <summary>
/// <c>pretrain</c>: next-token training of the pipeline's <c>gpt</c> policy on the task's pretraining corpus
/// (<c>BOS prompt SEP response EOS</c>), with AdamW, warmup then cosine or linear decay, gradient clipping, a held-out
/// validation loss, early stopping (restoring the best weights), progress and the metrics <c>pretrain/loss</c>,
/// <c>pretrain/val_loss</c>, <c>pretrain/tokens_per_s</c>. Leaves the trained policy as the pipeline's policy, a
/// <see cref="PretrainResult"/> and <see cref="EvaluationResults"/> (key <see cref="LanguageModelArtifacts.PretrainResults"/>) in the artifacts,
/// and a checkpoint under <c>pretrain/checkpoint/</c> (registered with kind <c>checkpoint</c>).
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class PretrainStage(PretrainOptions options) : ICacheableStage
{
    private const long Ignore = -100;

    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not GptPolicy policy)
        {
            throw new InvalidOperationException($"pretrain trains the gpt policy, not {context.Policy.GetType().Name}.");
        }
        var corpus = context.Task.GetPretrainingCorpus();
        if (corpus.Count == 0)
        {
            throw new InvalidOperationException("The task has no pretraining corpus.");
        }
        var random = context.CreateRandom("pretrain/data");
        var examples = corpus.Select(e => Encode(policy, e)).ToArray();
        random.Shuffle(examples);
        int validationCount = corpus.Count > 1 ? (int)Math.Round(options.ValidationFraction * corpus.Count) : 0;
        var validation = examples[..validationCount];
        var train = examples[validationCount..];

        var result = Train(policy, train, validation, context, random, ct);
        Publish(context, policy, result);
        context.Logger.LogInformation("pretrain: {Steps} steps, loss {Loss:F4}, val loss {Val:F4}, {Tps:F0} tokens/s",
            result.Steps, result.TrainLoss, result.ValidationLoss, result.TokensPerSecond);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>The weights and the result; not with dropout, whose random stream training leaves advanced.</remarks>
    public bool TrySaveState(IStageContext context, string folder)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not GptPolicy policy || policy.Model.Config.Dropout > 0
            || context.Artifacts.TryGet(LanguageModelArtifacts.Pretrain) is not { } result)
        {
            return false;
        }
        StateDictCheckpoint.Save(policy.Model, Path.Combine(folder, CachedWeightsFile));
        File.WriteAllText(Path.Combine(folder, CachedResultFile), JsonSerializer.Serialize(result with { CheckpointDirectory = null }, CacheJson));
        return true;
    }

    /// <inheritdoc />
    public void RestoreState(IStageContext context, string folder)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not GptPolicy policy)
        {
            throw new InvalidOperationException($"pretrain trains the gpt policy, not {context.Policy.GetType().Name}.");
        }
        var result = JsonSerializer.Deserialize<PretrainResult>(File.ReadAllText(Path.Combine(folder, CachedResultFile)), CacheJson)
            ?? throw new InvalidDataException($"The cached pretrain result in {folder} is empty.");
        StateDictCheckpoint.Load(policy.Model, Path.Combine(folder, CachedWeightsFile));
        policy.Model.eval();
        // The host copies the checkpoint files into the new run; the result points at them as a run of its own would.
        Publish(context, policy, result with { CheckpointDirectory = options.SaveCheckpoint ? context.Files.GetPath(CheckpointFolder) : null });
    }

    private const string CheckpointFolder = "pretrain/checkpoint";
    private const string CachedWeightsFile = "weights.safetensors";
    private const string CachedResultFile = "result.json";
    private static readonly JsonSerializerOptions CacheJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>What the stage leaves in the pipeline, run or restored from the cache.</summary>
    private static void Publish(IStageContext context, GptPolicy policy, PretrainResult result)
    {
        context.Artifacts.Set(LanguageModelArtifacts.Pretrain, result);
        // Shared contract types cross plugin boundaries; PretrainResult is only visible inside this plugin's load context.
        context.Artifacts.Set(LanguageModelArtifacts.PretrainResults, new EvaluationResults(LanguageModelArtifacts.PretrainResults.Name, new Dictionary<string, double>
        {
            [LanguageModelMetrics.PretrainSteps] = result.Steps,
            [MetricNames.Pretrain.Loss] = result.TrainLoss,
            [MetricNames.Pretrain.ValidationLoss] = result.ValidationLoss,
            [MetricNames.Pretrain.TokensPerSecond] = result.TokensPerSecond,
        }));
        context.Policy = policy;
    }

    private PretrainResult Train(GptPolicy policy, (int[] Tokens, int LossFrom)[] train, (int[] Tokens, int LossFrom)[] validation,
        IStageContext context, Random random, CancellationToken ct)
    {
        var model = policy.Model;
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var scheduler = options.Decay == LearningRateDecay.Cosine
            ? optim.lr_scheduler.WarmupCosine(optimizer, options.WarmupSteps, options.Steps, options.FinalLearningRateFraction)
            : optim.lr_scheduler.WarmupLinear(optimizer, options.WarmupSteps, options.Steps, options.FinalLearningRateFraction);
        double best = double.PositiveInfinity, intervalLoss = 0, lastTrainLoss = double.NaN;
        int intervalSteps = 0, stale = 0, step = 0, cursor = train.Length;
        long tokens = 0;
        Dictionary<string, Tensor>? bestWeights = null;
        var clock = Stopwatch.StartNew();
        using (IProgressTask progress = context.Progress.Start("pretrain", options.Steps))
        {
            while (step < options.Steps)
            {
                ct.ThrowIfCancellationRequested();
                if (cursor + options.BatchSize > train.Length)
                {
                    random.Shuffle(train);
                    cursor = 0;
                }
                var rows = train.AsSpan(cursor, Math.Min(options.BatchSize, train.Length)).ToArray();
                cursor += rows.Length;
                using (var scope = NewDisposeScope())
                {
                    using var loss = Loss(model, rows, out long fed);
                    optimizer.zero_grad();
                    loss.backward();
                    if (options.GradientClip > 0)
                    {
                        nn.utils.clip_grad_norm_(model.parameters(), options.GradientClip);
                    }
                    optimizer.step();
                    scheduler.step();
                    intervalLoss += loss.item<float>();
                    tokens += fed;
                }
                step++;
                intervalSteps++;
                progress.Advance();
                if (step % options.EvaluateEvery == 0 || step == options.Steps)
                {
                    lastTrainLoss = intervalLoss / intervalSteps;
                    context.Metrics.Log(MetricNames.Pretrain.Loss, lastTrainLoss, step);
                    context.Metrics.Log(MetricNames.Pretrain.TokensPerSecond, tokens / clock.Elapsed.TotalSeconds, step);
                    intervalLoss = 0;
                    intervalSteps = 0;
                    if (validation.Length > 0)
                    {
                        double val = ValidationLoss(model, validation);
                        context.Metrics.Log(MetricNames.Pretrain.ValidationLoss, val, step);
                        if (val < best)
                        {
                            best = val;
                            stale = 0;
                            DisposeAll(bestWeights);
                            bestWeights = Clone(model);
                        }
                        else if (options.Patience > 0 && ++stale >= options.Patience)
                        {
                            context.Logger.LogInformation("pretrain: validation loss stalled for {Patience} evaluations; stopping at step {Step}.", options.Patience, step);
                            break;
                        }
                    }
                }
            }
        }
        double tokensPerSecond = tokens / clock.Elapsed.TotalSeconds;
        if (bestWeights is not null)
        {
            model.load_state_dict(bestWeights);
            DisposeAll(bestWeights);
        }
        model.eval();
        string? directory = null;
        if (options.SaveCheckpoint)
        {
            directory = context.Files.GetPath(CheckpointFolder);
            foreach (string path in policy.Save(directory))
            {
                context.Files.Register(Path.GetRelativePath(context.Files.RunDirectory, path), "checkpoint", "pretrained gpt policy");
            }
        }
        return new PretrainResult(step, lastTrainLoss, validation.Length > 0 ? best : double.NaN, tokensPerSecond, directory);
    }

    /// <summary><c>BOS prompt SEP response EOS</c>, and the first position whose next token counts in the loss.</summary>
    private (int[] Tokens, int LossFrom) Encode(GptPolicy policy, PretrainingExample example)
    {
        int[] prefix = policy.Tokenizer.EncodePrompt(example.Prompt);
        int[] tokens = [.. prefix, .. policy.Tokenizer.Encode(example.Response), GptTokenizer.Eos];
        if (tokens.Length > policy.Model.Config.Context + 1)
        {
            throw new InvalidOperationException($"A pretraining example of {tokens.Length} tokens exceeds the context of {policy.Model.Config.Context}.");
        }
        return (tokens, options.LossOn == PretrainLoss.Response ? prefix.Length - 1 : 0);
    }

    /// <summary>Mean cross-entropy of the rows' counted next tokens (right-padded; padding is ignored).</summary>
    private static Tensor Loss(GptModel model, (int[] Tokens, int LossFrom)[] rows, out long fed)
    {
        int length = rows.Max(r => r.Tokens.Length) - 1;
        var input = new long[rows.Length * length];
        var targets = new long[rows.Length * length];
        Array.Fill(targets, Ignore);
        fed = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var (seq, from) = rows[r];
            for (int i = 0; i < seq.Length - 1; i++)
            {
                input[(r * length) + i] = seq[i];
                if (i >= from)
                {
                    targets[(r * length) + i] = seq[i + 1];
                }
            }
            fed += seq.Length - 1;
        }
        using var inputT = tensor(input, [rows.Length, length]);
        using var targetsT = tensor(targets, [rows.Length * length]);
        using var logits = model.forward(inputT);
        using var flat = logits.reshape(-1, logits.size(-1));
        return nn.functional.cross_entropy(flat, targetsT, ignore_index: Ignore);
    }

    private double ValidationLoss(GptModel model, (int[] Tokens, int LossFrom)[] validation)
    {
        model.eval();
        double sum = 0;
        long count = 0;
        using (no_grad())
        {
            for (int start = 0; start < validation.Length; start += 256)
            {
                var rows = validation.AsSpan(start, Math.Min(256, validation.Length - start)).ToArray();
                long targets = rows.Sum(r => (long)(r.Tokens.Length - 1 - r.LossFrom));
                using var scope = NewDisposeScope();
                using var loss = Loss(model, rows, out _);
                sum += loss.item<float>() * targets;
                count += targets;
            }
        }
        model.train();
        return sum / count;
    }

    private static void DisposeAll(Dictionary<string, Tensor>? weights)
    {
        foreach (var t in weights?.Values.AsEnumerable() ?? [])
        {
            t.Dispose();
        }
    }

    private static Dictionary<string, Tensor> Clone(GptModel model)
    {
        using var noGrad = no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());
    }
}
