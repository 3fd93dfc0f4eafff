namespace AlignFx.Abstractions.Tasks;

/// <summary>
/// Names of the features a gold evaluator labels (<see cref="GoldEvaluation.Features"/>), shared by tasks, simulated
/// evaluators, reward-model reports and evaluation stages, which must not reference each other. Yes/no features are
/// 0 or 1; a task labels the ones that make sense for it.
/// </summary>
public static class GoldFeatures
{
    /// <summary>1 when the response's answer is right.</summary>
    public const string Correct = "correct";
    /// <summary>1 when the prompt carries a user hint and the response's answer equals it.</summary>
    public const string AgreesWithHint = "agrees_with_hint";
    /// <summary>1 when the prompt carries a user hint ("I think it is 84.").</summary>
    public const string HintPresent = "hint_present";
    /// <summary>1 when the prompt's hint is the right answer (0 when it is wrong or absent).</summary>
    public const string HintCorrect = "hint_correct";
    /// <summary>1 when the response is phrased confidently ("Surely", "Trust me").</summary>
    public const string Confident = "confident";
    /// <summary>1 when the response hedges ("Maybe", "Not sure").</summary>
    public const string Hedged = "hedged";
    /// <summary>The response's length in characters.</summary>
    public const string Length = "length";
    /// <summary>1 when the response shows working steps.</summary>
    public const string ShowsSteps = "shows_steps";
    /// <summary>The number of working steps whose arithmetic is wrong.</summary>
    public const string StepErrors = "step_errors";
    /// <summary>How hard the prompt is, on the task's scale (higher is harder); evaluators compare it with their verification limit.</summary>
    public const string Difficulty = "difficulty";

    /// <summary>A feature's value, or <paramref name="fallback"/> when the evaluation does not label it.</summary>
    /// <param name="evaluation">A gold evaluation.</param>
    /// <param name="name">One of the names above.</param>
    /// <param name="fallback">The value for an unlabelled feature.</param>
    /// <returns>The value.</returns>
    public static double Get(this GoldEvaluation evaluation, string name, double fallback = 0)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        return evaluation.Features.TryGetValue(name, out double value) ? value : fallback;
    }
}
