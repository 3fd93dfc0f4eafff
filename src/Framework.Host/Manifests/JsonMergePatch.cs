using System.Text.Json.Nodes;

namespace AlignFx.Host.Manifests;

/// <summary>JSON Merge Patch (RFC 7396): how a compare arm's <c>overrides</c> change the base pipeline.</summary>
public static class JsonMergePatch
{
    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="target"/> and returns the result; neither input is changed.
    /// An object patch merges member by member (a null member removes it); any other patch replaces the target.
    /// A C# null stands for JSON null.
    /// </summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result.TryGetPropertyValue(name, out var current);
                var merged = Apply(current, value);
                result[name] = merged;
            }
        }

        return result;
    }
}
