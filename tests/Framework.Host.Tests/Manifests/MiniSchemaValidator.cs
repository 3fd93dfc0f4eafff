using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>
/// A small JSON Schema checker for the keywords the manifest schema uses (local $ref, type, properties, required,
/// additionalProperties, items, enum, const, oneOf, anyOf, allOf, if/then, numeric bounds, lengths, pattern,
/// uniqueItems). Written for these tests only: it returns the instance paths that fail, so a test can say why.
/// </summary>
internal sealed class MiniSchemaValidator(JsonObject root)
{
    public List<string> Validate(JsonNode? instance)
    {
        var failures = new List<string>();
        Check(root, instance, "$", failures);
        return failures;
    }

    private bool Check(JsonNode? schemaNode, JsonNode? instance, string path, List<string> failures)
    {
        if (schemaNode is JsonValue boolean && boolean.TryGetValue<bool>(out var allowed))
            return allowed || Fail(failures, path, "schema false");
        var schema = schemaNode!.AsObject();
        var ok = true;
        if (schema["$ref"] is { } reference)
        {
            var target = root;
            foreach (var part in reference.GetValue<string>().TrimStart('#', '/').Split('/'))
                target = target[part]!.AsObject();
            ok &= Check(target, instance, path, failures);
        }

        if (schema["type"] is { } type)
        {
            var types = type is JsonArray list ? list.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            if (!types.Any(t => HasType(instance, t)))
                return Fail(failures, path, $"type {string.Join("|", types)}");
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, instance)))
            ok = Fail(failures, path, $"enum {values.ToJsonString()}");
        if (schema.ContainsKey("const") && !JsonNode.DeepEquals(schema["const"], instance))
            ok = Fail(failures, path, $"const {schema["const"]?.ToJsonString()}");

        if (instance is JsonObject obj)
        {
            var properties = schema["properties"] as JsonObject;
            foreach (var name in (schema["required"] as JsonArray ?? []).Select(n => n!.GetValue<string>()))
            {
                if (!obj.ContainsKey(name))
                    ok = Fail(failures, path, $"required {name}");
            }

            foreach (var (name, value) in obj)
            {
                var childPath = $"{path}.{name}";
                if (properties?[name] is { } propertySchema)
                    ok &= Check(propertySchema, value, childPath, failures);
                else if (schema["additionalProperties"] is { } additional)
                    ok &= Check(additional, value, childPath, failures);
            }
        }

        if (instance is JsonArray array)
        {
            if (schema["items"] is { } items)
            {
                for (var i = 0; i < array.Count; i++)
                    ok &= Check(items, array[i], $"{path}[{i}]", failures);
            }

            if (schema["minItems"] is { } minItems && array.Count < minItems.GetValue<int>())
                ok = Fail(failures, path, "minItems");
            if (schema["uniqueItems"]?.GetValue<bool>() == true && array.Select(a => a?.ToJsonString()).Distinct().Count() != array.Count)
                ok = Fail(failures, path, "uniqueItems");
        }

        if (instance is JsonValue value1 && value1.GetValueKind() == JsonValueKind.Number)
        {
            var number = Num(value1);
            if (schema["minimum"] is { } min && number < Num(min))
                ok = Fail(failures, path, "minimum");
            if (schema["maximum"] is { } max && number > Num(max))
                ok = Fail(failures, path, "maximum");
            if (schema["exclusiveMinimum"] is { } xmin && number <= Num(xmin))
                ok = Fail(failures, path, "exclusiveMinimum");
            if (schema["exclusiveMaximum"] is { } xmax && number >= Num(xmax))
                ok = Fail(failures, path, "exclusiveMaximum");
        }

        if (instance is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            var s = text.GetValue<string>();
            if (schema["minLength"] is { } minLength && s.Length < minLength.GetValue<int>())
                ok = Fail(failures, path, "minLength");
            if (schema["pattern"] is { } pattern && !Regex.IsMatch(s, pattern.GetValue<string>()))
                ok = Fail(failures, path, "pattern");
        }

        foreach (var sub in schema["allOf"] as JsonArray ?? [])
            ok &= Check(sub, instance, path, failures);
        if (schema["anyOf"] is JsonArray anyOf && !anyOf.Any(s => Check(s, instance, path, [])))
            ok = Fail(failures, path, "anyOf: " + string.Join(" / ", anyOf.Select(s => string.Join(", ", Explain(s, instance, path)))));
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var passing = oneOf.Count(s => Check(s, instance, path, []));
            if (passing != 1)
                ok = Fail(failures, path, $"oneOf matched {passing}: " + string.Join(" / ", oneOf.Select(s => string.Join(", ", Explain(s, instance, path)))));
        }

        if (schema["if"] is { } condition && Check(condition, instance, path, []) && schema["then"] is { } then)
            ok &= Check(then, instance, path, failures);
        return ok;
    }

    private List<string> Explain(JsonNode? schema, JsonNode? instance, string path)
    {
        var failures = new List<string>();
        Check(schema, instance, path, failures);
        return failures;
    }

    private static bool HasType(JsonNode? instance, string type) => (type, instance) switch
    {
        ("null", null) => true,
        ("object", JsonObject) => true,
        ("array", JsonArray) => true,
        ("string", JsonValue v) => v.GetValueKind() == JsonValueKind.String,
        ("boolean", JsonValue v) => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        ("number", JsonValue v) => v.GetValueKind() == JsonValueKind.Number,
        ("integer", JsonValue v) => v.GetValueKind() == JsonValueKind.Number && Math.Floor(Num(v)) == Num(v),
        _ => false,
    };

    private static double Num(JsonNode node) => double.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    private static bool Fail(List<string> failures, string path, string what)
    {
        failures.Add($"{path}: {what}");
        return false;
    }
}
