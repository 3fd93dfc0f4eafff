using AlignFx.Evaluation;
using System.Reflection;
using System.Runtime.Loader;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Plugins;

/// <summary>
/// Which assemblies a plugin shares with the host (always resolved to the host's copy, so contract types are the
/// host's types), and which of them are contract assemblies a plugin must not ship.
/// </summary>
internal static class SharedAssemblies
{
    private const string TensorsAssembly = "Framework.Tensors";

    /// <summary>The shared evaluation library, versioned like the contracts (a plugin needs its major version).</summary>
    public const string EvaluationAssembly = "Framework.Evaluation";

    /// <summary>
    /// Contract assemblies: ours (the contracts, the tensor runtime, the shared evaluation library) and the Microsoft.Extensions abstractions. A plugin folder holding a copy of one is refused,
    /// because the copy would be silently ignored.
    /// </summary>
    public static bool IsContract(string name) =>
        name == AlignFxContracts.AssemblyName
        || name == TensorsAssembly
        || name == EvaluationAssembly
        || (name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && name.EndsWith(".Abstractions", StringComparison.Ordinal));

    /// <summary>
    /// Shared assemblies: the contract assemblies, every assembly their signatures reach (System.Text.Json's
    /// JsonElement in ComponentRef, ILogger, IServiceCollection, ...), and the options/primitives packages the
    /// host's container hands to plugins.
    /// </summary>
    public static bool IsShared(string name) =>
        IsContract(name) || name is "Microsoft.Extensions.Options" or "Microsoft.Extensions.Primitives" || ContractClosure.Value.Contains(name);

    /// <summary>
    /// The shared assemblies a plugin folder may ask for, for the loader's list of assemblies that always come from the
    /// host: the contract closure, plus every shared name that an assembly in the folder references (read from metadata).
    /// </summary>
    public static IReadOnlyList<AssemblyName> NamesFor(string folder)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal) { AlignFxContracts.AssemblyName, TensorsAssembly };
        names.UnionWith(ContractClosure.Value.Where(IsShared));
        foreach (string file in Directory.EnumerateFiles(folder, "*.dll"))
        {
            if (PluginAssemblyInfo.TryRead(file) is { } info)
            {
                names.UnionWith(info.References.Select(r => r.Name).OfType<string>().Where(IsShared));
            }
        }
        return [.. names.Select(n => new AssemblyName(n))];
    }

    /// <summary>The version of a shared assembly in the host, or null when the host cannot provide it.</summary>
    public static Version? HostVersion(string name)
    {
        try
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(name)).GetName().Version;
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    private static readonly Lazy<HashSet<string>> ContractClosure = new(() =>
    {
        // Walk the references of the contract assemblies in the host; framework assemblies are leaves.
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>();
        pending.Enqueue(typeof(AlignFxContracts).Assembly);
        pending.Enqueue(typeof(AlignFx.Evaluation.TaskMetrics).Assembly);
        names.Add(EvaluationAssembly);
        while (pending.Count > 0)
        {
            foreach (AssemblyName reference in pending.Dequeue().GetReferencedAssemblies())
            {
                if (reference.Name is not { } name || !names.Add(name) || name.StartsWith("System.", StringComparison.Ordinal)
                    || name is "System" or "mscorlib" or "netstandard")
                {
                    continue;
                }
                try
                {
                    pending.Enqueue(AssemblyLoadContext.Default.LoadFromAssemblyName(reference));
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException)
                {
                    // An optional reference the host does not carry: nothing to share.
                }
            }
        }
        return names;
    });
}
