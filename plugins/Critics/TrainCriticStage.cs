using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.Critics;

/// <summary>Where the train-critic stage takes the responses it learns to critique.</summary>
public enum CriticResponses
{
    /// <summary>Sampled from the pipeline's current policy (what the critic will see in the run: the pretrained policy's answers).</summary>
    Policy,
    /// <summary>The task's pretraining corpus (no sampling needed; a different distribution from a policy's answers).</summary>
    Corpus,
}

/// <summary>Options of <c>train-critic</c>.</summary>
public sealed class TrainCriticOptions : IValidatableObject
{
    /// <summary>The critic's network: a trainable policy component, created fresh (the LanguageModels plugin's <c>gpt</c>, small, by default).</summary>
    [ComponentKind(ComponentKinds.Policy)]
    public ComponentRef Model { get; set; } = new()
    {
        Name = CriticComponents.DefaultCriticPolicy,
        Options = JsonDocument.Parse("""{ "layers": 2, "dModel": 64, "heads": 4 }""").RootElement.Clone(),
    };

    /// <summary>Where the responses to critique come from.</summary>
    public CriticResponses Responses { get; set; } = CriticResponses.Policy;

    /// <summary>Training responses (sampled, or taken from the corpus in a seeded order, cycling when it has fewer).</summary>
    [Range(1, 1_000_000)]
    public int Examples { get; set; } = 4000;

    /// <summary>Held-out responses the critic is measured on (from <see cref="HeldOutSplit"/>'s prompts, or corpus examples not trained on).</summary>
    [Range(1, 1_000_000)]
    public int HeldOut { get; set; } = 500;

    /// <summary>The split whose prompts the policy answers for training.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>The split whose prompts the policy answers for the held-out measurement.</summary>
    [Required, MinLength(1)]
    public string HeldOutSplit { get; set; } = TaskSplits.Test;

    /// <summary>Sampling temperature of the pipeline's policy.</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per sampled response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Prompts per policy call when sampling (and critiques per call when measuring).</summary>
    [Range(1, 100_000)]
    public int BatchPrompts { get; set; } = 256;

    /// <summary>
    /// The share of each batch drawn from the false claims (the rest from the true ones), so that the rarer verdict is
    /// learned; null: batches as the claims come (false claims are usually a minority).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? WrongShare { get; set; } = 0.5;

    /// <summary>Optimiser steps.</summary>
    [Range(1, 1_000_000)]
    public int Steps { get; set; } = 1500;

    /// <summary>Examples per step.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>AdamW's peak learning rate.</summary>
    [Range(1e-7, 1.0)]
    public double LearningRate { get; set; } = 3e-3;

    /// <summary>Steps of linear warmup, then cosine decay to <see cref="FinalLearningRateFraction"/> of the peak.</summary>
    [Range(0, 1_000_000)]
    public int WarmupSteps { get; set; } = 50;

    /// <summary>The learning rate at the last step, as a fraction of the peak.</summary>
    [Range(0.0, 1.0)]
    public double FinalLearningRateFraction { get; set; } = 0.1;

    /// <summary>AdamW's decoupled weight decay.</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>The global gradient norm is clipped to this (0: no clipping).</summary>
    [Range(0.0, 1e6)]
    public double GradientClip { get; set; } = 1.0;

    /// <summary>
    /// The longest claim the critic reads, in characters; longer claims are left out of training and get no verdict
    /// (the critic's context must hold this, the verdict and two markers).
    /// </summary>
    [Range(8, 65536)]
    public int MaxInputLength { get; set; } = TrainedCriticOptions.DefaultMaxInputLength;

    /// <summary>The artifact key the fine-tuned critic policy is left under (the key the <c>trained</c> critic reads).</summary>
    [Required, MinLength(1)]
    public string Output { get; set; } = CriticKeys.CriticModel;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WarmupSteps >= Steps)
        {
            yield return new ValidationResult($"must be below steps ({Steps}), not {WarmupSteps}", [nameof(WarmupSteps)]);
        }
        if (Responses == CriticResponses.Policy && Split == HeldOutSplit)
        {
            yield return new ValidationResult($"must differ from split ('{Split}'): the critic is measured on prompts it did not learn from", [nameof(HeldOutSplit)]);
        }
    }
}

