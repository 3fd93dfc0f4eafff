using AlignFx.Abstractions.Runs;

namespace AlignFx.LanguageModels;

/// <summary>Metric names only this plugin logs (the shared <c>pretrain/*</c> ones are <see cref="MetricNames.Pretrain"/>).</summary>
public static class LanguageModelMetrics
{
    /// <summary>Optimiser steps <c>pretrain</c> took.</summary>
    public const string PretrainSteps = "pretrain/steps";
    /// <summary><c>sft</c>'s training loss per step.</summary>
    public const string SftLoss = "sft/loss";
    /// <summary><c>sft</c>'s mean loss of the first epoch.</summary>
    public const string SftFirstEpochLoss = "sft/first_epoch_loss";
    /// <summary><c>sft</c>'s mean loss of the last epoch.</summary>
    public const string SftLastEpochLoss = "sft/last_epoch_loss";
    /// <summary><c>sft</c>'s optimiser steps.</summary>
    public const string SftSteps = "sft/steps";
}

/// <summary>Artifact keys only this plugin's stages write (the shared ones are <see cref="ArtifactKeys"/>).</summary>
public static class LanguageModelArtifacts
{
    /// <summary><c>pretrain</c>'s results (steps, final losses, throughput).</summary>
    public static readonly ArtifactKey<EvaluationResults> PretrainResults = new("pretrain");
    /// <summary><c>pretrain</c>'s result record (visible inside this plugin only).</summary>
    public static readonly ArtifactKey<PretrainResult> Pretrain = new("");
    /// <summary><c>sft</c>'s results (steps, first and last epoch's mean loss).</summary>
    public static readonly ArtifactKey<EvaluationResults> SftResults = new("sft");
}
