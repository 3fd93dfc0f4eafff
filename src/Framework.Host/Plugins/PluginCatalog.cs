using System.Reflection;
using AlignFx.Abstractions.Plugins;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Host.Plugins;

/// <summary>
/// Finds and loads plugins, each into its own load context, and collects their components, services and the
/// reasons any plugin was refused. A refused plugin leaves nothing behind; the others load regardless.
/// </summary>
/// <remarks>
/// A plugin folder holds the plugin assembly, its .deps.json and its private dependencies. The plugin assembly is
/// the one carrying <see cref="AlignFxPluginAttribute"/> (or, failing that, the one named like the folder).
/// A directory given to <see cref="AddDirectory"/> is a plugin folder when it directly holds a <c>.dll</c>;
/// otherwise each of its subfolders is one, loaded in ordinal order of their names.
/// </remarks>
public sealed class PluginCatalog : IComponentCatalog
{
    private readonly ILogger _logger;
    private readonly List<LoadedPlugin> _plugins = [];
    private readonly List<PluginLoadError> _errors = [];
    private readonly List<ComponentDescriptor> _components = [];
    private readonly List<ServiceDescriptor> _services = [];
    private readonly HashSet<string> _visitedFolders = new(StringComparer.Ordinal);

    /// <summary>An empty catalog.</summary>
    /// <param name="logger">Receives a line per plugin loaded or refused (null: none).</param>
    public PluginCatalog(ILogger? logger = null) => _logger = logger ?? NullLogger.Instance;

    /// <summary>The built-in plugins folder: <c>plugins/</c> next to the host's assembly.</summary>
    public static string BuiltInDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// Loads the built-in plugins (when <paramref name="includeBuiltIn"/> and the folder exists), then every directory given
    /// (the command line's <c>--plugins DIR</c>), in order.
    /// </summary>
    /// <param name="directories">Folders of plugin folders, or plugin folders.</param>
    /// <param name="includeBuiltIn">Whether to load <see cref="BuiltInDirectory"/> first.</param>
    /// <param name="logger">Receives a line per plugin loaded or refused.</param>
    /// <returns>The catalog; refusals are in <see cref="Errors"/>.</returns>
    public static PluginCatalog Load(IEnumerable<string> directories, bool includeBuiltIn = true, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        var catalog = new PluginCatalog(logger);
        if (includeBuiltIn && Directory.Exists(BuiltInDirectory))
        {
            catalog.AddDirectory(BuiltInDirectory);
        }
        foreach (string directory in directories)
        {
            catalog.AddDirectory(directory);
        }
        return catalog;
    }

    /// <summary>The plugins loaded, in load order.</summary>
    public IReadOnlyList<LoadedPlugin> Plugins => _plugins;

    /// <summary>The plugins refused, in load order.</summary>
    public IReadOnlyList<PluginLoadError> Errors => _errors;

    /// <inheritdoc />
    public IReadOnlyList<ComponentDescriptor> Components => _components;

    /// <summary>The services the loaded plugins added, in load order.</summary>
    public IReadOnlyList<ServiceDescriptor> Services => _services;

    /// <inheritdoc />
    public ComponentDescriptor? Find(string kind, string name) =>
        _components.Find(c => c.Kind == kind && c.Name == name);

