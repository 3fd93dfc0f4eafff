using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AlignFx.Host.Manifests;

/// <summary>
/// The option path of a compare's <c>sweep</c> or an arm's <c>set</c>, written as errors are reported (<c>$.stages[2].optimizer.options.klCoefficient</c>),
/// and the setting of a value there in a copy of the base pipeline.
/// </summary>
internal sealed partial class OptionPath
{
    private readonly IReadOnlyList<object> _segments; // string: a property; int: an array index

    private OptionPath(IReadOnlyList<object> segments) => _segments = segments;

    /// <summary>The option the path ends at (<c>klCoefficient</c>): the default name of the swept arms.</summary>
    public string LastProperty => (string)_segments[^1];

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="error"/> saying what is wrong.</summary>
    public static OptionPath? Parse(string text, out string? error)
    {
        error = null;
        if (!text.StartsWith(JsonPath.Root, StringComparison.Ordinal))
        {
            error = $"expected a path from the base pipeline's root, such as '$.stages[2].optimizer.options.klCoefficient', found '{text}'";
            return null;
        }

        var segments = new List<object>();
        var rest = text[JsonPath.Root.Length..];
        while (rest.Length > 0)
        {
            var match = Segment().Match(rest);
            if (!match.Success)
            {
                error = $"cannot read '{rest}' in '{text}'; write properties as .name and array items as [index]";
                return null;
            }

            segments.Add(match.Groups["name"].Success
                ? match.Groups["name"].Value
                : int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture));
            rest = rest[match.Length..];
        }

        if (segments.Count == 0 || segments[^1] is not string)
        {
            error = $"'{text}' names no option; end it with the option's name";
            return null;
        }

        return new OptionPath(segments);
    }

    /// <summary>
    /// A copy of <paramref name="pipeline"/> with <paramref name="value"/> at this path, or null with
    /// <paramref name="error"/>. Objects the path passes through are created when absent (an option left at its default
    /// can be swept); a component given by name alone (<c>"optimizer": "ppo"</c>) becomes <c>{ "name": "ppo" }</c> when
    /// the path goes into its options; array items must exist.
    /// </summary>
    public JsonNode? SetIn(JsonNode pipeline, JsonNode? value, out string? error)
    {
        error = null;
        var root = pipeline.DeepClone();
        JsonNode current = root;
        var walked = JsonPath.Root;
        for (var i = 0; i < _segments.Count; i++)
        {
            var last = i == _segments.Count - 1;
            switch (_segments[i], current)
            {
                case (string name, JsonObject obj):
                    if (last)
                    {
                        obj[name] = value?.DeepClone();
                        return root;
                    }

                    var next = obj[name];
                    if (next is JsonValue shorthand && shorthand.TryGetValue<string>(out var componentName) && _segments[i + 1] is string)
                        obj[name] = next = new JsonObject { ["name"] = componentName };
                    else if (next is null)
                        obj[name] = next = _segments[i + 1] is string ? new JsonObject() : null;
                    if (next is null)
                    {
                        error = $"the base has no array at {JsonPath.Property(walked, name)} to index";
                        return null;
                    }

                    current = next;
                    walked = JsonPath.Property(walked, name);
                    break;
                case (int index, JsonArray array):
                    if (index >= array.Count)
                    {
                        error = $"the base's {walked} has {array.Count} items, so [{index}] is not one of them";
                        return null;
                    }

                    if (last)
                    {
                        array[index] = value?.DeepClone();
                        return root;
                    }

                    current = array[index] ?? new JsonObject();
                    walked = JsonPath.Index(walked, index);
                    break;
                default:
                    error = $"the base's {walked} is {Describe(current)}, so the path cannot go on into {Describe(_segments[i])}";
                    return null;
            }
        }

        return root;
    }

    private static string Describe(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "an array",
        _ => $"the value {node.ToJsonString()}",
    };

    private static string Describe(object segment) => segment is int index ? $"item [{index}]" : $"property '{segment}'";

    [GeneratedRegex(@"^(?:\.(?<name>[A-Za-z_$][A-Za-z0-9_$]*)|\[(?<index>[0-9]{1,9})\])")]
    private static partial Regex Segment();
}
