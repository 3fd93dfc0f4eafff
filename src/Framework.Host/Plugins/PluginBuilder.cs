using System.Text.RegularExpressions;
using AlignFx.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace AlignFx.Host.Plugins;

/// <summary>Collects one plugin's registrations, checking each component as it is added.</summary>
internal sealed partial class PluginBuilder(string pluginName) : IPluginBuilder
{
    private readonly List<ComponentDescriptor> _components = [];

    public string PluginName { get; } = pluginName;

    public IServiceCollection Services { get; } = new ServiceCollection();

    public IReadOnlyList<ComponentDescriptor> Components => _components;

    public IPluginBuilder AddComponent(ComponentDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        string what = $"{descriptor.Kind} '{descriptor.Name}'";
        Type? contract = ComponentKinds.ContractOf(descriptor.Kind)
            ?? throw new ArgumentException($"Component '{descriptor.Name}' has unknown kind '{descriptor.Kind}'; kinds are {string.Join(", ", ComponentKinds.All)}.", nameof(descriptor));
        if (!KebabCase().IsMatch(descriptor.Name))
        {
            throw new ArgumentException($"Component name '{descriptor.Name}' ({descriptor.Kind}) must be kebab-case: lower-case letters and digits in words joined by '-'.", nameof(descriptor));
        }
        Type implementation = descriptor.ImplementationType;
        if (!implementation.IsClass || implementation.IsAbstract || implementation.ContainsGenericParameters)
        {
            throw new ArgumentException($"The implementation of {what}, {implementation.FullName}, must be a concrete, non-generic class.", nameof(descriptor));
        }
        if (!contract.IsAssignableFrom(implementation))
        {
            throw new ArgumentException($"The implementation of {what}, {implementation.FullName}, does not implement {contract.FullName}.", nameof(descriptor));
        }
        if (implementation.GetConstructors().Length == 0)
        {
            throw new ArgumentException($"The implementation of {what}, {implementation.FullName}, has no public constructor.", nameof(descriptor));
        }
        Type options = descriptor.OptionsType;
        if (!options.IsClass || options.IsAbstract || options.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentException($"The options type of {what}, {options.FullName}, must be a class with a public parameterless constructor.", nameof(descriptor));
        }
        if (string.IsNullOrWhiteSpace(descriptor.Description) || descriptor.Description.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The description of {what} must be one non-empty line.", nameof(descriptor));
        }
        if (_components.Exists(c => c.Kind == descriptor.Kind && c.Name == descriptor.Name))
        {
            throw new ArgumentException($"{what} is registered twice.", nameof(descriptor));
        }
        _components.Add(descriptor with { Plugin = PluginName });
        return this;
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex KebabCase();
}
