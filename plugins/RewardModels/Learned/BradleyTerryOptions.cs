using System.ComponentModel.DataAnnotations;

namespace AlignFx.RewardModels;

/// <summary>How a reward model's scores are normalised after training.</summary>
public enum RewardNormalization
{
    /// <summary>Mean 0 and unit variance over the distinct responses of the training labels (train and validation parts).</summary>
    TrainingResponses,
    /// <summary>Raw head outputs.</summary>
    None,
}

/// <summary>Options of <c>bradley-terry</c>: a sequence encoder initialised from the policy plus a scalar head, trained on pairwise labels.</summary>
public sealed class BradleyTerryOptions
{
    /// <summary>ε of the random-answer mixture: the modelled preference is (1 − ε)·σ(r₁ − r₂) + ε/2 (Christiano et al. 2017 use 0.1).</summary>
    [Range(0.0, 0.99)]
    public double RandomAnswerRate { get; set; } = 0.1;

    /// <summary>Passes over the training labels.</summary>
    [Range(1, 10_000)]
    public int Epochs { get; set; } = 20;

    /// <summary>Pairs per optimisation step.</summary>
    [Range(1, 65_536)]
    public int BatchSize { get; set; } = 32;

    /// <summary>AdamW learning rate (the default suits the frozen-encoder probe; fine-tuning the encoder wants about 1e-4).</summary>
    [Range(1e-8, 10.0)]
    public double LearningRate { get; set; } = 1e-2;

    /// <summary>AdamW (decoupled) weight decay.</summary>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Largest gradient norm per step (0: no clipping).</summary>
    [Range(0.0, 1e6)]
    public double GradientClip { get; set; } = 1.0;

    /// <summary>Fraction of the labels held out for validation accuracy and early stopping (0: none).</summary>
    [Range(0.0, 0.9)]
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Stop after this many epochs without a lower validation loss, keeping the best weights (0: never stop early).</summary>
    [Range(0, 10_000)]
    public int Patience { get; set; } = 3;

    /// <summary>
    /// Fine-tune the encoder with the head (true, as InstructGPT does), or keep it frozen and train the head alone on
    /// cached encodings (false: a linear probe, the default: about 20× faster to train). Fine-tuned models differ from
    /// one another by their seeds alone, which is what an ensemble against overoptimisation needs; give the encoder its
    /// own, smaller <see cref="EncoderLearningRate"/>.
    /// </summary>
    public bool TrainEncoder { get; set; }

    /// <summary>
    /// Give the head, next to the encoding, four features of a frozen copy of the policy (when it can score tokens):
    /// its total and mean log-probability of the response, and its total and largest excess surprisal
    /// (−log π − H(π) per token: large where the policy was sure and the response says otherwise, as at a wrong digit;
    /// near 0 at a choice of tone). The trunk's last-token state hardly encodes whether an answer is right, while the
    /// policy's surprise at it does; without this the model learns style, not correctness.
    /// Off by default: the standard reward model is the encoder and a scalar head, and a reward that reads the base
    /// policy's likelihood also pays the optimised policy for staying close to it (a second KL-like term).
    /// </summary>
    public bool LikelihoodFeatures { get; set; }

    /// <summary>
    /// The encoder's learning rate when <see cref="TrainEncoder"/> is set (unset: <see cref="LearningRate"/>). A fresh head
    /// needs a far larger step than a pretrained trunk can take without forgetting; at one rate for both, the head hardly
    /// moved before the trunk had fitted the label noise.
    /// </summary>
    [Range(0.0, 10.0)]
    public double? EncoderLearningRate { get; set; }

    /// <summary>How scores are normalised after training.</summary>
    public RewardNormalization Normalization { get; set; } = RewardNormalization.TrainingResponses;

    /// <summary>Responses per forward pass when scoring.</summary>
    [Range(1, 65_536)]
    public int ScoreBatchSize { get; set; } = 128;

    /// <summary>The name of the random streams (head initialisation, split, batch order) under the run's seed.</summary>
    [Required, MinLength(1)]
    public string SeedStream { get; set; } = "reward-model";
}