/// <summary>
/// <c>train-critic</c>: fine-tunes a fresh trainable policy (the <c>gpt</c> of the LanguageModels plugin, found by name)
/// into a critic of the task's responses, so that a pipeline has a learned critic whose accuracy is measured, not
/// assumed. The critic judges one claim at a time (<see cref="ClaimVerdicts"/>): each training example is a claim of a
/// response as the task states it (<c>7+6=13</c>; claims carry no truth) and the verdict the task's claim checker gives
/// it with no verification limit, <c>right</c> or <c>wrong</c>; the loss is the verdict's negative log-likelihood only.
/// The gold evaluator is never used: the verdicts come from the claim checker, which every critic may use, and nothing
/// of them reaches the responses the critic later reads.
/// </summary>
/// <remarks>
/// Responses come from the pipeline's policy (train split for training, the held-out split for measuring) or from the
/// pretraining corpus. Afterwards the critic critiques the held-out responses greedily as the <c>trained</c> critic does
/// (pointing at the earliest claim it judges wrong) and is measured against the claim checker (<see cref="CriticMetrics"/>:
/// accuracy, precision, recall, flag rate, beside a critic that always says "no error" and one that guesses at the same
/// flag rate; and the verdicts' accuracy per claim). Leaves the critic policy under <see cref="TrainCriticOptions.Output"/>,
/// <see cref="EvaluationResults"/> under <see cref="CriticKeys.TrainCriticResults"/>, and a report contribution (a section
/// with the measurements and sample critiques, and a disclosure fact). Draws: <c>train-critic/prompts/&lt;kind&gt;</c>,
/// <c>train-critic/generate/&lt;kind&gt;/&lt;batch&gt;</c>, <c>train-critic/order</c>.
/// </remarks>
/// <param name="options">The stage's options.</param>
public sealed class TrainCriticStage(TrainCriticOptions options) : IStage
{
    /// <summary>Sample critiques shown in the report.</summary>
    private const int SamplesShown = 12;

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IClaimChecker checker = context.Task.Claims ?? throw new InvalidOperationException(
            $"{CriticComponents.TrainCritic} learns from the task's checkable claims (ITask.Claims), and this task has none; use a task such as 'arithmetic'.");
        (IReadOnlyList<Response> train, IReadOnlyList<Response> heldOut) = await Responses(context, ct).ConfigureAwait(false);
        Response[] examples = [.. train.SelectMany(r => checker.Claims(r))
            .Where(c => c.Text.Length <= options.MaxInputLength)
            .Select(c => new Response(new Prompt("critic", c.Text), ClaimVerdicts.Target(checker.Check(c, double.PositiveInfinity))))];
        if (examples.Length == 0)
        {
            throw new InvalidOperationException($"None of the {train.Count} training responses states a claim the critic can read; sample more, or from a policy that answers.");
        }
        IPolicy created = context.Components.Create<IPolicy>(options.Model);
        if (created is not ITrainablePolicy critic)
        {
            (created as IDisposable)?.Dispose();
            throw new InvalidOperationException($"The critic's model '{options.Model.Name}' cannot be trained; name a trainable policy such as 'gpt'.");
        }
        int wrong = examples.Count(e => e.Text == ClaimVerdicts.Wrong);
        context.Metrics.Log(CriticMetrics.TrainExamples, examples.Length, 0);
        context.Metrics.Log(CriticMetrics.TrainWrongRate, wrong / (double)examples.Length, 0);
        Train(critic, examples, context, ct);

