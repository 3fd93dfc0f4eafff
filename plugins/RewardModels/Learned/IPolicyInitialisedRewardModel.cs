using AlignFx.Abstractions.Policies;

namespace AlignFx.RewardModels;

/// <summary>
/// A reward model whose network starts from the policy's weights (InstructGPT). Components are created by
/// dependency injection and cannot see the pipeline's policy, so the stage that trains the model
/// (<c>train-reward-model</c>) hands it over before <c>TrainAsync</c>, through this interface.
/// </summary>
public interface IPolicyInitialisedRewardModel
{
    /// <summary>Whether <see cref="InitialiseFrom"/> has been called.</summary>
    bool IsInitialised { get; }

    /// <summary>Takes fresh encoders (independent copies of the policy's trunk) from <paramref name="source"/>.</summary>
    /// <param name="source">The pipeline's policy.</param>
    void InitialiseFrom(ISequenceEncoderSource source);
}
