using System.Reflection;
using System.Runtime.Loader;

namespace AlignFx.Host.Plugins;

/// <summary>
/// The load context of one plugin: private dependencies come from the plugin folder (through its .deps.json),
/// shared assemblies and everything else the folder lacks come from the host.
/// </summary>
internal sealed class PluginLoadContext(string pluginAssemblyPath, string pluginName)
    : AssemblyLoadContext($"plugin:{pluginName}", isCollectible: false)
{
    private readonly AssemblyDependencyResolver _resolver = new(pluginAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || SharedAssemblies.IsShared(assemblyName.Name))
        {
            return null; // the default context: the host's copy
        }
        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override nint LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? 0 : LoadUnmanagedDllFromPath(path);
    }
}
