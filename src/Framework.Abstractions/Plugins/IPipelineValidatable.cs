using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// A validation hook an options class may implement for what its attributes and <see cref="IValidatableObject"/>
/// cannot see: files the options name and constraints against the rest of the pipeline (a policy's context against
/// the task's longest example). The host calls it whenever it validates a manifest (<c>validate</c>, <c>run</c>,
/// <c>compare</c>), after every option bound and passed its own checks, so <c>validate</c> and <c>run</c> agree.
/// </summary>
public interface IPipelineValidatable
{
    /// <summary>Every problem found; none when the options fit the pipeline.</summary>
    /// <param name="context">The pipeline around these options.</param>
    /// <returns>Problems; <see cref="ValidationResult.MemberNames"/> names the options' properties (C# names) they are about.</returns>
    IEnumerable<ValidationResult> Validate(PipelineValidationContext context);
}

/// <summary>What an <see cref="IPipelineValidatable"/> sees of the pipeline being validated.</summary>
/// <param name="task">Creates the pipeline's task with the run's seed (as the run will); null when the task could not be created.</param>
public sealed class PipelineValidationContext(Func<ITask?> task)
{
    private readonly Lazy<ITask?> _task = new(task);

    /// <summary>The pipeline's seed.</summary>
    public long Seed { get; init; }

    /// <summary>The bound options of the pipeline's task (an instance of its options class).</summary>
    public object? TaskOptions { get; init; }

    /// <summary>The bound options of the pipeline's policy (an instance of its options class).</summary>
    public object? PolicyOptions { get; init; }

    /// <summary>
    /// The pipeline's task, created on first use with the run's seed; null when it cannot be created (that problem is
    /// reported at the task). Creating it may take a moment (tasks draw their prompts), so ask only when needed.
    /// </summary>
    public ITask? Task => _task.Value;
}