    /// <summary>Adds the plugins' services and this catalog (as <see cref="IComponentCatalog"/>) to a container.</summary>
    /// <param name="services">The host's service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public IServiceCollection AddTo(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (ServiceDescriptor service in _services)
        {
            services.Add(service);
        }
        services.AddSingleton<IComponentCatalog>(this);
        return services;
    }

    /// <summary>
    /// Loads the plugins of a directory: a plugin folder, or a folder of plugin folders (the runner also calls this
    /// with the folders a manifest lists). A folder already loaded is skipped.
    /// </summary>
    /// <param name="directory">An absolute path, or one relative to the current directory.</param>
    /// <returns>The refusals this call added (also in <see cref="Errors"/>).</returns>
    public IReadOnlyList<PluginLoadError> AddDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        int before = _errors.Count;
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(full))
        {
            Refuse(new PluginLoadError(Path.GetFileName(full), full, PluginFailure.FolderNotFound,
                "this is a file, not a folder; give the folder that holds the plugin (its .dll and .deps.json)."));
        }
        else if (!Directory.Exists(full))
        {
            Refuse(new PluginLoadError(Path.GetFileName(full), full, PluginFailure.FolderNotFound, "the folder does not exist."));
        }
        else if (Directory.EnumerateFiles(full, "*.dll").Any())
        {
            LoadPluginFolder(full);
        }
        else
        {
            foreach (string folder in Directory.GetDirectories(full).Order(StringComparer.Ordinal))
            {
                LoadPluginFolder(folder);
            }
        }
        return _errors.Skip(before).ToList();
    }

    private void LoadPluginFolder(string folder)
    {
        if (!_visitedFolders.Add(folder))
        {
            return;
        }
        PluginLoadError? error = TryLoad(folder, out LoadedPlugin? plugin);
        if (error is not null)
        {
            Refuse(error);
            return;
        }
        _plugins.Add(plugin!);
        _components.AddRange(plugin!.Components);
        _logger.LogDebug("Loaded plugin {Plugin} from {Folder} with {Count} components", plugin.Name, folder, plugin.Components.Count);
    }

    private void Refuse(PluginLoadError error)
    {
        _errors.Add(error);
        _logger.LogWarning("{Error}", error.ToString());
    }

    private PluginLoadError? TryLoad(string folder, out LoadedPlugin? plugin)
    {
        plugin = null;
        string folderName = Path.GetFileName(folder);
        PluginLoadError Error(string name, PluginFailure failure, string message) => new(name, folder, failure, message);

        // 1. Find the plugin assembly from metadata alone: nothing is loaded before the checks below pass.
        var candidates = Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal)
            .Select(PluginAssemblyInfo.TryRead).OfType<PluginAssemblyInfo>().ToList();
        var marked = candidates.Where(c => c.HasPluginAttribute).ToList();
        PluginAssemblyInfo? info = marked.Count switch
        {
            1 => marked[0],
            0 => null,
            _ => marked.Find(c => c.Name.Name == folderName),
        };
        if (info is null)
        {
            if (marked.Count > 1)
            {
                return Error(folderName, PluginFailure.NoPluginAssembly,
                    $"several assemblies carry [assembly: AlignFxPlugin] ({string.Join(", ", marked.Select(m => Path.GetFileName(m.Path)))}) and none is named {folderName}.dll; a plugin folder holds one plugin.");
            }
            PluginAssemblyInfo? named = candidates.Find(c => c.Name.Name == folderName);
            if (named is null && File.Exists(Path.Combine(folder, folderName + ".dll")))
            {
                return Error(folderName, PluginFailure.NoPluginAssembly,
                    $"{folderName}.dll is not a .NET assembly (damaged, truncated or native code); rebuild the plugin and copy its whole output folder again.");
            }
            return named is null
                ? Error(folderName, PluginFailure.NoPluginAssembly,
                    $"no assembly in the folder carries [assembly: AlignFxPlugin(typeof(...))] and none is named {folderName}.dll.")
                : Error(folderName, PluginFailure.NoModuleAttribute,
                    $"{folderName}.dll has no [assembly: AlignFxPlugin(typeof(...))] attribute naming its module.");
        }
        string name = info.Name.Name!;

        LoadedPlugin? sameName = _plugins.Find(p => p.Name == name);
        if (sameName is not null)
        {
            return Error(name, PluginFailure.DuplicatePlugin, $"a plugin with the same assembly name is already loaded from {sameName.Folder}.");
        }

        // 2. Contract assemblies must be the host's; a shipped copy would be silently ignored, so refuse it.
        var copies = Directory.GetFiles(folder, "*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(SharedAssemblies.IsContract).Order(StringComparer.Ordinal).ToList();
        if (copies.Count > 0)
        {
            return Error(name, PluginFailure.ShipsContractAssembly,
                $"it ships its own copy of the contract assembl{(copies.Count == 1 ? "y" : "ies")} {string.Join(", ", copies.Select(c => c + ".dll"))}; "
                + "contract assemblies always come from the host. Reference them with Private=false and ExcludeAssets=runtime "
                + "(plugins/Directory.Build.props does) and delete the copies from the plugin folder.");
        }

        // 3. Versions of the shared assemblies it was compiled against.
        foreach (AssemblyName reference in info.References)
        {
            if (reference.Name is not { } refName || !SharedAssemblies.IsShared(refName))
            {
                continue;
            }
            Version? host = SharedAssemblies.HostVersion(refName);
            Version wanted = reference.Version ?? new Version(0, 0);
            if (refName == AlignFxContracts.AssemblyName && !AlignFxContracts.IsCompatible(wanted))
            {
                return Error(name, PluginFailure.IncompatibleContractVersion,
                    $"it was built against {refName} {wanted}, but this host has {AlignFxContracts.Version} "
                    + $"(a plugin needs major version {AlignFxContracts.Version.Major} and minor version {AlignFxContracts.Version.Minor} or lower); rebuild it against this host's contracts.");
            }
            if (refName == SharedAssemblies.EvaluationAssembly && host is not null && wanted.Major != host.Major)
            {
                return Error(name, PluginFailure.IncompatibleContractVersion,
                    $"it was built against {refName} {wanted}, but this host has {host} (a plugin needs major version {host.Major}); "
                    + "rebuild it against this host's evaluation library.");
            }
            if (host is null)
            {
                return Error(name, PluginFailure.MissingDependency,
                    $"it needs {refName} {wanted}, which the host shares with plugins but cannot provide.");
            }
            if (wanted > host)
            {
                return Error(name, PluginFailure.IncompatibleContractVersion,
                    $"it was built against {refName} {wanted}, newer than this host's {host}; rebuild it against this host's version.");
            }
        }

        // 4. Load it into its own context (McMaster.NETCore.Plugins: private dependencies from the folder through its
        //    .deps.json, shared assemblies always from the host) and resolve every reference now, so a missing file is
        //    reported here. Contexts are not collectible: no command unloads a plugin (serve loads its plugins once), and
        //    the components' types stay referenced from host-side caches (options binding, JSON) for the process's life.
        Assembly assembly;
        try
        {
            var loader = PluginLoader.CreateFromAssemblyFile(info.Path, config =>
            {
                config.IsUnloadable = false;
                config.PreferSharedTypes = false;
                foreach (AssemblyName shared in SharedAssemblies.NamesFor(folder))
                {
                    config.SharedAssemblies.Add(shared);
                }
            });
            assembly = loader.LoadDefaultAssembly();
            string? missing = FindMissingDependency(loader.LoadContext, assembly);
            if (missing is not null)
            {
                return Error(name, PluginFailure.MissingDependency, missing);
            }
        }
        catch (Exception ex) when (ex is FileLoadException or BadImageFormatException or InvalidOperationException or FileNotFoundException)
        {
            return Error(name, PluginFailure.LoadFailed, $"it could not be loaded: {ex.Message}");
        }

        // 5. Create the module and let it register.
        Type? moduleType = assembly.GetCustomAttribute<AlignFxPluginAttribute>()?.ModuleType;
        if (moduleType is null || !typeof(IPluginModule).IsAssignableFrom(moduleType) || moduleType.IsAbstract || moduleType.GetConstructor(Type.EmptyTypes) is null)
        {
            return Error(name, PluginFailure.InvalidModule,
                $"its module type {moduleType?.FullName ?? "(none)"} must be a class implementing {nameof(IPluginModule)} with a public parameterless constructor.");
        }
        var builder = new PluginBuilder(name);
        try
        {
            var module = (IPluginModule)Activator.CreateInstance(moduleType)!;
            module.Register(builder);
        }
        catch (Exception ex)
        {
            Exception cause = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            return Error(name, PluginFailure.RegistrationFailed,
                $"its module {moduleType.FullName} threw while registering: {cause.GetType().Name}: {cause.Message}");
        }

        // 6. Kind and name are unique across plugins.
        foreach (ComponentDescriptor component in builder.Components)
        {
            ComponentDescriptor? existing = Find(component.Kind, component.Name);
            if (existing is not null)
            {
                return Error(name, PluginFailure.DuplicateComponent,
                    $"it registers {component.Kind} '{component.Name}', which plugin '{existing.Plugin}' already registered; a kind and name must be unique across plugins.");
            }
        }

        _services.AddRange(builder.Services);
        plugin = new LoadedPlugin(name, folder, assembly, builder.Components);
        return null;
    }

    /// <summary>Loads the plugin's whole reference closure; returns a message naming the first reference that cannot be found.</summary>
    private static string? FindMissingDependency(System.Runtime.Loader.AssemblyLoadContext context, Assembly plugin)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>();
        pending.Enqueue(plugin);
        while (pending.Count > 0)
        {
            Assembly referencing = pending.Dequeue();
            foreach (AssemblyName reference in referencing.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.Name ?? ""))
                {
                    continue;
                }
                try
                {
                    Assembly dependency = context.LoadFromAssemblyName(reference);
                    if (System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(dependency) == context)
                    {
                        pending.Enqueue(dependency);
                    }
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException)
                {
                    return $"it needs {reference.Name} {reference.Version} (referenced by {referencing.GetName().Name}), "
                        + "which is neither in the plugin folder nor provided by the host.";
                }
            }
        }
        return null;
    }
}
