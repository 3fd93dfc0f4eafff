using System.Reflection;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Cli;

/// <summary>The text of <c>alignfx plugins</c>: components by kind, each with its options and their defaults.</summary>
internal static class PluginListing
{
    private static readonly JsonSerializerOptions DefaultsJson = new(JsonSerializerDefaults.Web)
    {
        // Shown to a person, not embedded in HTML: print '+' and quotes as they are.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // A plugin's default may be infinite ("no limit"); write it as "Infinity" rather than fail.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write(IComponentCatalog catalog, TextWriter output)
    {
        if (catalog.Components.Count == 0)
        {
            output.WriteLine("No components are registered: no plugin was found or every plugin was refused.");
            return;
        }
        foreach (string kind in ComponentKinds.All)
        {
            var components = catalog.Components.Where(c => c.Kind == kind).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            if (components.Count == 0)
            {
                continue;
            }
            output.WriteLine($"{kind}:");
            foreach (ComponentDescriptor component in components)
            {
                output.WriteLine($"  {component.Name}  ({component.Plugin})  {component.Description}");
                foreach (var (name, type, value) in Options(component.OptionsType))
                {
                    output.WriteLine($"      {name}: {type} = {value}");
                }
            }
            output.WriteLine();
        }
    }

    /// <summary>The options a manifest can set: camelCase name, type, and the default (a new instance's value).</summary>
    internal static IEnumerable<(string Name, string Type, string Default)> Options(Type optionsType)
    {
        object? defaults = optionsType.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(optionsType);
        foreach (PropertyInfo property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            object? value = defaults is null ? null : property.GetValue(defaults);
            string shown = value is ComponentRef r ? JsonSerializer.Serialize(new { name = r.Name }, DefaultsJson)
                : JsonSerializer.Serialize(value, property.PropertyType, DefaultsJson);
            yield return (JsonNamingPolicy.CamelCase.ConvertName(property.Name), TypeName(property.PropertyType), shown);
        }
    }

    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return TypeName(inner) + "?";
        }
        if (type.IsEnum)
        {
            return string.Join("|", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName));
        }
        if (type == typeof(ComponentRef))
        {
            return "component";
        }
        if (type.IsGenericType)
        {
            return $"{type.Name[..type.Name.IndexOf('`')].ToLowerInvariant()}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
        }
        return type.Name switch
        {
            "Int32" => "int", "Int64" => "long", "Double" => "number", "Single" => "number", "Boolean" => "bool",
            "String" => "string", _ => type.Name,
        };
    }
}
