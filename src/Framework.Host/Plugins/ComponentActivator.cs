using System.Text.Json;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace AlignFx.Host.Plugins;

/// <summary>Turns the options a manifest wrote for a component into its typed options object.</summary>
/// <param name="descriptor">The component.</param>
/// <param name="options">The manifest's <c>options</c> (null: all defaults).</param>
/// <returns>An instance of <see cref="ComponentDescriptor.OptionsType"/>.</returns>
public delegate object ComponentOptionsBinder(ComponentDescriptor descriptor, JsonElement? options);

/// <summary>Creates components from their descriptors through dependency injection.</summary>
public static class ComponentActivator
{
    private static readonly JsonSerializerOptions BindingOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>
    /// Creates the component: its constructor receives <paramref name="options"/> (when it declares a parameter of the
    /// options type) and anything else from <paramref name="services"/>, as <see cref="GoldIsolation"/> lets it see them
    /// (only simulated evaluators and gold oracles see the task's gold evaluator).
    /// </summary>
    /// <param name="services">The host's services (plugin services, the run context, loggers).</param>
    /// <param name="descriptor">The component to create.</param>
    /// <param name="options">Its bound options, an instance of <see cref="ComponentDescriptor.OptionsType"/>.</param>
    /// <returns>The new component.</returns>
    /// <exception cref="ArgumentException"><paramref name="options"/> has the wrong type.</exception>
    /// <exception cref="InvalidOperationException">The constructor needs a service nobody registered, or threw.</exception>
    public static object Create(IServiceProvider services, ComponentDescriptor descriptor, object options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(options);
        if (!descriptor.OptionsType.IsInstanceOfType(options))
        {
            throw new ArgumentException($"The options of {Describe(descriptor)} must be {descriptor.OptionsType.FullName}, not {options.GetType().FullName}.", nameof(options));
        }
        // Pass the options only to a constructor that takes them: ActivatorUtilities refuses unused arguments.
        bool takesOptions = descriptor.ImplementationType.GetConstructors()
            .Any(c => c.GetParameters().Any(p => p.ParameterType.IsAssignableFrom(descriptor.OptionsType)));
        IServiceProvider visible = GoldIsolation.ServicesFor(services, descriptor);
        try
        {
            return takesOptions
                ? ActivatorUtilities.CreateInstance(visible, descriptor.ImplementationType, options)
                : ActivatorUtilities.CreateInstance(visible, descriptor.ImplementationType);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Exception cause = ex is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : ex;
            throw new InvalidOperationException($"Creating {Describe(descriptor)} failed: {cause.Message}", cause);
        }
    }

    /// <summary>
    /// The default options binder: JSON with web naming (camelCase, case-insensitive), comments and trailing commas
    /// allowed, unknown properties refused; no options give the options class's defaults. The manifest validator
    /// replaces it with one that also validates values.
    /// </summary>
    /// <param name="descriptor">The component.</param>
    /// <param name="options">The manifest's options, or null.</param>
    /// <returns>The bound options object.</returns>
    public static object BindOptions(ComponentDescriptor descriptor, JsonElement? options)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (options is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } element)
        {
            return Activator.CreateInstance(descriptor.OptionsType)!;
        }
        return element.Deserialize(descriptor.OptionsType, BindingOptions) ?? Activator.CreateInstance(descriptor.OptionsType)!;
    }

    /// <summary>
    /// The component as the contract <typeparamref name="T"/> asked for: itself, or an oversight method adapted to a
    /// feedback source (<see cref="ComponentKinds.Accepting"/>).
    /// </summary>
    /// <typeparam name="T">The contract asked for.</typeparam>
    /// <param name="component">The created component.</param>
    /// <param name="descriptor">Its descriptor.</param>
    /// <returns>The component as <typeparamref name="T"/>.</returns>
    /// <exception cref="InvalidOperationException">The component does not implement <typeparamref name="T"/>.</exception>
    public static T As<T>(object component, ComponentDescriptor descriptor) where T : class
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(descriptor);
        if (component is T direct)
        {
            return direct;
        }
        if (typeof(T) == typeof(IFeedbackSource) && component is IOversightMethod method)
        {
            return (T)(object)new OversightFeedbackSource(method, descriptor.Name);
        }
        throw new InvalidOperationException(
            $"{Describe(descriptor)} is a {descriptor.ImplementationType.FullName}, which does not implement {typeof(T).FullName}.");
    }

    internal static string Describe(ComponentDescriptor descriptor) =>
        descriptor.Plugin.Length == 0
            ? $"{descriptor.Kind} '{descriptor.Name}'"
            : $"{descriptor.Kind} '{descriptor.Name}' (plugin {descriptor.Plugin})";
}

/// <summary>
/// The <see cref="IComponentFactory"/> stages use: finds a referenced component in the catalog by the kind of the
/// requested contract, binds its options and creates it.
/// </summary>
/// <param name="catalog">The loaded components.</param>
/// <param name="services">The services components may receive.</param>
/// <param name="bindOptions">Turns manifest options into options objects (null: <see cref="ComponentActivator.BindOptions"/>).</param>
public sealed class ComponentFactory(IComponentCatalog catalog, IServiceProvider services, ComponentOptionsBinder? bindOptions = null) : IComponentFactory
{
    private readonly ComponentOptionsBinder _bind = bindOptions ?? ComponentActivator.BindOptions;

    /// <inheritdoc />
    public T Create<T>(ComponentRef reference) where T : class
    {
        ArgumentNullException.ThrowIfNull(reference);
        string kind = ComponentKinds.KindOf(typeof(T))
            ?? throw new InvalidOperationException($"{typeof(T).FullName} is not a component contract; ask for one of the kinds' interfaces.");
        ComponentDescriptor descriptor = ComponentKinds.Accepting(kind).Select(k => catalog.Find(k, reference.Name)).FirstOrDefault(c => c is not null)
            ?? throw new InvalidOperationException($"No {kind} named '{reference.Name}' is registered; the {kind} components are: {NamesOf(kind)}.");
        object component = ComponentActivator.Create(services, descriptor, _bind(descriptor, reference.Options));
        return ComponentActivator.As<T>(component, descriptor);
    }

    private string NamesOf(string kind)
    {
        var names = catalog.Components.Where(c => ComponentKinds.Accepting(kind).Contains(c.Kind)).Select(c => c.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }
}
