using AlignFx.Host.Runner;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>
/// The JSON Schema (draft 2020-12) of pipeline and compare manifests for the components registered now, so an
/// editor can complete and check manifests: every component's options with their types, defaults, descriptions,
/// ranges, enums and required fields; stages as a <c>oneOf</c> keyed on their <c>stage</c> name; component
/// references by kind, with each name's options chosen by <c>if</c>/<c>then</c>.
/// </summary>
public static class ManifestSchema
{
    private const string Draft = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>The schema as indented JSON text (what <c>alignfx schema</c> prints).</summary>
    public static string GenerateText(IComponentCatalog catalog) => CanonicalJson.Write(Generate(catalog));

    /// <summary>Builds the schema for the components in <paramref name="catalog"/>.</summary>
    public static JsonObject Generate(IComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var definitions = new JsonObject();
        var kinds = ComponentKinds.All
            .Concat(catalog.Components.Select(c => c.Kind))
            .Concat(catalog.Components.SelectMany(c => ReferencedKinds(c.OptionsType, [])))
            .Distinct(StringComparer.Ordinal)
            .Where(k => k != ComponentKinds.Stage)
            .ToList();

        definitions["pipeline"] = Pipeline();
        definitions["compare"] = Compare();
        definitions["pluginFolders"] = new JsonObject
        {
            ["type"] = "array",
            ["description"] = "Plugin folders to load before the manifest is checked; relative paths start at the manifest's folder.",
            ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
        };
        definitions["stage"] = Stage(catalog, definitions);
        foreach (var kind in kinds)
            definitions[$"component.{kind}"] = Reference(kind, catalog, definitions);

        return new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = "AlignFx manifest",
            ["description"] = "A pipeline manifest (task, policy, stages) or a compare manifest (arms over seeds with matched budgets).",
            ["oneOf"] = new JsonArray(
                new JsonObject { ["$ref"] = "#/$defs/pipeline", ["required"] = new JsonArray("name") },
                new JsonObject { ["$ref"] = "#/$defs/compare" }),
            ["$defs"] = definitions,
        };
    }

    private static JsonObject Pipeline() => new()
    {
        ["type"] = "object",
        ["description"] = "A pipeline: a task, a policy and stages run in order.",
        ["properties"] = new JsonObject
        {
            ["$schema"] = new JsonObject { ["type"] = "string" },
            ["name"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "The pipeline's name." },
            ["description"] = new JsonObject { ["type"] = "string" },
            ["seed"] = new JsonObject { ["type"] = "integer", ["default"] = 0, ["description"] = "The run seed every component's random stream derives from." },
            ["device"] = new JsonObject
            {
                ["type"] = "string",
                ["default"] = "cpu",
                ["pattern"] = TensorDevices.Pattern,
                ["description"] = "The tensor device: cpu (the managed backend), torch:cpu (libtorch) or cuda[:n]; --device overrides it.",
            },
            ["plugins"] = new JsonObject { ["$ref"] = "#/$defs/pluginFolders" },
            ["task"] = new JsonObject { ["$ref"] = $"#/$defs/component.{ComponentKinds.Task}" },
            ["policy"] = new JsonObject { ["$ref"] = $"#/$defs/component.{ComponentKinds.Policy}" },
            ["stages"] = new JsonObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["description"] = "The stages, in run order.",
                ["items"] = new JsonObject { ["$ref"] = "#/$defs/stage" },
            },
        },
        ["required"] = new JsonArray("task", "policy", "stages"),
        ["additionalProperties"] = false,
    };

    private static JsonObject Compare() => new()
    {
        ["type"] = "object",
        ["description"] = "A comparison: arms run over the same seeds, spending matched budgets.",
        ["properties"] = new JsonObject
        {
            ["$schema"] = new JsonObject { ["type"] = "string" },
            ["name"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
            ["description"] = new JsonObject { ["type"] = "string" },
            ["seeds"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["uniqueItems"] = true, ["items"] = new JsonObject { ["type"] = "integer" } },
            ["plugins"] = new JsonObject { ["$ref"] = "#/$defs/pluginFolders" },
            ["base"] = new JsonObject { ["$ref"] = "#/$defs/pipeline", ["description"] = "The pipeline that arms with 'overrides' patch." },
            ["arms"] = new JsonObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["items"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["name"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                        ["pipeline"] = new JsonObject { ["$ref"] = "#/$defs/pipeline" },
                        ["overrides"] = new JsonObject { ["type"] = "object", ["description"] = "A JSON merge patch (RFC 7396) applied to 'base'; null removes a field." },
                        ["set"] = new JsonObject
                        {
                            ["type"] = "object",
                            ["description"] = "Options of 'base' set by path, after any overrides: { \"$.stages[1].source\": \"gold\" }.",
                            ["propertyNames"] = new JsonObject { ["pattern"] = "^\\$" },
                        },
                    },
                    ["required"] = new JsonArray("name"),
                    ["oneOf"] = new JsonArray(
                        new JsonObject { ["required"] = new JsonArray("pipeline") },
                        new JsonObject
                        {
                            ["anyOf"] = new JsonArray(
                                new JsonObject { ["required"] = new JsonArray("overrides") },
                                new JsonObject { ["required"] = new JsonArray("set") }),
                        }),
                    ["additionalProperties"] = false,
                },
            },
            ["sweep"] = new JsonObject
            {
                ["type"] = "object",
                ["description"] = "Arms made from 'base' by setting the option at 'path' to each of 'values'; each arm is named name=value.",
                ["properties"] = new JsonObject
                {
                    ["path"] = new JsonObject { ["type"] = "string", ["pattern"] = "^\\$", ["description"] = "The option's path in base, such as $.stages[2].optimizer.options.klCoefficient." },
                    ["values"] = new JsonObject { ["type"] = "array", ["minItems"] = 1 },
                    ["name"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "The arms' name before '='; default: the path's last property." },
                },
                ["required"] = new JsonArray("path", "values"),
                ["additionalProperties"] = false,
            },
            ["budgets"] = new JsonObject
            {
                ["type"] = "object",
                ["description"] = "Budgets every arm must spend equally: an amount, or true for 'equal, any amount'.",
                ["additionalProperties"] = new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "number", ["minimum"] = 0 },
                        new JsonObject { ["const"] = true }),
                },
            },
            ["report"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["metrics"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 } },
                    ["baseline"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "The arm every other arm is tested against; default: the first." },
                    ["curves"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["description"] = "Metrics the report plots against another metric logged at the same steps, one line per arm: { \"x\": \"eval/sqrt_kl\", \"y\": [\"eval/proxy_reward\", \"gold/accuracy\"] }.",
                        ["properties"] = new JsonObject
                        {
                            ["x"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                            ["y"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 } },
                        },
                        ["required"] = new JsonArray("x", "y"),
                        ["additionalProperties"] = false,
                    },
                    ["fits"] = new JsonObject
                    {
                        ["type"] = "array",
                        ["description"] = "Gao et al. (2022) fits the report runs over arms: the form's gold gain against d = sqrt(KL), both metrics logged by the same stage at the same steps: { \"form\": \"rl\", \"x\": \"eval/sqrt_kl\", \"y\": \"gold/reward_mean\", \"arms\": [...] } (arms: default every arm).",
                        ["items"] = new JsonObject
                        {
                            ["type"] = "object",
                            ["properties"] = new JsonObject
                            {
                                ["form"] = new JsonObject { ["enum"] = new JsonArray([.. CompareFitForms.All.Select(f => (JsonNode)f)]) },
                                ["x"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                                ["y"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                                ["arms"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 } },
                            },
                            ["required"] = new JsonArray("form", "x", "y"),
                            ["additionalProperties"] = false,
                        },
                    },
                },
                ["additionalProperties"] = false,
            },
        },
        ["required"] = new JsonArray("name", "seeds"),
        ["anyOf"] = new JsonArray(
            new JsonObject { ["required"] = new JsonArray("arms") },
            new JsonObject { ["required"] = new JsonArray("sweep") }),
        ["additionalProperties"] = false,
    };

    private static JsonObject Stage(IComponentCatalog catalog, JsonObject definitions)
    {
        var stages = catalog.Components.Where(c => c.Kind == ComponentKinds.Stage).ToList();
        var branches = new JsonArray();
        foreach (var stage in stages)
        {
            var key = $"options.{ComponentKinds.Stage}.{stage.Name}";
            var schema = OptionsSchema(stage.OptionsType, stage.Description, []);
            var properties = (JsonObject)schema["properties"]!;
            // The stage's own keys come first, then its flattened options.
            var flattened = new JsonObject
            {
                ["stage"] = new JsonObject { ["const"] = stage.Name },
                ["id"] = new JsonObject
                {
                    ["type"] = "string",
                    ["pattern"] = "^[A-Za-z0-9][A-Za-z0-9._-]*$",
                    ["description"] = "A unique id for the stage (default: the stage name).",
                },
            };
            foreach (var (name, value) in properties.ToList())
            {
                properties.Remove(name);
                flattened[name] = value;
            }

            schema["properties"] = flattened;
            var required = schema["required"] as JsonArray ?? [];
            required.Insert(0, "stage");
            schema.Remove("required");
            schema.Remove("additionalProperties");
            schema["required"] = required;
            schema["additionalProperties"] = false;
            definitions[key] = schema;
            branches.Add(new JsonObject { ["$ref"] = $"#/$defs/{key}" });
        }

        var result = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "A stage: 'stage' names the stage component; its other keys (except 'id') are that stage's options.",
            ["properties"] = new JsonObject { ["stage"] = NameEnum(stages) },
            ["required"] = new JsonArray("stage"),
        };
        if (branches.Count > 0)
            result["oneOf"] = branches;
        return result;
    }

    private static JsonObject Reference(string kind, IComponentCatalog catalog, JsonObject definitions)
    {
        var accepted = ComponentKinds.Accepting(kind).ToList();
        // A kind's own components first: where an oversight method shares a feedback source's name, the source wins.
        var components = catalog.Components.Where(c => accepted.Contains(c.Kind))
            .GroupBy(c => c.Name).Select(g => g.OrderBy(c => accepted.IndexOf(c.Kind)).First()).ToList();
        var conditions = new JsonArray();
        foreach (var component in components)
        {
            var key = $"options.{component.Kind}.{component.Name}";
            definitions[key] = OptionsSchema(component.OptionsType, component.Description, []);
            conditions.Add(new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["properties"] = new JsonObject { ["name"] = new JsonObject { ["const"] = component.Name } },
                    ["required"] = new JsonArray("name"),
                },
                ["then"] = new JsonObject
                {
                    ["properties"] = new JsonObject { ["options"] = new JsonObject { ["$ref"] = $"#/$defs/{key}" } },
                },
            });
        }

        var byObject = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["name"] = NameEnum(components),
                ["options"] = new JsonObject { ["type"] = new JsonArray("object", "null") },
            },
            ["required"] = new JsonArray("name"),
            ["additionalProperties"] = false,
        };
        if (conditions.Count > 0)
            byObject["allOf"] = conditions;
        return new JsonObject
        {
            ["description"] = $"{char.ToUpperInvariant(KindWords.WithArticle(kind)[0])}{KindWords.WithArticle(kind)[1..]}: its name, or {{ \"name\": ..., \"options\": {{ ... }} }}.",
            ["anyOf"] = new JsonArray(NameEnum(components), byObject),
        };
    }

    private static JsonObject NameEnum(IReadOnlyList<ComponentDescriptor> components)
    {
        var result = new JsonObject { ["type"] = "string" };
        if (components.Count > 0)
        {
            result["enum"] = new JsonArray([.. components.Select(c => (JsonNode)c.Name)]);
            // Editors that read enumDescriptions show each component's one-line description while completing.
            result["enumDescriptions"] = new JsonArray([.. components.Select(c => (JsonNode)c.Description)]);
        }

        return result;
    }

    private static JsonObject OptionsSchema(Type type, string? description, HashSet<Type> visiting)
    {
        var result = new JsonObject { ["type"] = "object" };
        if (!string.IsNullOrEmpty(description ??= type.GetCustomAttribute<DescriptionAttribute>()?.Description))
            result["description"] = description;
        if (!visiting.Add(type))
            return result; // A class that contains itself: stop here rather than recurse forever.

        object? defaults = null;
        try
        {
            defaults = Activator.CreateInstance(type);
        }
        catch (Exception ex) when (ex is MissingMethodException or TargetInvocationException or MemberAccessException)
        {
            // Without an instance there are no defaults to show; the binder reports the broken class.
        }

        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var (name, property) in OptionsBinder.OptionProperties(type))
        {
            var schema = PropertySchema(property, visiting);
            var value = defaults is null ? null : property.GetValue(defaults);
            if (defaults is not null && DefaultNode(value) is { } node)
                schema["default"] = node;
            if (property.GetCustomAttribute<RequiredAttribute>() is { } req && !req.IsValid(value))
                required.Add(name);
            properties[name] = schema;
        }

        visiting.Remove(type);
        result["properties"] = properties;
        if (required.Count > 0)
            result["required"] = required;
        result["additionalProperties"] = false;
        return result;
    }

    private static JsonNode? DefaultNode(object? value) => value switch
    {
        null => null,
        ComponentRef reference => reference.Name.Length == 0 ? null
            : reference.Options is null ? reference.Name
            : new JsonObject { ["name"] = reference.Name, ["options"] = ManifestLoader.ToNode(reference.Options.Value) },
        JsonElement element => ManifestLoader.ToNode(element),
        _ => CanonicalJson.Options(new Holder(value), new Dictionary<ComponentRef, BoundComponent>())["value"]?.DeepClone(),
    };

    /// <summary>Lets the canonical writer turn one value into JSON the same way it writes options.</summary>
    private sealed class Holder(object? value)
    {
        public object? Value { get; set; } = value;
    }

    private static JsonObject PropertySchema(PropertyInfo property, HashSet<Type> visiting)
    {
        // A [Required] option may be declared nullable (to have no default) but a manifest may not write null.
        var info = property.IsDefined(typeof(RequiredAttribute)) ? null : new NullabilityInfoContext().Create(property);
        var kind = property.GetCustomAttribute<ComponentKindAttribute>()?.Kind;
        var schema = TypeSchema(property.IsDefined(typeof(RequiredAttribute)) ? Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType : property.PropertyType, info, kind, visiting);
        if (property.GetCustomAttribute<DescriptionAttribute>()?.Description is { Length: > 0 } description)
            schema["description"] = description;

        var isString = property.PropertyType == typeof(string);
        foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
        {
            switch (attribute)
            {
                case RangeAttribute range:
                    if (!ValidationMessages.IsUnbounded(range.Minimum, low: true) && ToNumber(range.Minimum) is { } min)
                        schema[range.MinimumIsExclusive ? "exclusiveMinimum" : "minimum"] = min;
                    if (!ValidationMessages.IsUnbounded(range.Maximum, low: false) && ToNumber(range.Maximum) is { } max)
                        schema[range.MaximumIsExclusive ? "exclusiveMaximum" : "maximum"] = max;
                    break;
                case RegularExpressionAttribute regex:
                    schema["pattern"] = regex.Pattern;
                    break;
                case MinLengthAttribute minLength:
                    schema[isString ? "minLength" : "minItems"] = minLength.Length;
                    break;
                case MaxLengthAttribute maxLength when maxLength.Length >= 0:
                    schema[isString ? "maxLength" : "maxItems"] = maxLength.Length;
                    break;
                case LengthAttribute length:
                    schema[isString ? "minLength" : "minItems"] = length.MinimumLength;
                    schema[isString ? "maxLength" : "maxItems"] = length.MaximumLength;
                    break;
                case StringLengthAttribute stringLength:
                    if (stringLength.MinimumLength > 0)
                        schema["minLength"] = stringLength.MinimumLength;
                    schema["maxLength"] = stringLength.MaximumLength;
                    break;
                case AllowedValuesAttribute allowed:
                    schema["enum"] = new JsonArray([.. allowed.Values.Select(DefaultNode)]);
                    break;
                case RequiredAttribute when isString:
                    schema["minLength"] = 1;
                    break;
            }
        }

        return schema;
    }

    private static double? ToNumber(object? bound) => bound switch
    {
        IConvertible c and not string => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        string s when double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static JsonObject TypeSchema(Type type, NullabilityInfo? info, string? kind, HashSet<Type> visiting)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var nullable = underlying is not null || (!type.IsValueType && info?.WriteState == NullabilityState.Nullable);
        type = underlying ?? type;
        JsonObject schema;
        if (type == typeof(JsonElement))
            return [];
        if (type == typeof(ComponentRef))
            schema = kind is null ? [] : new JsonObject { ["$ref"] = $"#/$defs/component.{kind}" };
        else if (type == typeof(string))
            schema = new JsonObject { ["type"] = "string" };
        else if (type == typeof(bool))
            schema = new JsonObject { ["type"] = "boolean" };
        else if (OptionsBinder.IsInteger(type))
            schema = new JsonObject { ["type"] = "integer" };
        else if (OptionsBinder.IsReal(type))
            schema = new JsonObject { ["type"] = "number" };
        else if (type.IsEnum)
            schema = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. OptionsBinder.EnumNames(type).Keys.Select(n => (JsonNode)n)]) };
        else if (OptionsBinder.CollectionElement(type) is { } element)
            schema = new JsonObject { ["type"] = "array", ["items"] = TypeSchema(element, type.IsArray ? info?.ElementType : info?.GenericTypeArguments.FirstOrDefault(), kind, visiting) };
        else if (OptionsBinder.DictionaryValue(type) is { } value)
            schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = TypeSchema(value, info?.GenericTypeArguments.ElementAtOrDefault(1), kind, visiting) };
        else if (OptionsBinder.IsOptionsClass(type))
            schema = OptionsSchema(type, null, visiting);
        else
            schema = new JsonObject { ["description"] = $"A {type.Name} as JSON." };

        if (!nullable)
            return schema;
        if (schema["type"] is JsonValue single)
        {
            schema["type"] = new JsonArray(single.GetValue<string>(), "null");
            if (schema["enum"] is JsonArray values)
                values.Add(null);
            return schema;
        }

        return schema.Count == 0 ? schema : new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
    }

    /// <summary>The component kinds that options classes reference (so every referenced kind gets a definition).</summary>
    private static IEnumerable<string> ReferencedKinds(Type type, HashSet<Type> visited)
    {
        if (!visited.Add(type))
            yield break;
        foreach (var property in OptionsBinder.OptionProperties(type).Values)
        {
            if (property.GetCustomAttribute<ComponentKindAttribute>() is { } attribute)
                yield return attribute.Kind;
            var nested = OptionsBinder.CollectionElement(property.PropertyType) ?? OptionsBinder.DictionaryValue(property.PropertyType) ?? property.PropertyType;
            if (OptionsBinder.IsOptionsClass(nested) && nested != typeof(ComponentRef))
            {
                foreach (var kind in ReferencedKinds(nested, visited))
                    yield return kind;
            }
        }
    }
}
