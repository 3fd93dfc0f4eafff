using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Abstractions.Plugins;

/// <summary>Typed helpers for <see cref="IPluginBuilder.AddComponent"/>, one per component kind.</summary>
/// <remarks>
/// The host creates a component through dependency injection: the constructor may take the bound options object
/// (the <c>TOptions</c> of each method), any service a plugin or the host registered, and the run's
/// <see cref="IRunContext"/>.
/// </remarks>
public static class PluginBuilderExtensions
{
    /// <summary>Registers a component of any kind.</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class the manifest's <c>options</c> bind to (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="kind">One of <see cref="ComponentKinds"/>.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddComponent<TImplementation, TOptions>(
        this IPluginBuilder builder, string kind, string name, string description)
        where TImplementation : class
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddComponent(new ComponentDescriptor(kind, name, typeof(TImplementation), typeof(TOptions), description));
    }

    /// <summary>Registers a task (<see cref="ComponentKinds.Task"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddTask<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, ITask where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.Task, name, description);

    /// <summary>Registers a policy (<see cref="ComponentKinds.Policy"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddPolicy<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IPolicy where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.Policy, name, description);

    /// <summary>Registers a pipeline stage (<see cref="ComponentKinds.Stage"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddStage<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IStage where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.Stage, name, description);

    /// <summary>Registers a feedback source (<see cref="ComponentKinds.FeedbackSource"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddFeedbackSource<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IFeedbackSource where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.FeedbackSource, name, description);

    /// <summary>Registers a query selector (<see cref="ComponentKinds.QuerySelector"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddQuerySelector<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IQuerySelector where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.QuerySelector, name, description);

    /// <summary>Registers a reward model (<see cref="ComponentKinds.RewardModel"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddRewardModel<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IRewardModel where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.RewardModel, name, description);

    /// <summary>Registers a policy optimiser (<see cref="ComponentKinds.Optimizer"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddOptimizer<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IPolicyOptimizer where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.Optimizer, name, description);

    /// <summary>Registers an oversight method (<see cref="ComponentKinds.Oversight"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddOversight<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IOversightMethod where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.Oversight, name, description);

    /// <summary>Registers a chat model (<see cref="ComponentKinds.ChatModel"/>).</summary>
    /// <typeparam name="TImplementation">The class the host instantiates.</typeparam>
    /// <typeparam name="TOptions">The options class (use <see cref="NoOptions"/> for none).</typeparam>
    /// <param name="builder">The plugin builder.</param>
    /// <param name="name">The kebab-case name manifests use.</param>
    /// <param name="description">One line for <c>alignfx plugins</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddChatModel<TImplementation, TOptions>(this IPluginBuilder builder, string name, string description)
        where TImplementation : class, IChatClient where TOptions : class, new()
        => builder.AddComponent<TImplementation, TOptions>(ComponentKinds.ChatModel, name, description);
}
