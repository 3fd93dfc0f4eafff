using System.Reflection;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Plugins;

/// <summary>A plugin that loaded.</summary>
/// <param name="Name">The plugin's name (its assembly's simple name).</param>
/// <param name="Folder">The plugin folder (absolute).</param>
/// <param name="Assembly">The plugin assembly, loaded in the plugin's own load context.</param>
/// <param name="Components">The components it registered, with <see cref="ComponentDescriptor.Plugin"/> set to <paramref name="Name"/>.</param>
public sealed record LoadedPlugin(string Name, string Folder, Assembly Assembly, IReadOnlyList<ComponentDescriptor> Components)
{
    /// <summary>The plugin assembly's version.</summary>
    public Version? Version => Assembly.GetName().Version;
}
