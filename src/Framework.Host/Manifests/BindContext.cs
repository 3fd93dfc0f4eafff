using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>
/// What one binding pass shares: the catalog, the errors found so far, and the component references resolved on
/// the way. A pass over a compare arm built from overrides reports paths in the patched pipeline, so it carries a
/// note for its messages and its own way of finding where a path sits in the file.
/// </summary>
internal sealed class BindContext(IComponentCatalog catalog, Func<string, long> positionOf, string messageSuffix = "")
{
    public IComponentCatalog Catalog { get; } = catalog;

    public List<ManifestError> Errors { get; } = [];

    /// <summary>Every component reference bound in this pass, by reference identity.</summary>
    public Dictionary<ComponentRef, BoundComponent> Resolved { get; } = new(ReferenceEqualityComparer.Instance);

    public int ErrorCount => Errors.Count;

    public void Error(string path, string message) =>
        Errors.Add(new ManifestError(path, message) { Position = positionOf(path) });

    /// <summary>The errors as reported: with the note for patched pipelines appended.</summary>
    public IEnumerable<ManifestError> Reported(Func<ManifestError, bool>? keep = null) =>
        Errors.Where(e => keep?.Invoke(e) ?? true).Select(e => messageSuffix.Length == 0 ? e : e with { Message = e.Message + messageSuffix });
}
