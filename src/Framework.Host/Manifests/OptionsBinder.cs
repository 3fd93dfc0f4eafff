using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>
/// Binds JSON to options classes the way a manifest needs: every problem is recorded (by path) instead of stopping
/// at the first, defaults are the values of a new instance, names are camelCase, enums are strings, and component
/// references are resolved in the catalog and their options bound recursively.
/// </summary>
internal sealed class OptionsBinder(BindContext context)
{
    // Not thread-safe, so one per binder (a binder serves one manifest on one thread).
    private readonly NullabilityInfoContext _nullability = new();

    /// <summary>Binds a component's options (<paramref name="json"/> null: all defaults) and validates them.</summary>
    /// <param name="reservedKeys">Keys of the JSON object that are not options (a stage's <c>stage</c> and <c>id</c>).</param>
    public BoundComponent? BindComponent(ComponentDescriptor descriptor, JsonElement? json, string path, string componentPath, IReadOnlySet<string>? reservedKeys = null)
    {
        var before = context.ErrorCount;
        var owner = $"{KindWords.Singular(descriptor.Kind)} '{descriptor.Name}'";
        var options = BindObject(json, descriptor.OptionsType, path, owner, reservedKeys);
        return options is not null && context.ErrorCount == before ? new BoundComponent(descriptor, options, componentPath) : null;
    }

    /// <summary>Finds a component by kind and name, or records an error that lists the names that exist, closest first.</summary>
    public ComponentDescriptor? Resolve(string kind, string name, string path, string? note = null)
    {
        var found = ComponentKinds.Accepting(kind).Select(k => context.Catalog.Find(k, name)).FirstOrDefault(c => c is not null);
        if (found is not null)
            return found;

        var message = $"unknown {KindWords.Singular(kind)} '{name}'{note}";
        var elsewhere = context.Catalog.Components.FirstOrDefault(c => c.Name == name && !ComponentKinds.Accepting(kind).Contains(c.Kind));
        if (elsewhere is not null)
            message += $" ('{name}' is {KindWords.WithArticle(elsewhere.Kind)}, not {KindWords.WithArticle(kind)})";
        var names = context.Catalog.Components.Where(c => ComponentKinds.Accepting(kind).Contains(c.Kind)).Select(c => c.Name).Distinct().ToList();
        message += names.Count == 0
            ? $"; no {KindWords.Plural(kind)} are registered (is the plugin that provides them loaded?)"
            : $"; the {string.Join(" and ", ComponentKinds.Accepting(kind).Select(KindWords.Plural))} are: {string.Join(", ", NameSuggestions.ClosestFirst(name, names))}";
        context.Error(path, message);
        return null;
    }

    /// <summary>
    /// Binds <c>"name"</c> or <c>{ "name": ..., "options": { ... } }</c> to a <see cref="ComponentRef"/>, resolving the
    /// name in <paramref name="kind"/> and binding its options; the reference keeps the options as written.
    /// </summary>
    public ComponentRef? BindReference(JsonElement json, string kind, string path)
    {
        string name;
        JsonElement? options = null;
        string optionsPath = JsonPath.Property(path, "options");
        switch (json.ValueKind)
        {
            case JsonValueKind.String:
                name = json.GetString()!;
                break;
            case JsonValueKind.Object:
            {
                string? written = null;
                var ok = true;
                foreach (var member in json.EnumerateObject())
                {
                    var memberPath = JsonPath.Property(path, member.Name);
                    if (member.Name == "name")
                    {
                        if (member.Value.ValueKind == JsonValueKind.String)
                            written = member.Value.GetString();
                        else
                            ok = TypeError(memberPath, $"{KindWords.WithArticle(kind)} name (a string)", member.Value);
                    }
                    else if (member.Name == "options")
                    {
                        if (member.Value.ValueKind == JsonValueKind.Object)
                            options = member.Value;
                        else if (member.Value.ValueKind != JsonValueKind.Null)
                            ok = TypeError(memberPath, "an object", member.Value);
                    }
                    else
                    {
                        var hint = NameSuggestions.DidYouMean(member.Name, ["name", "options"]);
                        context.Error(memberPath, hint is null
                            ? $"unknown field '{member.Name}'; a component reference has only 'name' and 'options'"
                            : $"unknown field '{member.Name}'; did you mean '{hint}'?");
                        ok = false;
                    }
                }

                if (written is null)
                {
                    if (ok)
                        context.Error(path, $"missing required field 'name' ({KindWords.WithArticle(kind)} name)");
                    return null;
                }

                name = written;
                break;
            }

            default:
                TypeError(path, $"{KindWords.WithArticle(kind)} name or an object with 'name' and 'options'", json);
                return null;
        }

        var reference = new ComponentRef { Name = name, Options = options?.Clone() };
        var namePath = json.ValueKind == JsonValueKind.Object ? JsonPath.Property(path, "name") : path;
        return BindResolved(reference, kind, path, namePath, optionsPath, options, note: null) ? reference : null;
    }

