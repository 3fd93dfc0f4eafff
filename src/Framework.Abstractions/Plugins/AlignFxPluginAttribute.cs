using Microsoft.Extensions.DependencyInjection;

namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// Marks an assembly as an AlignFx plugin and names its module:
/// <c>[assembly: AlignFxPlugin(typeof(MyModule))]</c>. The host reads this attribute to find the plugin
/// assembly in a plugin folder, creates the module with its public parameterless constructor and calls
/// <see cref="IPluginModule.Register"/>.
/// </summary>
/// <param name="moduleType">A class implementing <see cref="IPluginModule"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class AlignFxPluginAttribute(Type moduleType) : Attribute
{
    /// <summary>The plugin's module class.</summary>
    public Type ModuleType { get; } = moduleType;
}

/// <summary>A plugin's entry point: registers the plugin's components and services.</summary>
public interface IPluginModule
{
    /// <summary>
    /// Registers every component the plugin offers. Called once, when the host loads the plugin; an exception
    /// refuses the whole plugin (nothing it registered is kept) and its message is shown to the user.
    /// </summary>
    /// <param name="builder">Collects the plugin's components and services.</param>
    void Register(IPluginBuilder builder);
}

/// <summary>What a plugin module registers into: named components and services for dependency injection.</summary>
public interface IPluginBuilder
{
    /// <summary>The plugin's name (its assembly's simple name); the host fills it into every descriptor.</summary>
    string PluginName { get; }

    /// <summary>
    /// Services the plugin adds to the host's container; components receive them through their constructors.
    /// The host adds them only when the whole plugin loads.
    /// </summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// Registers a component. The host checks that the kind is one of <see cref="ComponentKinds.All"/>, that the
    /// name is kebab-case, that the implementation is a concrete class implementing the kind's contract
    /// (<see cref="ComponentKinds.ContractOf"/>) and that the options type has a public parameterless constructor;
    /// otherwise it throws <see cref="ArgumentException"/>, which refuses the plugin.
    /// </summary>
    /// <param name="descriptor">The component; its <see cref="ComponentDescriptor.Plugin"/> is filled in by the host.</param>
    /// <returns>The same builder, for chaining.</returns>
    IPluginBuilder AddComponent(ComponentDescriptor descriptor);
}

/// <summary>The options type of a component that takes no options.</summary>
public sealed class NoOptions;
