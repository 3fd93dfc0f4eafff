using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// One named component a plugin offers. Manifests refer to components by <see cref="Kind"/> and
/// <see cref="Name"/>, never by CLR type name.
/// </summary>
/// <param name="Kind">The role the component plays; one of <see cref="ComponentKinds"/>.</param>
/// <param name="Name">The name a manifest uses, in kebab-case (for example <c>ppo</c>, <c>simulated-human</c>).</param>
/// <param name="ImplementationType">The class the host instantiates (through dependency injection).</param>
/// <param name="OptionsType">The typed options class the manifest's <c>options</c> bind to; it must have a public parameterless constructor whose property values are the defaults.</param>
/// <param name="Description">One line shown by <c>alignfx plugins</c>.</param>
public sealed record ComponentDescriptor(
    string Kind,
    string Name,
    Type ImplementationType,
    Type OptionsType,
    string Description)
{
    /// <summary>The plugin that registered the component (filled in by the host when it loads the plugin).</summary>
    public string Plugin { get; init; } = "";
}

/// <summary>The kinds of component a manifest can name.</summary>
public static class ComponentKinds
{
    /// <summary>A task: prompts by split, gold evaluation, pretraining data.</summary>
    public const string Task = "task";
    /// <summary>A policy (language model or other) that generates responses.</summary>
    public const string Policy = "policy";
    /// <summary>A source of feedback records (simulated humans, AI judges, oversight-assisted judges).</summary>
    public const string FeedbackSource = "feedback-source";
    /// <summary>A reward model (learned, rule, gold, ensemble, multi-objective).</summary>
    public const string RewardModel = "reward-model";
    /// <summary>A policy optimiser (PPO, best-of-n, ...).</summary>
    public const string Optimizer = "optimizer";
    /// <summary>An oversight method (debate, consultancy, critique and revision).</summary>
    public const string Oversight = "oversight";
    /// <summary>A chooser of the queries worth a label (active feedback collection).</summary>
    public const string QuerySelector = "query-selector";
    /// <summary>A pipeline stage (pretrain, collect-feedback, train-reward-model, optimise, oversee, evaluate, report).</summary>
    public const string Stage = "stage";
    /// <summary>
    /// A chat model (<see cref="IChatClient"/>) that plays a role: a policy of the run, or a model behind an
    /// OpenAI-compatible server. The host wraps every one it creates in its middleware (logging, usage, seed, cache).
    /// </summary>
    public const string ChatModel = "chat-model";
    /// <summary>A critic of responses (<see cref="ICritic"/>): constitutional critique, assisted labelling.</summary>
    public const string Critic = "critic";

    /// <summary>Every kind, in the order <c>alignfx plugins</c> lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Task, Policy, Stage, FeedbackSource, QuerySelector, RewardModel, Optimizer, Oversight, ChatModel, Critic];

    private static readonly (string Kind, Type Contract)[] Contracts =
    [
        (Task, typeof(ITask)),
        (Policy, typeof(IPolicy)),
        (Stage, typeof(IStage)),
        (FeedbackSource, typeof(IFeedbackSource)),
        (QuerySelector, typeof(IQuerySelector)),
        (RewardModel, typeof(IRewardModel)),
        (Optimizer, typeof(IPolicyOptimizer)),
        (Oversight, typeof(IOversightMethod)),
        (ChatModel, typeof(IChatClient)),
        (Critic, typeof(ICritic)),
    ];

    /// <summary>
    /// The kinds a reference of <paramref name="kind"/> may name, in the order they are looked up: a feedback-source
    /// reference may also name an oversight method, which the host makes a source of pairwise labels through
    /// <see cref="OversightFeedbackSource"/> (its verdicts become labels, its transcripts travel with them). Every other
    /// kind accepts only itself.
    /// </summary>
    /// <param name="kind">One of <see cref="All"/>.</param>
    /// <returns>The accepted kinds, <paramref name="kind"/> first.</returns>
    public static IReadOnlyList<string> Accepting(string kind) =>
        kind == FeedbackSource ? [FeedbackSource, Oversight] : [kind];

    /// <summary>The contract interface every component of <paramref name="kind"/> implements, or null for an unknown kind.</summary>
    /// <param name="kind">One of <see cref="All"/>.</param>
    /// <returns>For example <see cref="IRewardModel"/> for <see cref="RewardModel"/>.</returns>
    public static Type? ContractOf(string kind) => Array.Find(Contracts, c => c.Kind == kind).Contract;

    /// <summary>
    /// The kind whose contract is <paramref name="type"/> or a base of it (<see cref="ITrainableRewardModel"/> gives
    /// <see cref="RewardModel"/>), or null when the type belongs to no kind.
    /// </summary>
    /// <param name="type">A contract interface or a type implementing one.</param>
    /// <returns>The kind, or null.</returns>
    public static string? KindOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Array.Find(Contracts, c => c.Contract.IsAssignableFrom(type)).Kind;
    }
}