    private bool BindResolved(ComponentRef reference, string kind, string path, string namePath, string optionsPath, JsonElement? options, string? note)
    {
        if (reference.Name.Length == 0)
        {
            context.Error(namePath, $"{KindWords.WithArticle(kind)} name must not be empty");
            return false;
        }

        var descriptor = Resolve(kind, reference.Name, namePath, note);
        if (descriptor is null)
            return false;
        var bound = BindComponent(descriptor, options, optionsPath, path);
        if (bound is null)
            return false;
        context.Resolved[reference] = bound;
        return true;
    }

    /// <summary>Binds a JSON object (null: nothing written) to a new instance of <paramref name="type"/> and validates it.</summary>
    private object? BindObject(JsonElement? json, Type type, string path, string? owner, IReadOnlySet<string>? reservedKeys)
    {
        if (json is { ValueKind: not JsonValueKind.Object } wrong)
        {
            TypeError(path, "an object", wrong);
            return null;
        }

        object instance;
        try
        {
            instance = Activator.CreateInstance(type)!;
        }
        catch (Exception ex) when (ex is MissingMethodException or TargetInvocationException or MemberAccessException)
        {
            context.Error(path, $"the options class {type.Name} cannot be created (it needs a public parameterless constructor): {ex.GetBaseException().Message}");
            return null;
        }

        var before = context.ErrorCount;
        var properties = OptionProperties(type);
        var written = new HashSet<PropertyInfo>();
        var failed = new HashSet<PropertyInfo>();
        if (json is { } obj)
        {
            foreach (var member in obj.EnumerateObject())
            {
                if (reservedKeys?.Contains(member.Name) == true)
                    continue;
                var memberPath = JsonPath.Property(path, member.Name);
                if (!properties.TryGetValue(member.Name, out var property))
                {
                    UnknownOption(memberPath, member.Name, properties.Keys, owner);
                    continue;
                }

                written.Add(property);
                if (OutOfTypeRange(member.Value, property) is { } range)
                {
                    // A number beyond the property's type (Int32) is refused with the option's own range.
                    context.Error(memberPath, range.MinimumIsExclusive || range.MaximumIsExclusive
                        ? ValidationMessages.Range(range)
                        : $"must be in [{Format(range.Minimum)}, {Format(range.Maximum)}]");
                    failed.Add(property);
                    continue;
                }
                var (ok, value) = BindValue(member.Value, property.PropertyType, memberPath, _nullability.Create(property), property.GetCustomAttribute<ComponentKindAttribute>()?.Kind);
                if (ok)
                    property.SetValue(instance, value);
                else
                    failed.Add(property);
            }
        }

        foreach (var (jsonName, property) in properties)
        {
            if (written.Contains(property))
                continue;
            // References left at their default still name a component: resolve it so the run can create it.
            if (!BindDefaultReferences(instance, property, JsonPath.Property(path, jsonName)))
                failed.Add(property);
        }

        foreach (var (jsonName, property) in properties)
        {
            if (!failed.Contains(property))
            {
                CheckAttributes(instance, property, jsonName, path, written.Contains(property));
                CheckContract(instance, property, JsonPath.Property(path, jsonName));
            }
        }

        CheckRolePrompts(instance, properties, failed, path);

