using AlignFx.Abstractions.Claims;

namespace AlignFx.Abstractions.Tasks;

/// <summary>
/// A task: the prompts a policy answers, by split; the truth where it is known; and the data a policy is
/// pretrained on. A task draws its randomness from the run context it is given, so one seed fixes its prompts.
/// </summary>
public interface ITask
{
    /// <summary>The splits the task offers, usually <see cref="TaskSplits.Train"/>, <see cref="TaskSplits.Validation"/> and <see cref="TaskSplits.Test"/>.</summary>
    IReadOnlyList<string> Splits { get; }

    /// <summary>The prompts of a split, in a fixed order.</summary>
    /// <param name="split">One of <see cref="Splits"/>.</param>
    /// <returns>The prompts.</returns>
    /// <exception cref="ArgumentException">The task has no such split.</exception>
    IReadOnlyList<Prompt> GetPrompts(string split);

    /// <summary>The evaluator that knows the truth, or null for tasks without one.</summary>
    IGoldEvaluator? Gold { get; }

    /// <summary>
    /// The checker of the claims in responses (working steps, final answers) when the task has checkable claims,
    /// else null. Oversight methods hand it to judges; added in contracts 2.1.
    /// </summary>
    IClaimChecker? Claims => null;

    /// <summary>The pretraining corpus, in a fixed order for the run's seed.</summary>
    /// <returns>Prompt–response examples.</returns>
    IReadOnlyList<PretrainingExample> GetPretrainingCorpus();
}

/// <summary>Conventional split names.</summary>
public static class TaskSplits
{
    /// <summary>Prompts for training (feedback collection, optimisation).</summary>
    public const string Train = "train";
    /// <summary>Prompts for choices during training (early stopping).</summary>
    public const string Validation = "validation";
    /// <summary>Held-out prompts for evaluation.</summary>
    public const string Test = "test";
}

/// <summary>Scores responses against the truth, which evaluators and reward models in a pipeline cannot see.</summary>
public interface IGoldEvaluator
{
    /// <summary>Evaluates one response.</summary>
    /// <param name="response">The response, with its prompt.</param>
    /// <returns>The gold score and the response's features.</returns>
    GoldEvaluation Evaluate(Response response);
}

/// <summary>The truth about one response.</summary>
/// <param name="Score">The gold reward (for example 1 for a correct answer, 0 otherwise).</param>
/// <param name="Features">
/// Labelled features (for example <c>correct</c>, <c>agrees_with_hint</c>, <c>confident</c>, <c>length</c>,
/// <c>shows_steps</c>), 0/1 for yes/no, so reports can correlate rewards with them.
/// </param>
public sealed record GoldEvaluation(double Score, IReadOnlyDictionary<string, double> Features);
