using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Runs;

/// <summary>
/// A typed key of an <see cref="IArtifactBag"/> result: the type later stages ask for and the key it is stored
/// under, defined once (in <see cref="ArtifactKeys"/> when several plugins share it, else in the plugin's names class)
/// so that writer and reader cannot disagree on either (contracts 2.3).
/// </summary>
/// <typeparam name="T">The type stored and asked for, usually a contract interface or record.</typeparam>
/// <param name="Name">The bag's key ("" for the type's default result).</param>
public sealed record ArtifactKey<T>(string Name) where T : class
{
    /// <summary>The key with another name and the same type (for keys a manifest option names).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The key.</returns>
    public ArtifactKey<T> Named(string name) => new(name);

    /// <inheritdoc />
    public override string ToString() => Name.Length == 0 ? typeof(T).Name : $"{typeof(T).Name} '{Name}'";
}

/// <summary>Reading and writing an <see cref="IArtifactBag"/> by <see cref="ArtifactKey{T}"/>.</summary>
public static class ArtifactKeyExtensions
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing what was there.</summary>
    /// <typeparam name="T">The key's type.</typeparam>
    /// <param name="bag">The bag.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The result.</param>
    public static void Set<T>(this IArtifactBag bag, ArtifactKey<T> key, T value) where T : class
    {
        ArgumentNullException.ThrowIfNull(bag);
        ArgumentNullException.ThrowIfNull(key);
        bag.Set(value, key.Name);
    }

    /// <summary>The result under <paramref name="key"/> (as <see cref="IArtifactBag.TryGet{T}"/>), or null.</summary>
    /// <typeparam name="T">The key's type.</typeparam>
    /// <param name="bag">The bag.</param>
    /// <param name="key">The key.</param>
    /// <returns>The result, or null.</returns>
    public static T? TryGet<T>(this IArtifactBag bag, ArtifactKey<T> key) where T : class
    {
        ArgumentNullException.ThrowIfNull(bag);
        ArgumentNullException.ThrowIfNull(key);
        return bag.TryGet<T>(key.Name);
    }

    /// <summary>The result under <paramref name="key"/>; a missing one is an error naming what the bag holds.</summary>
    /// <typeparam name="T">The key's type.</typeparam>
    /// <param name="bag">The bag.</param>
    /// <param name="key">The key.</param>
    /// <returns>The result.</returns>
    public static T Get<T>(this IArtifactBag bag, ArtifactKey<T> key) where T : class
    {
        ArgumentNullException.ThrowIfNull(bag);
        ArgumentNullException.ThrowIfNull(key);
        return bag.Get<T>(key.Name);
    }
}

/// <summary>The artifact keys several plugins share (a plugin's private keys are defined in that plugin).</summary>
public static class ArtifactKeys
{
    /// <summary>
    /// The collected feedback (the type's default result): <c>collect-feedback</c> leaves it, reward-model training,
    /// label-agreement stages and reports read it.
    /// </summary>
    public static readonly ArtifactKey<FeedbackDataset> Feedback = new("");

    /// <summary>
    /// A frozen snapshot of the policy as it was before fine-tuning or optimisation (<c>sft</c>, <c>optimize</c>): the
    /// reference of the KL and the "base" of <c>evaluate</c>'s base-versus-final comparison.
    /// </summary>
    public static readonly ArtifactKey<IPolicy> BasePolicy = new("base");

    /// <summary>
    /// Supervised fine-tuning examples (responses to train on): where <c>critique-revise</c> leaves its final revisions by
    /// default and where the <c>sft</c> stage reads by default.
    /// </summary>
    public static readonly ArtifactKey<IReadOnlyList<Response>> SftDataset = new("sft");
}