        if (context.ErrorCount == before && instance is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(instance)))
            {
                var members = result.MemberNames.ToList();
                var message = LowerFirst(result.ErrorMessage ?? "is not valid");
                if (members.Count == 0)
                    context.Error(path, message);
                foreach (var member in members)
                    context.Error(JsonPath.Property(path, JsonName(type.GetProperty(member)) ?? member), message);
            }
        }

        return instance;
    }

    private bool BindDefaultReferences(object instance, PropertyInfo property, string path)
    {
        var kind = property.GetCustomAttribute<ComponentKindAttribute>()?.Kind;
        if (kind is null)
            return true;
        const string note = " (the default)";
        switch (property.GetValue(instance))
        {
            case ComponentRef reference:
                return BindResolved(reference, kind, path, path, JsonPath.Property(path, "options"), reference.Options, note);
            case IEnumerable<ComponentRef> references:
                var ok = true;
                var i = 0;
                foreach (var reference in references)
                {
                    var itemPath = JsonPath.Index(path, i++);
                    ok &= BindResolved(reference, kind, itemPath, itemPath, JsonPath.Property(itemPath, "options"), reference.Options, note);
                }

                return ok;
            default:
                return true;
        }
    }

    /// <summary>The option's [Range] when <paramref name="json"/> is a whole number its integer type cannot hold; else null.</summary>
    private static RangeAttribute? OutOfTypeRange(JsonElement json, PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (json.ValueKind != JsonValueKind.Number || !IsInteger(type) || property.GetCustomAttribute<RangeAttribute>() is not { } range)
            return null;
        if (json.TryGetDecimal(out var exact))
        {
            if (decimal.Truncate(exact) != exact)
                return null;
            try
            {
                Convert.ChangeType(exact, type, CultureInfo.InvariantCulture);
                return null;
            }
            catch (OverflowException)
            {
                return range;
            }
        }
        // Beyond decimal (1e300): only a whole number in exponent form gets here; a real number is a type error.
        return double.IsFinite(json.GetDouble()) && Math.Abs(json.GetDouble()) >= 1e28 ? range : null;
    }

    private void UnknownOption(string path, string name, IEnumerable<string> known, string? owner)
    {
        var names = known.ToList();
        var hint = NameSuggestions.DidYouMean(name, names);
        if (hint is not null)
            context.Error(path, $"unknown option '{name}'; did you mean '{hint}'?");
        else if (names.Count == 0)
            context.Error(path, $"unknown option '{name}'; {owner ?? "this object"} takes no options");
        else
            context.Error(path, $"unknown option '{name}'; the options {(owner is null ? "here" : "of " + owner)} are: {string.Join(", ", names)}");
    }

    private (bool Ok, object? Value) BindValue(JsonElement json, Type type, string path, NullabilityInfo? nullability, string? componentKind)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (json.ValueKind == JsonValueKind.Null)
        {
            if (underlying is not null || (!type.IsValueType && nullability?.WriteState == NullabilityState.Nullable) || type == typeof(JsonElement?))
                return (true, null);
            return (TypeError(path, Describe(type), json), null);
        }

        type = underlying ?? type;
        if (type == typeof(JsonElement))
            return (true, json.Clone());
        if (type == typeof(ComponentRef))
        {
            if (componentKind is null)
            {
                context.Error(path, "this option is a component reference without [ComponentKind]; the plugin must say which kind it names");
                return (false, null);
            }

            var reference = BindReference(json, componentKind, path);
            return (reference is not null, reference);
        }

        if (type == typeof(string))
            return json.ValueKind == JsonValueKind.String ? (true, json.GetString()) : (TypeError(path, "a string", json), null);
        if (type == typeof(bool))
            return json.ValueKind is JsonValueKind.True or JsonValueKind.False ? (true, json.GetBoolean()) : (TypeError(path, "true or false", json), null);
        if (type.IsEnum)
            return BindEnum(json, type, path);
        if (IsInteger(type) || IsReal(type))
            return BindNumber(json, type, path);

        if (type.IsArray || CollectionElement(type) is not null)
            return BindCollection(json, type, path, nullability, componentKind);
        if (DictionaryValue(type) is { } valueType)
            return BindDictionary(json, type, valueType, path, nullability, componentKind);
        if (IsOptionsClass(type))
        {
            var before = context.ErrorCount;
            var value = BindObject(json, type, path, owner: null, reservedKeys: null);
            return (value is not null && context.ErrorCount == before, value);
        }

        // Anything else (Guid, TimeSpan, Uri, ...) goes through the serializer's own converters.
        try
        {
            return (true, json.Deserialize(type, CanonicalJson.SerializerOptions));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or FormatException or InvalidOperationException)
        {
            return (TypeError(path, $"a {type.Name}", json), null);
        }
    }

    private (bool, object?) BindNumber(JsonElement json, Type type, string path)
    {
        var expected = IsInteger(type) ? "an integer" : "a number";
        if (json.ValueKind != JsonValueKind.Number)
            return (TypeError(path, expected, json), null);
        if (IsReal(type))
        {
            if (type == typeof(decimal))
                return json.TryGetDecimal(out var m) ? (true, m) : (Fail(path, "is too large for this option"), null);
            var d = json.GetDouble();
            return type == typeof(float) ? (true, (float)d) : (true, d);
        }

        if (!json.TryGetDecimal(out var exact) || decimal.Truncate(exact) != exact)
            return (TypeError(path, expected, json), null);
        try
        {
            return (true, Convert.ChangeType(exact, type, CultureInfo.InvariantCulture));
        }
        catch (OverflowException)
        {
            var min = type.GetField("MinValue")!.GetValue(null);
            var max = type.GetField("MaxValue")!.GetValue(null);
            return (Fail(path, $"must be in [{Format(min)}, {Format(max)}]"), null);
        }
    }

    private (bool, object?) BindEnum(JsonElement json, Type type, string path)
    {
        var names = EnumNames(type);
        var expected = "one of " + string.Join(", ", names.Keys.Select(n => $"'{n}'"));
        if (json.ValueKind != JsonValueKind.String)
            return (TypeError(path, expected, json), null);
        var text = json.GetString()!;
        foreach (var (name, value) in names)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
                return (true, value);
        }

        var hint = NameSuggestions.DidYouMean(text, names.Keys);
        context.Error(path, $"unknown value '{text}'; expected {expected}" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        return (false, null);
    }

    private (bool, object?) BindCollection(JsonElement json, Type type, string path, NullabilityInfo? nullability, string? componentKind)
    {
        if (json.ValueKind != JsonValueKind.Array)
            return (TypeError(path, "an array", json), null);
        var elementType = type.IsArray ? type.GetElementType()! : CollectionElement(type)!;
        var elementNullability = type.IsArray ? nullability?.ElementType : nullability?.GenericTypeArguments.FirstOrDefault();
        var items = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        var ok = true;
        var i = 0;
        foreach (var item in json.EnumerateArray())
        {
            var (itemOk, value) = BindValue(item, elementType, JsonPath.Index(path, i++), elementNullability, componentKind);
            ok &= itemOk;
            if (itemOk)
                items.Add(value);
        }

        if (!ok)
            return (false, null);
        if (type.IsArray)
        {
            var array = Array.CreateInstance(elementType, items.Count);
            items.CopyTo(array, 0);
            return (true, array);
        }

        return type.IsAssignableFrom(items.GetType())
            ? (true, items)
            : (true, Activator.CreateInstance(type, items));
    }

    private (bool, object?) BindDictionary(JsonElement json, Type type, Type valueType, string path, NullabilityInfo? nullability, string? componentKind)
    {
        if (json.ValueKind != JsonValueKind.Object)
            return (TypeError(path, "an object", json), null);
        var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
        var ok = true;
        foreach (var member in json.EnumerateObject())
        {
            var (itemOk, value) = BindValue(member.Value, valueType, JsonPath.Property(path, member.Name), nullability?.GenericTypeArguments.ElementAtOrDefault(1), componentKind);
            ok &= itemOk;
            if (itemOk)
                dictionary[member.Name] = value;
        }

        return ok ? (true, type.IsAssignableFrom(dictionary.GetType()) ? dictionary : Activator.CreateInstance(type, dictionary)) : (false, null);
    }

    private void CheckAttributes(object instance, PropertyInfo property, string jsonName, string objectPath, bool written)
    {
        var value = property.GetValue(instance);
        var path = JsonPath.Property(objectPath, jsonName);
        foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
        {
            if (attribute is RequiredAttribute required)
            {
                if (required.IsValid(value))
                    continue;
                if (!written)
                    context.Error(objectPath, $"missing required option '{jsonName}'");
                else
                    context.Error(path, value is null ? "must not be null" : "must not be empty");
                return;
            }

            if (attribute.IsValid(value))
                continue;
            context.Error(path, ValidationMessages.For(attribute, value, jsonName));
        }
    }

    /// <summary>
    /// A reference whose <see cref="ComponentKindAttribute.Contract"/> the named component does not implement is refused
    /// at its path, with the components of the kind that do.
    /// </summary>
    private void CheckContract(object instance, PropertyInfo property, string path)
    {
        if (property.GetCustomAttribute<ComponentKindAttribute>() is not { Contract: { } contract } attribute)
            return;
        switch (property.GetValue(instance))
        {
            case ComponentRef reference:
                CheckContract(reference, attribute, contract, path);
                break;
            case IEnumerable<ComponentRef> references:
                var i = 0;
                foreach (var reference in references)
                    CheckContract(reference, attribute, contract, JsonPath.Index(path, i++));
                break;
        }
    }

    private void CheckContract(ComponentRef reference, ComponentKindAttribute attribute, Type contract, string path)
    {
        if (!context.Resolved.TryGetValue(reference, out var bound) || contract.IsAssignableFrom(bound.Descriptor.ImplementationType))
            return;
        var kinds = ComponentKinds.Accepting(attribute.Kind);
        var able = context.Catalog.Components
            .Where(c => kinds.Contains(c.Kind) && contract.IsAssignableFrom(c.ImplementationType))
            .Select(c => c.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        var what = attribute.ContractPurpose ?? $"implement {contract.Name}";
        context.Error(path, $"the {KindWords.Singular(attribute.Kind)} '{reference.Name}' cannot {what} (it does not implement {contract.Name}); "
            + (able.Count == 0
                ? $"no loaded {KindWords.Singular(attribute.Kind)} can (is the plugin that provides one loaded?)"
                : $"name one that can: {string.Join(", ", able)}"));
    }

    private bool TypeError(string path, string expected, JsonElement found)
    {
        context.Error(path, $"expected {expected}, found {DescribeFound(found, expected)}");
        return false;
    }

    private bool Fail(string path, string message)
    {
        context.Error(path, message);
        return false;
    }

    /// <summary>The settable public properties an options class binds, by their JSON (camelCase) names, in declaration order.</summary>
    internal static IReadOnlyDictionary<string, PropertyInfo> OptionProperties(Type type)
    {
        var result = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0
                || property.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute)))
                continue;
            result[JsonName(property)!] = property;
        }

        return result;
    }

    internal static string? JsonName(PropertyInfo? property) =>
        property is null
            ? null
            : property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name
              ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>An enum's JSON names (camelCase, or the name given by <c>[JsonStringEnumMemberName]</c>) and values.</summary>
    internal static IReadOnlyDictionary<string, object> EnumNames(Type type)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var name = field.GetCustomAttribute<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>()?.Name
                       ?? JsonNamingPolicy.CamelCase.ConvertName(field.Name);
            result[name] = field.GetValue(null)!;
        }

        return result;
    }

    internal static bool IsInteger(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
        || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte);

    internal static bool IsReal(Type type) => type == typeof(double) || type == typeof(float) || type == typeof(decimal);

    /// <summary>The element type when <paramref name="type"/> is a list-like type the binder fills from an array.</summary>
    internal static Type? CollectionElement(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        if (!type.IsGenericType || type == typeof(string))
            return null;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>)
               || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyList<>)
               || definition == typeof(IReadOnlyCollection<>) || definition == typeof(HashSet<>)
               || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>)
            ? type.GetGenericArguments()[0]
            : null;
    }

    /// <summary>The value type when <paramref name="type"/> is a string-keyed dictionary.</summary>
    internal static Type? DictionaryValue(Type type)
    {
        if (!type.IsGenericType)
            return null;
        var definition = type.GetGenericTypeDefinition();
        var arguments = type.GetGenericArguments();
        return (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
               && arguments[0] == typeof(string)
            ? arguments[1]
            : null;
    }

    /// <summary>A nested options object: a class the binder fills property by property.</summary>
    internal static bool IsOptionsClass(Type type) =>
        type.IsClass && !type.IsAbstract && type != typeof(string) && type != typeof(ComponentRef) && !typeof(IEnumerable).IsAssignableFrom(type)
        && type.GetConstructor(Type.EmptyTypes) is not null;

    internal static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsInteger(type))
            return "an integer";
        if (IsReal(type))
            return "a number";
        if (type == typeof(bool))
            return "true or false";
        if (type == typeof(string))
            return "a string";
        if (type.IsEnum)
            return "one of " + string.Join(", ", EnumNames(type).Keys.Select(n => $"'{n}'"));
        if (type == typeof(ComponentRef))
            return "a component name or an object with 'name' and 'options'";
        if (CollectionElement(type) is not null)
            return "an array";
        if (DictionaryValue(type) is not null || IsOptionsClass(type))
            return "an object";
        return $"a {type.Name}";
    }

    private static string DescribeFound(JsonElement found, string expected) => found.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => expected == "an integer" ? found.GetRawText() : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => found.ValueKind.ToString(),
    };

    internal static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    /// <summary>The folder relative template files of role prompts are read from (the manifest's; null: the working directory).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Role prompts (Semantic Kernel templates) are checked here, so that a bad one is refused with its path.</summary>
    private void CheckRolePrompts(object instance, IReadOnlyDictionary<string, PropertyInfo> properties, HashSet<PropertyInfo> failed, string path)
    {
        foreach (var (jsonName, property) in properties)
        {
            if (failed.Contains(property) || property.GetValue(instance) is not AlignFx.Abstractions.Roles.RolePrompt prompt)
                continue;
            var variables = property.GetCustomAttribute<AlignFx.Abstractions.Roles.RoleVariablesAttribute>()?.Names;
            foreach (var (member, message) in Chat.SemanticKernelRolePrompter.Check(prompt, variables, BaseDirectory))
                context.Error(member.Length == 0 ? JsonPath.Property(path, jsonName) : JsonPath.Property(JsonPath.Property(path, jsonName), member), message);
        }
    }
}
