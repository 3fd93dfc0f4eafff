using System.Reflection;
using AlignFx.Host.Plugins;

namespace AlignFx.Testing;

/// <summary>
/// The repository's plugins as built into the host's plugin folder (a test project that references a plugin builds
/// it there), loaded the way <c>alignfx</c> loads them. Linked into the test projects that run manifests.
/// </summary>
internal static class BuiltPlugins
{
    /// <summary>A catalog of the named plugin folders (<c>Tasks</c>, <c>Feedback</c>, ...); fails the test if one is refused.</summary>
    public static PluginCatalog Load(params string[] names)
    {
        string plugins = Path.Combine(HostDirectory, "plugins");
        var catalog = PluginCatalog.Load([.. names.Select(name => Path.Combine(plugins, name))], includeBuiltIn: false);
        Assert.Empty(catalog.Errors);
        return catalog;
    }

    /// <summary>The host as built (<c>src/Framework.Host/bin/&lt;configuration&gt;/net10.0</c>), with every built plugin in its plugin folder.</summary>
    public static string HostDirectory
    {
        get
        {
            string configuration = typeof(BuiltPlugins).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            string root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "Framework.sln")))
            {
                root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("repository root not found");
            }
            return Path.Combine(root, "src", "Framework.Host", "bin", configuration, "net10.0");
        }
    }
}
