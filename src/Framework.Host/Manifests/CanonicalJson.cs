using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>
/// Writes the effective manifest: every option with its bound value (defaults included), property order as declared,
/// enums as camelCase strings, nested component references with their effective options.
/// </summary>
internal static class CanonicalJson
{
    internal static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // A plugin's default may be infinite ("no limit"); write it as "Infinity" rather than fail.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(JsonNode node) => node.ToJsonString(SerializerOptions) + "\n";

    public static JsonObject Pipeline(PipelineManifest pipeline)
    {
        var result = new JsonObject { ["name"] = pipeline.Name };
        if (pipeline.Description is not null)
            result["description"] = pipeline.Description;
        result["seed"] = pipeline.Seed;
        if (pipeline.Device is not null)
            result["device"] = pipeline.Device;
        result["plugins"] = new JsonArray([.. pipeline.PluginDirectories.Select(d => (JsonNode)d)]);
        result["task"] = Component(pipeline.Task, pipeline.Nested);
        result["policy"] = Component(pipeline.Policy, pipeline.Nested);
        var stages = new JsonArray();
        foreach (var stage in pipeline.Stages)
        {
            var node = new JsonObject { ["stage"] = stage.Component.Descriptor.Name, ["id"] = stage.Id };
            foreach (var (name, value) in Options(stage.Component.Options, pipeline.Nested))
                node[name] = value?.DeepClone();
            stages.Add(node);
        }

        result["stages"] = stages;
        return result;
    }

    public static JsonObject Compare(CompareManifest compare)
    {
        var result = new JsonObject { ["name"] = compare.Name };
        if (compare.Description is not null)
            result["description"] = compare.Description;
        result["seeds"] = new JsonArray([.. compare.Seeds.Select(s => (JsonNode)s)]);
        result["plugins"] = new JsonArray([.. compare.PluginDirectories.Select(d => (JsonNode)d)]);
        var budgets = new JsonObject();
        foreach (var (name, amount) in compare.Budgets)
            budgets[name] = amount is { } a ? JsonValue.Create(a) : JsonValue.Create(true);
        result["budgets"] = budgets;
        result["arms"] = new JsonArray([.. compare.Arms.Select(arm => (JsonNode)new JsonObject
        {
            ["name"] = arm.Name,
            ["pipeline"] = Pipeline(arm.Pipeline),
        })]);
        result["report"] = new JsonObject
        {
            ["metrics"] = new JsonArray([.. compare.ReportMetrics.Select(m => (JsonNode)m)]),
            ["baseline"] = compare.Baseline,
        };
        if (compare.Curves is { } curves)
        {
            result["report"]!["curves"] = new JsonObject
            {
                ["x"] = curves.X,
                ["y"] = new JsonArray([.. curves.Y.Select(m => (JsonNode)m)]),
            };
        }
        if (compare.Fits.Count > 0)
        {
            result["report"]!["fits"] = new JsonArray([.. compare.Fits.Select(f => (JsonNode)new JsonObject
            {
                ["form"] = f.Form,
                ["x"] = f.X,
                ["y"] = f.Y,
                ["arms"] = new JsonArray([.. f.Arms.Select(a => (JsonNode)a)]),
            })]);
        }
        return result;
    }

    private static JsonObject Component(BoundComponent component, IReadOnlyDictionary<ComponentRef, BoundComponent> nested) => new()
    {
        ["name"] = component.Descriptor.Name,
        ["options"] = Options(component.Options, nested),
    };

    /// <summary>An options object as JSON, every bindable property written.</summary>
    public static JsonObject Options(object options, IReadOnlyDictionary<ComponentRef, BoundComponent> nested)
    {
        var result = new JsonObject();
        foreach (var (name, property) in OptionsBinder.OptionProperties(options.GetType()))
            result[name] = Value(property.GetValue(options), nested);
        return result;
    }

    private static JsonNode? Value(object? value, IReadOnlyDictionary<ComponentRef, BoundComponent> nested)
    {
        switch (value)
        {
            case null:
                return null;
            case ComponentRef reference:
                return nested.TryGetValue(reference, out var bound)
                    ? Component(bound, nested)
                    : new JsonObject { ["name"] = reference.Name, ["options"] = reference.Options is { } o ? ManifestLoader.ToNode(o) : null };
            case JsonElement element:
                return ManifestLoader.ToNode(element);
            case string or bool or Enum:
                return JsonSerializer.SerializeToNode(value, SerializerOptions);
            case IDictionary dictionary:
            {
                var result = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                    result[(string)entry.Key] = Value(entry.Value, nested);
                return result;
            }

            case IEnumerable items:
                return new JsonArray([.. items.Cast<object?>().Select(i => Value(i, nested))]);
        }

        var type = value.GetType();
        return OptionsBinder.IsInteger(type) || OptionsBinder.IsReal(type) || !OptionsBinder.IsOptionsClass(type)
            ? JsonSerializer.SerializeToNode(value, type, SerializerOptions)
            : Options(value, nested);
    }
}
