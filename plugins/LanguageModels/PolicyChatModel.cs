using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.AI;

namespace AlignFx.LanguageModels;

/// <summary>Options of the <c>policy</c> chat model: which policy answers, and its default sampling settings.</summary>
public sealed class PolicyChatModelOptions : IValidatableObject
{
    /// <summary>
    /// A checkpoint directory of the <c>gpt</c> policy (what <c>pretrain</c> writes, or what <c>alignfx serve</c> serves),
    /// relative to the working directory. Null: the policy named by <see cref="Artifact"/>, or else the pipeline's policy.
    /// </summary>
    public string? Checkpoint { get; set; }

    /// <summary>
    /// The key under which an earlier stage left a policy in the pipeline's results (for example <c>reference</c>).
    /// Null: the pipeline's current policy.
    /// </summary>
    public string? Artifact { get; set; }

    /// <summary>The model id answers carry (null: <c>policy</c>, or the checkpoint folder's name).</summary>
    public string? ModelId { get; set; }

    /// <summary>Most tokens per answer where the request does not say.</summary>
    [Range(1, 65536)]
    public int MaxNewTokens { get; set; } = 32;

    /// <summary>Sampling temperature where the request does not say (0: greedy).</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Checkpoint is not null && Artifact is not null)
        {
            yield return new ValidationResult("name either a checkpoint or an artifact, not both", [nameof(Artifact)]);
        }
    }
}

/// <summary>
/// The <c>policy</c> chat model: a policy of this run (the pipeline's current one, one an earlier stage left under a key,
/// or a checkpoint) answering as an <see cref="IChatClient"/>, so that any role can be played by a policy trained here.
/// It answers the last user message (see <see cref="PolicyChatClient"/>) and reports token usage under the policy's tokenizer.
/// </summary>
public sealed class PolicyChatModel : DelegatingChatClient
{
    /// <summary>The component name manifests use.</summary>
    public const string Name = "policy";

    private readonly IDisposable? _owned;

    /// <summary>Creates the chat model the options describe.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="artifacts">The pipeline's results (for <see cref="PolicyChatModelOptions.Artifact"/>); null outside a run.</param>
    /// <param name="pipelinePolicy">The pipeline's current policy, which the host provides inside a run; null outside one.</param>
    public PolicyChatModel(PolicyChatModelOptions options, IArtifactBag? artifacts = null, IPolicy? pipelinePolicy = null)
        : this(options, Resolve(options, artifacts, pipelinePolicy))
    {
    }

    private PolicyChatModel(PolicyChatModelOptions options, (IPolicy Policy, bool Owned, string ModelId) source)
        : base(new PolicyChatClient(source.Policy, new GenerationOptions { MaxNewTokens = options.MaxNewTokens, Temperature = options.Temperature },
            source.ModelId))
    {
        _owned = source.Owned ? source.Policy as IDisposable : null;
    }

    private static (IPolicy, bool, string) Resolve(PolicyChatModelOptions options, IArtifactBag? artifacts, IPolicy? pipelinePolicy)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Checkpoint is { } checkpoint)
        {
            if (!Directory.Exists(checkpoint) && !File.Exists(checkpoint))
            {
                throw new DirectoryNotFoundException(
                    $"The checkpoint '{Path.GetFullPath(checkpoint)}' does not exist; give the folder pretrain wrote (model.safetensors, model.json, tokenizer.json).");
            }
            string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkpoint)));
            return (GptPolicy.Load(checkpoint), true, options.ModelId ?? folderName);
        }
        if (options.Artifact is { } key)
        {
            IArtifactBag bag = artifacts ?? throw new InvalidOperationException(
                $"The policy chat model names the artifact '{key}', but there are no pipeline results here; use a checkpoint instead.");
            return (bag.Get<IPolicy>(key), false, options.ModelId ?? key);
        }
        return (pipelinePolicy ?? throw new InvalidOperationException(
            "The policy chat model has no pipeline policy here (outside a run); name a checkpoint."), false, options.ModelId ?? Name);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _owned?.Dispose();
        }
        base.Dispose(disposing);
    }
}
