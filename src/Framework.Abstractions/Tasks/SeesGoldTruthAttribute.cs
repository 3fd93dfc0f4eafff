namespace AlignFx.Abstractions.Tasks;

/// <summary>
/// Marks a component the host may give the task's gold evaluator: simulated evaluators, which judge from the truth
/// by design, and gold oracles (upper-bound arms). Only such a component may take <see cref="IGoldEvaluator"/> in its
/// constructor, and only it sees <see cref="ITask.Gold"/> on the <see cref="ITask"/> it is given; every other
/// component (policies, judges, debaters, critics, reward models) gets the task without its gold evaluator, and one
/// that asks for <see cref="IGoldEvaluator"/> is refused. Stages and tasks are part of the harness and always see it.
/// </summary>
/// <remarks>
/// The truth never travels with responses: neither <see cref="Response.Metadata"/> nor the prompt's metadata carries
/// gold features. A component that needs the truth declares it here, where a reviewer sees it.
/// </remarks>
/// <param name="reason">Why the component needs the truth, for readers and for <c>alignfx plugins</c>.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class SeesGoldTruthAttribute(string reason) : Attribute
{
    /// <summary>Why the component needs the truth.</summary>
    public string Reason { get; } = reason;
}
