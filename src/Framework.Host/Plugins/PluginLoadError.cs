namespace AlignFx.Host.Plugins;

/// <summary>Why a plugin was refused.</summary>
public enum PluginFailure
{
    /// <summary>The folder given does not exist.</summary>
    FolderNotFound,
    /// <summary>The folder holds no assembly with the plugin attribute and none named like the folder.</summary>
    NoPluginAssembly,
    /// <summary>The plugin assembly lacks <c>[assembly: AlignFxPlugin(typeof(Module))]</c>.</summary>
    NoModuleAttribute,
    /// <summary>The attribute names a type that is not a usable <c>IPluginModule</c>.</summary>
    InvalidModule,
    /// <summary>The plugin folder ships its own copy of a contract assembly.</summary>
    ShipsContractAssembly,
    /// <summary>The plugin was built against contract assemblies this host cannot honour.</summary>
    IncompatibleContractVersion,
    /// <summary>An assembly the plugin references is in neither the plugin folder nor the host.</summary>
    MissingDependency,
    /// <summary>The module threw while registering its components.</summary>
    RegistrationFailed,
    /// <summary>A component's kind and name are already registered by another plugin.</summary>
    DuplicateComponent,
    /// <summary>A plugin with the same assembly name is already loaded from another folder.</summary>
    DuplicatePlugin,
    /// <summary>The plugin assembly could not be read or loaded.</summary>
    LoadFailed,
}

/// <summary>A plugin the host refused, with the cause. The other plugins load regardless.</summary>
/// <param name="Plugin">The plugin's name: its assembly's simple name, or the folder's name when no assembly was found.</param>
/// <param name="Folder">The plugin folder (absolute).</param>
/// <param name="Failure">The cause, for programs.</param>
/// <param name="Message">The cause, for people: what is wrong and how to fix it.</param>
public sealed record PluginLoadError(string Plugin, string Folder, PluginFailure Failure, string Message)
{
    /// <summary>One line naming the plugin, its folder and the cause.</summary>
    /// <returns>For example <c>plugin 'Ppo' (/x/plugins/Ppo) refused: ...</c>.</returns>
    public override string ToString() => $"plugin '{Plugin}' ({Folder}) refused: {Message}";
}
