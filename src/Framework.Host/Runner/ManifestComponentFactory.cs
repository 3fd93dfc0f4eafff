using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using Microsoft.Extensions.AI;

namespace AlignFx.Host.Runner;

/// <summary>
/// Creates the components a stage's options name. References that came from the manifest were bound and
/// validated before the run started, so their options are reused; references a stage builds itself are bound here.
/// Every chat model goes through <paramref name="wrapChatModel"/> (the run's chat middleware) with its name.
/// </summary>
internal sealed class ManifestComponentFactory(PipelineManifest manifest, IComponentCatalog catalog, IServiceProvider services,
    Func<IChatClient, string, IChatClient>? wrapChatModel = null)
    : IComponentFactory
{
    private readonly ComponentFactory _fallback = new(catalog, services);

    public T Create<T>(ComponentRef reference) where T : class
    {
        T component = CreateComponent<T>(reference);
        return wrapChatModel is not null && component is IChatClient chat && wrapChatModel(chat, reference.Name) is T wrapped ? wrapped : component;
    }

    private T CreateComponent<T>(ComponentRef reference) where T : class
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (manifest.Resolve(reference) is not { } bound)
        {
            return _fallback.Create<T>(reference);
        }
        return ComponentActivator.As<T>(ComponentActivator.Create(services, bound.Descriptor, bound.Options), bound.Descriptor);
    }
}
