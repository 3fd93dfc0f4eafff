using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>A catalog of test components covering every options feature the binder supports; no plugin is loaded.</summary>
internal sealed class FakeCatalog : IComponentCatalog
{
    public static FakeCatalog Instance { get; } = new();

    public IReadOnlyList<ComponentDescriptor> Components { get; } =
    [
        new(ComponentKinds.Task, "arithmetic", typeof(object), typeof(ArithmeticOptions), "Multi-digit addition and subtraction with exact gold answers."),
        new(ComponentKinds.Task, "sorting", typeof(object), typeof(NoOptions), "Sort a short list of numbers."),
        new(ComponentKinds.Policy, "gpt", typeof(object), typeof(GptOptions), "A small decoder-only transformer."),
        new(ComponentKinds.Policy, "lookup-table", typeof(object), typeof(NoOptions), "A tabular policy."),
        new(ComponentKinds.Stage, "pretrain", typeof(object), typeof(PretrainOptions), "Supervised pretraining on the task's data."),
        new(ComponentKinds.Stage, "collect-feedback", typeof(object), typeof(CollectFeedbackOptions), "Collects preference labels."),
        new(ComponentKinds.Stage, "train-reward-model", typeof(object), typeof(TrainRewardModelOptions), "Fits a reward model to the labels."),
        new(ComponentKinds.Stage, "optimise", typeof(object), typeof(OptimiseOptions), "Optimises the policy against the reward model."),
        new(ComponentKinds.Stage, "evaluate", typeof(object), typeof(EvaluateOptions), "Measures gold and proxy metrics."),
        new(ComponentKinds.FeedbackSource, "simulated-human", typeof(object), typeof(SimulatedHumanOptions), "A noisy simulated annotator."),
        new(ComponentKinds.FeedbackSource, "debate-judge", typeof(object), typeof(DebateJudgeOptions), "A judge that labels after watching a debate."),
        new(ComponentKinds.RewardModel, "learned", typeof(object), typeof(LearnedRewardOptions), "A learned Bradley-Terry reward model."),
        new(ComponentKinds.RewardModel, "ensemble", typeof(object), typeof(EnsembleOptions), "The mean of several reward models."),
        new(ComponentKinds.Optimizer, "ppo", typeof(object), typeof(PpoOptions), "Proximal policy optimisation."),
        new(ComponentKinds.Optimizer, "best-of-n", typeof(object), typeof(BestOfNOptions), "Best-of-n sampling distilled into the policy."),
        new(ComponentKinds.Oversight, "debate", typeof(object), typeof(DebateOptions), "Two debaters argue; a judge decides."),
    ];

    public ComponentDescriptor? Find(string kind, string name) =>
        Components.FirstOrDefault(c => c.Kind == kind && c.Name == name);
}

public sealed class NoOptions;

public enum Operation
{
    Add,
    Subtract,
    Multiply,
}

public enum Activation
{
    Gelu,
    Relu,
}

public sealed class ArithmeticOptions
{
    [Description("Digits per operand.")]
    [Range(1, 6)]
    public int Digits { get; set; } = 2;

    [Range(1, int.MaxValue)]
    public int TrainSize { get; set; } = 1000;

    [MinLength(1)]
    public List<Operation> Operations { get; set; } = [Operation.Add, Operation.Subtract];
}

public sealed class GptOptions
{
    [Range(1, 12)]
    public int Layers { get; set; } = 2;

    [Range(8, 1024)]
    public int Dim { get; set; } = 64;

    [Description("Dropout probability.")]
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double Dropout { get; set; } = 0.1;

    public Activation Activation { get; set; } = Activation.Gelu;

    [RegularExpression("^[a-z0-9-]+$")]
    public string? Checkpoint { get; set; }
}

public sealed class PretrainOptions
{
    [Range(1, int.MaxValue)]
    public int Steps { get; set; } = 200;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double LearningRate { get; set; } = 3e-3;
}

public sealed class CollectFeedbackOptions
{
    [Budget(Budgets.Labels)]
    [Range(1, int.MaxValue)]
    public int Labels { get; set; } = 500;

    [ComponentKind(ComponentKinds.FeedbackSource)]
    public ComponentRef Source { get; set; } = new() { Name = "simulated-human" };
}

public sealed class TrainRewardModelOptions
{
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Model { get; set; } = new() { Name = "learned" };

    [Range(1, 100)]
    public int Epochs { get; set; } = 2;
}

public sealed class Schedule
{
    [Range(0, int.MaxValue)]
    public int WarmupSteps { get; set; } = 10;

    [AllowedValues("constant", "cosine")]
    public string Shape { get; set; } = "constant";
}

public sealed class OptimiseOptions
{
    [Budget(Budgets.OptimizationSteps)]
    [Range(1, int.MaxValue)]
    public int Steps { get; set; } = 100;

    [Required]
    [ComponentKind(ComponentKinds.Optimizer)]
    public ComponentRef? Optimizer { get; set; }

    [Range(0.0, double.MaxValue)]
    public double KlCoefficient { get; set; } = 0.05;

    public Schedule Schedule { get; set; } = new();
}

public sealed class EvaluateOptions
{
    [MinLength(1)]
    public List<string> Metrics { get; set; } = ["gold/accuracy"];

    [Range(1, 10000)]
    public int Samples { get; set; } = 200;

    public Dictionary<string, double> Weights { get; set; } = [];
}

public sealed class SimulatedHumanOptions
{
    [Range(0.0, 0.5)]
    public double NoiseRate { get; set; } = 0.1;

    [Required]
    [RegularExpression("^[a-z]+$")]
    public string Annotator { get; set; } = "sim";
}

public sealed class DebateJudgeOptions
{
    [ComponentKind(ComponentKinds.Oversight)]
    public ComponentRef Method { get; set; } = new() { Name = "debate" };
}

public sealed class DebateOptions
{
    [Range(1, 10)]
    public int Rounds { get; set; } = 2;
}

public sealed class LearnedRewardOptions
{
    [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double ValidationFraction { get; set; } = 0.1;
}

public sealed class EnsembleOptions : IValidatableObject
{
    [ComponentKind(ComponentKinds.RewardModel)]
    public List<ComponentRef> Members { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Members.Count < 2)
            yield return new ValidationResult("an ensemble needs at least two members", [nameof(Members)]);
    }
}

public sealed class PpoOptions
{
    [Description("PPO clip range epsilon.")]
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double ClipRange { get; set; } = 0.2;

    [Range(1, 64)]
    public int Epochs { get; set; } = 4;

    public int? MiniBatchSize { get; set; }
}

public sealed class BestOfNOptions
{
    [Range(2, 256)]
    public int N { get; set; } = 16;
}
