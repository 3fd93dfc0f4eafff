using System.ComponentModel.DataAnnotations;

namespace AlignFx.Critics;

/// <summary>What a scripted critic does with the flaws it can see.</summary>
public enum CriticMode
{
    /// <summary>
    /// Points at a false claim (the easiest one to verify) with probability <see cref="ScriptedCriticOptions.Recall"/>,
    /// and at a true claim as if it were false with probability <see cref="ScriptedCriticOptions.FalseAlarmRate"/> when it
    /// reports no real flaw. A helpful critic with a false-alarm rate above 0 is the noisy critic.
    /// </summary>
    Helpful,

    /// <summary>
    /// Argues for the worse response: on a response with no false claim it points at a true claim (the hardest one to
    /// verify) as if it were false, with probability <see cref="ScriptedCriticOptions.Recall"/>; on a response with a
    /// false claim it reports no flaw.
    /// </summary>
    Adversarial,
}

/// <summary>Options of the <c>scripted</c> critic.</summary>
public sealed class ScriptedCriticOptions
{
    /// <summary>Helpful (or noisy, with false alarms) or adversarial.</summary>
    public CriticMode Mode { get; set; } = CriticMode.Helpful;

    /// <summary>
    /// Helpful: the probability that a response with a false claim is critiqued at one. Adversarial: the probability that
    /// a response without one is attacked. The same rate for a principle's tone and hint problems.
    /// </summary>
    [Range(0.0, 1.0)]
    public double Recall { get; set; } = 1;

    /// <summary>
    /// Helpful only: the probability that a response for which the critic reports no real flaw is critiqued at a true
    /// claim (or, for a tone or hint principle, flagged although the problem is absent).
    /// </summary>
    [Range(0.0, 1.0)]
    public double FalseAlarmRate { get; set; }

    /// <summary>What one critique costs, in simulated dollars (a simulated human's label costs 0.1 by default).</summary>
    [Range(0.0, 1e6)]
    public double CostPerCritique { get; set; } = 0.01;

    /// <summary>
    /// The phrases that make a response sound confident, for principles concerning <c>confident</c> (the arithmetic
    /// task's markers by default; matched ignoring case).
    /// </summary>
    [MinLength(1)]
    public IList<string> ConfidentMarkers { get; set; } = ["Surely", "Definitely", "Trust me", "No doubt"];

    /// <summary>
    /// The prompt metadata key of a user's hint, for principles concerning <c>agrees_with_hint</c> (the arithmetic
    /// task's <c>hint</c> by default). Prompt metadata is public; the hint's truth the critic learns from the claim checker.
    /// </summary>
    [Required, MinLength(1)]
    public string HintKey { get; set; } = "hint";
}
