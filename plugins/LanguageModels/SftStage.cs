using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels;

/// <summary>Options of the <c>sft</c> stage.</summary>
public sealed class SftOptions
{
    /// <summary>The artifact key of the examples, an <c>IReadOnlyList&lt;Response&gt;</c> an earlier stage left (critique-revise leaves its revisions under <c>sft</c>).</summary>
    [Required, MinLength(1)]
    public string Dataset { get; set; } = ArtifactKeys.SftDataset.Name;

    /// <summary>Passes over the examples.</summary>
    [Range(1, 10_000)]
    public int Epochs { get; set; } = 2;

    /// <summary>Examples per step.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 32;

    /// <summary>AdamW's learning rate (constant).</summary>
    [Range(1e-7, 1.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>AdamW's decoupled weight decay.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; }

    /// <summary>The global gradient norm is clipped to this (0: no clipping).</summary>
    [Range(0.0, 1e6)]
    public double GradientClip { get; set; } = 1.0;
}

/// <summary>
/// <c>sft</c>: supervised fine-tuning of the pipeline's trainable policy on responses an earlier stage left (the final
/// revisions of <c>critique-revise</c>, or any <c>IReadOnlyList&lt;Response&gt;</c>), with a response-only loss: the mean
/// negative log-probability of each response's tokens (and its end token) given its prompt, through
/// <see cref="ITrainablePolicy.ScoreTokens"/>, so any trainable policy can be fine-tuned. Shuffles the examples each
/// epoch from the stage's stream <c>sft/order</c>; logs <c>sft/loss</c> per step and leaves <see cref="EvaluationResults"/>
/// (key <see cref="LanguageModelArtifacts.SftResults"/>: steps, first and last epoch's mean loss), and a snapshot of the policy before
/// fine-tuning under <see cref="ArtifactKeys.BasePolicy"/> (what <c>evaluate</c> compares against).
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class SftStage(SftOptions options) : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not ITrainablePolicy policy)
        {
            throw new InvalidOperationException($"sft fine-tunes a trainable policy, not {context.Policy.GetType().Name}; use the gpt policy.");
        }
        IReadOnlyList<Response> examples = context.Artifacts.Get<IReadOnlyList<Response>>(options.Dataset);
        if (examples.Count == 0)
        {
            throw new InvalidOperationException($"The examples under '{options.Dataset}' are empty; the stage that leaves them produced none.");
        }
        // Score the text as written (a revision's token ids, if any, belong to the response before it was revised).
        Response[] rows = [.. examples.Select(e => e with { TokenIds = null, TokenLogProbs = null })];
        context.Artifacts.Set(ArtifactKeys.BasePolicy, policy.Snapshot());
        Random random = context.CreateRandom("sft/order");
        var module = policy.Module;
        module.train();
        using var optimizer = optim.AdamW(module.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        int step = 0;
        double first = double.NaN, last = double.NaN;
        using (IProgressTask progress = context.Progress.Start("sft", options.Epochs * ((rows.Length + options.BatchSize - 1) / options.BatchSize)))
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                random.Shuffle(rows);
                double sum = 0;
                int batches = 0;
                for (int start = 0; start < rows.Length; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    var batch = rows[start..Math.Min(rows.Length, start + options.BatchSize)];
                    using var scope = NewDisposeScope();
                    TokenScores scores = policy.ScoreTokens(batch);
                    var loss = scores.LogProbs.mul(scores.Mask).sum().div(scores.Mask.sum().clamp(1e-8, double.MaxValue)).neg();
                    optimizer.zero_grad();
                    loss.backward();
                    if (options.GradientClip > 0)
                    {
                        nn.utils.clip_grad_norm_(module.parameters(), options.GradientClip);
                    }
                    optimizer.step();
                    double value = loss.item<float>();
                    context.Metrics.Log(LanguageModelMetrics.SftLoss, value, ++step);
                    sum += value;
                    batches++;
                    progress.Advance();
                }
                last = sum / batches;
                if (epoch == 0)
                {
                    first = last;
                }
            }
        }
        module.eval();
        context.Artifacts.Set(LanguageModelArtifacts.SftResults, new EvaluationResults(LanguageModelArtifacts.SftResults.Name, new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [LanguageModelMetrics.SftSteps] = step,
            [LanguageModelMetrics.SftFirstEpochLoss] = first,
            [LanguageModelMetrics.SftLastEpochLoss] = last,
        }));
        context.Logger.LogInformation("sft: {Examples} examples, {Steps} steps, loss {First:F4} -> {Last:F4}", rows.Length, step, first, last);
        return Task.CompletedTask;
    }
}
