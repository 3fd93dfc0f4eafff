using System.Reflection;
using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Plugins;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>The repository's plugins as built into the host's plugin folder (building this test project builds them).</summary>
internal static class BuiltPlugins
{
    public static IComponentCatalog Catalog()
    {
        string configuration = typeof(BuiltPlugins).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Framework.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("repository root not found");
        }
        string plugins = Path.Combine(root, "src", "Framework.Host", "bin", configuration, "net10.0", "plugins");
        var catalog = PluginCatalog.Load([.. new[] { "Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo" }.Select(p => Path.Combine(plugins, p))], includeBuiltIn: false);
        Assert.Empty(catalog.Errors);
        return catalog;
    }
}