        var measurement = new CriticMeasurement();
        var samples = new List<string>();
        var measured = heldOut.Select(r => (Response: r, Claims: checker.Claims(r))).Where(x => x.Claims.Count > 0).ToList();
        IReadOnlyList<string?>[] replies = await ClaimVerdicts.AskAsync(critic, [.. measured.Select(x => x.Claims)], options.MaxInputLength,
            TrainedCriticOptions.DefaultMaxNewTokens, options.BatchPrompts, ct).ConfigureAwait(false);
        int claimsJudged = 0, claimsRight = 0, claimsTrue = 0;
        for (int i = 0; i < measured.Count; i++)
        {
            IReadOnlyList<Claim> claims = measured[i].Claims;
            bool?[] truth = [.. claims.Select(c => checker.Check(c, double.PositiveInfinity))];
            (var critique, int outside) = ClaimVerdicts.Critique(null, claims, replies[i]);
            measurement.Add(truth, critique.Flawed, critique.ClaimIndex, outside > 0);
            for (int c = 0; c < claims.Count; c++)
            {
                claimsJudged++;
                claimsTrue += truth[c] == false ? 0 : 1;
                claimsRight += (ClaimVerdicts.Parse(replies[i][c]) ?? true) == (truth[c] != false) ? 1 : 0;
            }
            if (samples.Count < SamplesShown)
            {
                int earliest = CritiqueGrammar.EarliestFalse(truth);
                samples.Add($"{measured[i].Response.Prompt.Text} -> {measured[i].Response.Text}\n  verdicts: {string.Join(", ", claims.Select((c, k) => $"{c.Text} {replies[i][k] ?? "(unread)"}"))}\n  critique: {critique.Text}\n  claim checker: {(earliest < 0 ? "no false claim" : claims[earliest].Text + " is the earliest false claim")}");
            }
        }
        var results = new Dictionary<string, double>(measurement.Results(), StringComparer.Ordinal)
        {
            [CriticMetrics.ClaimAccuracy] = claimsJudged == 0 ? double.NaN : claimsRight / (double)claimsJudged,
            [CriticMetrics.ClaimTrueRate] = claimsJudged == 0 ? double.NaN : claimsTrue / (double)claimsJudged,
        };
        foreach (var (name, value) in results)
        {
            context.Metrics.Log(name, value, options.Steps);
        }
        context.Artifacts.Set<IPolicy>(critic, options.Output);
        context.Artifacts.Set(new EvaluationResults(CriticKeys.TrainCriticResults, results), CriticKeys.TrainCriticResults);
        context.Files.Contribute(CriticComponents.TrainCritic + "-" + options.Output, Contribution(results, samples, examples.Length, train.Count));
        context.Logger.LogInformation(
            "train-critic: {Examples} claims, {Steps} steps; held-out accuracy {Accuracy:P1} (always 'no error' {NoError:P1}), precision {Precision:P1}, recall {Recall:P1}",
            examples.Length, options.Steps, results[CriticMetrics.Accuracy], results[CriticMetrics.NoErrorAccuracy], results[CriticMetrics.Precision], results[CriticMetrics.Recall]);
    }

    private void Train(ITrainablePolicy critic, Response[] rows, IStageContext context, CancellationToken ct)
    {
        Random random = context.CreateRandom("train-critic/order");
        var module = critic.Module;
        module.train();
        using var optimizer = optim.AdamW(module.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var scheduler = optim.lr_scheduler.WarmupCosine(optimizer, options.WarmupSteps, options.Steps, options.FinalLearningRateFraction);
        int size = Math.Min(options.BatchSize, rows.Length);
        Response[] wrong = [.. rows.Where(r => r.Text == ClaimVerdicts.Wrong)], right = [.. rows.Where(r => r.Text != ClaimVerdicts.Wrong)];
        bool balanced = options.WrongShare is not null && wrong.Length > 0 && right.Length > 0;
        int fromWrong = balanced ? Math.Clamp((int)Math.Round(options.WrongShare!.Value * size), 0, size) : 0;
        var all = new Cycle(rows, random);
        var wrongs = new Cycle(wrong, random);
        var rights = new Cycle(right, random);
        double interval = 0;
        int logEvery = Math.Max(1, options.Steps / 50);
        using (IProgressTask progress = context.Progress.Start("train critic", options.Steps))
        {
            for (int step = 1; step <= options.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                Response[] batch = balanced ? [.. wrongs.Take(fromWrong), .. rights.Take(size - fromWrong)] : all.Take(size);
                using (var scope = NewDisposeScope())
                {
                    TokenScores scores = critic.ScoreTokens(batch);
                    var loss = scores.LogProbs.mul(scores.Mask).sum().div(scores.Mask.sum().clamp(1e-8, double.MaxValue)).neg();
                    optimizer.zero_grad();
                    loss.backward();
                    if (options.GradientClip > 0)
                    {
                        nn.utils.clip_grad_norm_(module.parameters(), options.GradientClip);
                    }
                    optimizer.step();
                    scheduler.step();
                    interval += loss.item<float>();
                }
                if (step % logEvery == 0 || step == options.Steps)
                {
                    context.Metrics.Log(CriticMetrics.Loss, interval / (step % logEvery == 0 ? logEvery : step % logEvery), step);
                    interval = 0;
                }
                progress.Advance();
            }
        }
        module.eval();
    }

    private async Task<(IReadOnlyList<Response> Train, IReadOnlyList<Response> HeldOut)> Responses(IStageContext context, CancellationToken ct)
    {
        if (options.Responses == CriticResponses.Corpus)
        {
            IReadOnlyList<PretrainingExample> corpus = context.Task.GetPretrainingCorpus();
            if (corpus.Count < 2)
            {
                throw new InvalidOperationException("The task's pretraining corpus has fewer than two examples; sample the responses from the policy instead (responses: policy).");
            }
            int[] order = [.. Enumerable.Range(0, corpus.Count)];
            context.CreateRandom("train-critic/prompts").Shuffle(order);
            // The held-out examples first (never trained on), then the training ones, cycling through the rest.
            int heldOut = Math.Min(options.HeldOut, corpus.Count / 2);
            Response At(int k, string kind) => new(new Prompt($"corpus-{order[k]}", corpus[order[k]].Prompt), corpus[order[k]].Response)
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"critic-{kind}-{k}"),
            };
            return ([.. Enumerable.Range(0, options.Examples).Select(i => At(heldOut + (i % (corpus.Count - heldOut)), "train"))],
                [.. Enumerable.Range(0, heldOut).Select(k => At(k, "held-out"))]);
        }
        return (await Sample(context, options.Split, options.Examples, "train", ct).ConfigureAwait(false),
            await Sample(context, options.HeldOutSplit, options.HeldOut, "held-out", ct).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<Response>> Sample(IStageContext context, string split, int count, string kind, CancellationToken ct)
    {
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{split}' has no prompts.");
        }
        int[] order = [.. Enumerable.Range(0, prompts.Count)];
        context.CreateRandom($"train-critic/prompts/{kind}").Shuffle(order);
        var responses = new List<Response>(count);
        for (int batch = 0; responses.Count < count; batch++)
        {
            int size = Math.Min(options.BatchPrompts, count - responses.Count);
            List<Prompt> asked = [.. Enumerable.Range(responses.Count, size).Select(i => prompts[order[i % order.Length]])];
            var generation = new GenerationOptions
            {
                MaxNewTokens = options.MaxNewTokens,
                Temperature = options.Temperature,
                Seed = context.DeriveSeed($"train-critic/generate/{kind}/{batch}"),
            };
            IReadOnlyList<Response> answers = await context.Policy.GenerateAsync(asked, generation, ct).ConfigureAwait(false);
            int start = responses.Count;
            responses.AddRange(answers.Select((r, i) => r with { Id = string.Create(CultureInfo.InvariantCulture, $"critic-{kind}-{start + i}") }));
        }
        return responses;
    }

    private ReportContribution Contribution(IReadOnlyDictionary<string, double> results, List<string> samples, int examples, int responses)
    {
        static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);
        string model = options.Model.Name + (options.Model.Options is { } o ? " " + o.GetRawText() : "");
        var table = new ReportTableData("Held-out critiques against the claim checker", ["critic", "accuracy", "balanced accuracy", "precision", "recall", "flag rate"],
        [
            ["trained", F(results[CriticMetrics.Accuracy]), F(results[CriticMetrics.BalancedAccuracy]), F(results[CriticMetrics.Precision]), F(results[CriticMetrics.Recall]), F(results[CriticMetrics.FlagRate])],
            ["always 'no error'", F(results[CriticMetrics.NoErrorAccuracy]), "0.500", "n/a", "0.000", "0.000"],
            ["guessing at the same rate", F(results[CriticMetrics.GuessAccuracy]), "0.500", F(results[CriticMetrics.GuessPrecision]), F(results[CriticMetrics.GuessRecall]), F(results[CriticMetrics.FlagRate])],
        ]);
        string text = string.Create(CultureInfo.InvariantCulture,
            $"A {model} policy fine-tuned for {options.Steps} steps on the {examples} claims of {responses} {options.Responses.ToString().ToLowerInvariant()} responses, each labelled right or wrong by the task's claim checker; a critique points at the earliest claim the critic judges wrong. Measured greedily on {results[CriticMetrics.HeldOut]:0} held-out responses, {F(results[CriticMetrics.FlawedRate])} of them with a false claim; claim verdicts right {F(results[CriticMetrics.ClaimAccuracy])} of the time (all 'right': {F(results[CriticMetrics.ClaimTrueRate])}).");
        var fact = new DisclosureFact(DisclosureGroups.HumanFeedback, "Assistance (learned critic)", string.Create(CultureInfo.InvariantCulture,
            $"A learned critic ({model}, fine-tuned on {examples} claim verdicts given by the task's claim checker) was trained in this run; on {results[CriticMetrics.HeldOut]:0} held-out responses its accuracy is {F(results[CriticMetrics.Accuracy])} (always 'no error': {F(results[CriticMetrics.NoErrorAccuracy])}), balanced accuracy {F(results[CriticMetrics.BalancedAccuracy])} (0.5 for a critic that ignores the response), precision {F(results[CriticMetrics.Precision])}, recall {F(results[CriticMetrics.Recall])}."));
        return new ReportContribution([fact], [new ReportSectionData("Trained critic", text) { Tables = [table], Texts = samples }]);
    }

    /// <summary>Draws examples in shuffled passes (reshuffled each pass, from the stage's stream).</summary>
    private sealed class Cycle(Response[] rows, Random random)
    {
        private int _cursor = rows.Length;

        public Response[] Take(int count)
        {
            var taken = new Response[count];
            for (int i = 0; i < count; i++)
            {
                if (_cursor >= rows.Length)
                {
                    random.Shuffle(rows);
                    _cursor = 0;
                }
                taken[i] = rows[_cursor++];
            }
            return taken;
        }
    }
}
