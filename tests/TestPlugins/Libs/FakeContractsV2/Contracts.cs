namespace AlignFx.Abstractions.Plugins;

/// <summary>The plugin attribute as a future contract version might declare it.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class AlignFxPluginAttribute(Type moduleType) : Attribute
{
    /// <summary>The module.</summary>
    public Type ModuleType { get; } = moduleType;
}

/// <summary>A future module contract with a changed registration method.</summary>
public interface IPluginModule
{
    /// <summary>Registers with a name (a breaking change).</summary>
    void Register(string hostName);
}
