namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// The version of the contracts in this assembly and the rule that decides whether a plugin built against
/// another version may load.
/// </summary>
/// <remarks>
/// The assembly version of <c>Framework.Abstractions</c> is <c>Major.Minor.0.0</c>. A change that removes or
/// alters a contract member raises <see cref="Major"/>; a change that only adds members raises <see cref="Minor"/>.
/// A plugin is compatible when it was built against the same major version and a minor version no newer than
/// the host's (a newer minor may call members this host lacks).
/// </remarks>
public static class AlignFxContracts
{
    /// <summary>The contracts' major version; plugins must be built against the same one.</summary>
    public const int Major = 2;

    /// <summary>The contracts' minor version; plugins must be built against this one or an older one.</summary>
    public const int Minor = 5;

    /// <summary>The version of the contracts this process runs with (the loaded assembly's version).</summary>
    public static Version Version { get; } = typeof(AlignFxContracts).Assembly.GetName().Version ?? new Version(Major, Minor);

    /// <summary>The name of the contract assembly, as plugins reference it.</summary>
    public static string AssemblyName { get; } = typeof(AlignFxContracts).Assembly.GetName().Name!;

    /// <summary>Whether a plugin that references the contracts at <paramref name="builtAgainst"/> may load in this host.</summary>
    /// <param name="builtAgainst">The <c>Framework.Abstractions</c> version the plugin's assembly references.</param>
    /// <returns>True when the major versions are equal and the plugin's minor version is no newer than the host's.</returns>
    public static bool IsCompatible(Version builtAgainst)
    {
        ArgumentNullException.ThrowIfNull(builtAgainst);
        return builtAgainst.Major == Version.Major && builtAgainst.Minor <= Version.Minor;
    }
}
