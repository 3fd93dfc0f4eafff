using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Plugins;

/// <summary>What a candidate plugin assembly says about itself, read from its metadata without loading it.</summary>
internal sealed record PluginAssemblyInfo(string Path, AssemblyName Name, bool HasPluginAttribute, IReadOnlyList<AssemblyName> References)
{
    /// <summary>
    /// Reads the file's metadata, or returns null when it is not a managed assembly (a native library). Reading
    /// metadata first lets the host judge contract versions before the runtime tries to bind anything.
    /// </summary>
    public static PluginAssemblyInfo? TryRead(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return null;
            }
            MetadataReader reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                return null;
            }
            AssemblyDefinition assembly = reader.GetAssemblyDefinition();
            bool hasAttribute = assembly.GetCustomAttributes().Any(h => IsPluginAttribute(reader, reader.GetCustomAttribute(h)));
            var references = reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h).GetAssemblyName()).ToList();
            return new PluginAssemblyInfo(path, assembly.GetAssemblyName(), hasAttribute, references);
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    private static bool IsPluginAttribute(MetadataReader reader, CustomAttribute attribute)
    {
        EntityHandle type = attribute.Constructor.Kind switch
        {
            HandleKind.MemberReference => reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
            HandleKind.MethodDefinition => reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
            _ => default,
        };
        (StringHandle ns, StringHandle name) = type.Kind switch
        {
            HandleKind.TypeReference => (reader.GetTypeReference((TypeReferenceHandle)type).Namespace, reader.GetTypeReference((TypeReferenceHandle)type).Name),
            HandleKind.TypeDefinition => (reader.GetTypeDefinition((TypeDefinitionHandle)type).Namespace, reader.GetTypeDefinition((TypeDefinitionHandle)type).Name),
            _ => (default, default),
        };
        return !name.IsNil
            && reader.StringComparer.Equals(name, nameof(AlignFxPluginAttribute))
            && reader.StringComparer.Equals(ns, typeof(AlignFxPluginAttribute).Namespace!);
    }
}
