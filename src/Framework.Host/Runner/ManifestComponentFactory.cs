using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;

namespace AlignFx.Host.Runner;

/// <summary>
/// Creates the components a stage's options name. References that came from the manifest were bound and
/// validated before the run started, so their options are reused; references a stage builds itself are bound here.
/// </summary>
internal sealed class ManifestComponentFactory(PipelineManifest manifest, IComponentCatalog catalog, IServiceProvider services)
    : IComponentFactory
{
    private readonly ComponentFactory _fallback = new(catalog, services);

    public T Create<T>(ComponentRef reference) where T : class
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (manifest.Resolve(reference) is not { } bound)
        {
            return _fallback.Create<T>(reference);
        }
        return ComponentActivator.As<T>(ComponentActivator.Create(services, bound.Descriptor, bound.Options), bound.Descriptor);
    }
}
