using System.Text.Json;

namespace AlignFx.Abstractions.Plugins;

/// <summary>
/// A reference to a component in a manifest: <c>{ "name": "ppo", "options": { ... } }</c>, or just <c>"ppo"</c>.
/// Options classes declare such properties (with <see cref="ComponentKindAttribute"/>) to nest components, for
/// example an optimise stage's <c>optimizer</c>. The host validates the name and binds the options before any work starts.
/// </summary>
public sealed class ComponentRef
{
    /// <summary>The component's registered name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The component's options as written in the manifest (null: all defaults).</summary>
    public JsonElement? Options { get; set; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>Says which kind of component a <see cref="ComponentRef"/> property must name.</summary>
/// <param name="kind">One of <see cref="ComponentKinds"/>.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ComponentKindAttribute(string kind) : Attribute
{
    /// <summary>The kind the referenced component must have.</summary>
    public string Kind { get; } = kind;

    /// <summary>
    /// A contract the referenced component must also implement (for example <c>IAssistableSource</c> for the feedback
    /// source the <c>assisted</c> source wraps), or null. A manifest naming a component of the kind that does not
    /// implement it is refused at the reference's JSON path, with the components that do. Added in contracts 2.4.
    /// </summary>
    public Type? Contract { get; set; }

    /// <summary>What the contract lets the component do, as the refusal says it ("use critiques"); null: "implement" the contract.</summary>
    public string? ContractPurpose { get; set; }
}

/// <summary>
/// Marks an options property that spends a budget a compare manifest matches across arms
/// (for example <c>[Budget(Budgets.Labels)]</c> on a collect-feedback stage's label count).
/// An arm's spend is the sum of the marked properties over its stages.
/// </summary>
/// <param name="name">The budget's name; see <see cref="Budgets"/>.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class BudgetAttribute(string name) : Attribute
{
    /// <summary>The budget this property spends.</summary>
    public string Name { get; } = name;
}

/// <summary>Budget names a compare manifest can match across arms.</summary>
public static class Budgets
{
    /// <summary>Feedback labels collected.</summary>
    public const string Labels = "labels";
    /// <summary>Policy optimisation steps.</summary>
    public const string OptimizationSteps = "optimizationSteps";
}

/// <summary>The components every loaded plugin registered.</summary>
public interface IComponentCatalog
{
    /// <summary>Every component, in registration order.</summary>
    IReadOnlyList<ComponentDescriptor> Components { get; }

    /// <summary>The component of this kind and name, or null.</summary>
    ComponentDescriptor? Find(string kind, string name);
}
