using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Feedback;

/// <summary>Which responses of a pairwise query the evaluator sees a critique of.</summary>
public enum CritiquedResponses
{
    /// <summary>Both.</summary>
    Both,
    /// <summary>The first only (the collect-feedback stage orders a pair's responses at random).</summary>
    First,
    /// <summary>Neither: the evaluator labels alone, exactly as the wrapped source does (the unassisted arm, measured the same way).</summary>
    None,
}

/// <summary>Options of <c>assisted</c>.</summary>
public sealed class AssistedFeedbackOptions : IPipelineValidatable
{
    /// <summary>
    /// The wrapped source, whose evaluators read the critiques; it must be able to use them (implement
    /// <see cref="IAssistableSource"/>: <c>simulated-human</c>, the ChatModels plugin's <c>chat-feedback</c>). Another is
    /// refused when the manifest is validated.
    /// </summary>
    [ComponentKind(ComponentKinds.FeedbackSource, Contract = typeof(IAssistableSource), ContractPurpose = "use critiques")]
    public ComponentRef Source { get; set; } = new() { Name = SimulatedHumanSource.Name };

    /// <summary>The critic that critiques the responses (for example <c>scripted</c> of the Critics plugin).</summary>
    [ComponentKind(ComponentKinds.Critic)]
    public ComponentRef Critic { get; set; } = new() { Name = AssistedFeedbackSource.DefaultCritic };

    /// <summary>
    /// How far an evaluator takes a critique it cannot verify at its word: 0 ignores it, 1 believes it fully (see
    /// <see cref="SimulatedAnnotator.Believe"/>). A critique pointing at a claim within the evaluator's limit is checked instead.
    /// </summary>
    [Range(0.0, 1.0)]
    public double Trust { get; set; } = 0.5;

    /// <summary>Which responses are critiqued.</summary>
    public CritiquedResponses Critiqued { get; set; } = CritiquedResponses.Both;

    /// <summary>The principle the critic applies, or null for a general critique (any flaw).</summary>
    public Principle? Principle { get; set; }

    /// <summary>Seconds an evaluator spends reading and checking one critique (added to the label's latency).</summary>
    [Range(0.0, 86_400)]
    public double SecondsPerCritique { get; set; } = 15;

    /// <summary>What that time costs the evaluator, per critique read (simulated dollars; a label costs 0.1 by default).</summary>
    [Range(0.0, 1e6)]
    public double EvaluatorCostPerCritique { get; set; } = 0.05;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(PipelineValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Task is { Claims: null })
        {
            yield return new ValidationResult(
                $"the '{AssistedFeedbackSource.Name}' source needs a task with checkable claims (such as 'arithmetic'): its evaluators check the claims critiques point at; use another task or another feedback source",
                [nameof(Critic)]);
        }
    }
}
