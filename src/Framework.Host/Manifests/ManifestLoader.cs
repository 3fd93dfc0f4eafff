using AlignFx.Host.Runner;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>Which of the two manifest formats a file is.</summary>
public enum ManifestKind
{
    /// <summary>One pipeline: task, policy, stages.</summary>
    Pipeline,

    /// <summary>Arms over seeds with matched budgets.</summary>
    Compare,
}

/// <summary>
/// Reads, binds and validates pipeline and compare manifests. Nothing is run and nothing is written: the result is a
/// bound model or every problem found, each at its JSON path, in the order they appear in the file.
/// </summary>
public static partial class ManifestLoader
{
    private static readonly string[] PipelineFields = ["$schema", "name", "description", "seed", "device", "plugins", "task", "policy", "stages"];
    private static readonly HashSet<string> StageKeys = ["stage", "id"];

    /// <summary>
    /// The plugin folders a manifest lists (its <c>plugins</c>, and for a compare those of the base and of every
    /// arm), absolute and without repeats, checked only for JSON syntax, types and existence. The host loads these
    /// before it validates the manifest, since component names can be checked only once their plugins are loaded.
    /// </summary>
    public static ManifestResult<IReadOnlyList<string>> ReadPluginDirectories(string manifestPath)
    {
        if (!TryRead(manifestPath, out var text, out var readError))
            return ManifestResult<IReadOnlyList<string>>.Failure([readError]);
        var (document, map, errors) = SourceMap.Parse(text);
        using var _ = document;
        if (document is null)
            return ManifestResult<IReadOnlyList<string>>.Failure(errors);

        var context = new BindContext(EmptyCatalog.Instance, map.PositionOf);
        var directories = new List<string>();
        var baseDirectory = BaseDirectory(manifestPath);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            directories.AddRange(PluginDirectories(root, JsonPath.Root, baseDirectory, context));
            if (root.TryGetProperty("base", out var baseElement) && baseElement.ValueKind == JsonValueKind.Object)
                directories.AddRange(PluginDirectories(baseElement, "$.base", baseDirectory, context));
            if (root.TryGetProperty("arms", out var arms) && arms.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var arm in arms.EnumerateArray())
                {
                    var armPath = JsonPath.Index("$.arms", i++);
                    if (arm.ValueKind != JsonValueKind.Object)
                        continue;
                    foreach (var key in new[] { "pipeline", "overrides" })
                    {
                        if (arm.TryGetProperty(key, out var pipeline) && pipeline.ValueKind == JsonValueKind.Object)
                            directories.AddRange(PluginDirectories(pipeline, JsonPath.Property(armPath, key), baseDirectory, context));
                    }
                }
            }
        }
        else
        {
            context.Error(JsonPath.Root, $"expected an object, found {Found(root)}");
        }

        errors.AddRange(context.Errors);
        return errors.Count > 0
            ? ManifestResult<IReadOnlyList<string>>.Failure(Sorted(errors))
            : ManifestResult<IReadOnlyList<string>>.Success(directories.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Says whether a manifest is a compare (it has <c>arms</c>, <c>seeds</c>, <c>base</c> or <c>sweep</c>) or a pipeline; null when it is not a JSON object.</summary>
    public static ManifestKind? DetectKind(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, SourceMap.DocumentOptions);
            return document.RootElement.ValueKind != JsonValueKind.Object ? null
                : document.RootElement.TryGetProperty("arms", out _) || document.RootElement.TryGetProperty("seeds", out _)
                  || document.RootElement.TryGetProperty("base", out _) || document.RootElement.TryGetProperty("sweep", out _) ? ManifestKind.Compare
                : ManifestKind.Pipeline;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Validates a manifest of either kind (see <see cref="DetectKind"/>) and returns every error (empty: valid).</summary>
    public static IReadOnlyList<ManifestError> Validate(string manifestPath, IComponentCatalog catalog)
    {
        if (!TryRead(manifestPath, out var text, out var readError))
            return [readError];
        return DetectKind(text) == ManifestKind.Compare
            ? ParseCompare(text, BaseDirectory(manifestPath), catalog).Errors
            : ParsePipeline(text, BaseDirectory(manifestPath), catalog).Errors;
    }

    /// <summary>Reads and validates a pipeline manifest file; relative plugin folders resolve against its folder.</summary>
    public static ManifestResult<PipelineManifest> LoadPipeline(string manifestPath, IComponentCatalog catalog) =>
        TryRead(manifestPath, out var text, out var error)
            ? ParsePipeline(text, BaseDirectory(manifestPath), catalog)
            : ManifestResult<PipelineManifest>.Failure([error]);

    /// <summary>Reads and validates a compare manifest file; relative plugin folders resolve against its folder.</summary>
    public static ManifestResult<CompareManifest> LoadCompare(string manifestPath, IComponentCatalog catalog) =>
        TryRead(manifestPath, out var text, out var error)
            ? ParseCompare(text, BaseDirectory(manifestPath), catalog)
            : ManifestResult<CompareManifest>.Failure([error]);

    /// <summary>Validates pipeline manifest text; <paramref name="baseDirectory"/> is where relative plugin folders start.</summary>
    public static ManifestResult<PipelineManifest> ParsePipeline(string json, string baseDirectory, IComponentCatalog catalog)
    {
        var (document, map, errors) = SourceMap.Parse(json);
        using var _ = document;
        if (document is null)
            return ManifestResult<PipelineManifest>.Failure(errors);
        var context = new BindContext(catalog, map.PositionOf);
        var pipeline = BindPipeline(document.RootElement, JsonPath.Root, baseDirectory, context);
        errors.AddRange(context.Errors);
        return errors.Count == 0 && pipeline is not null
            ? ManifestResult<PipelineManifest>.Success(pipeline)
            : ManifestResult<PipelineManifest>.Failure(Sorted(errors));
    }

    /// <summary>Validates compare manifest text; <paramref name="baseDirectory"/> is where relative plugin folders start.</summary>
    public static ManifestResult<CompareManifest> ParseCompare(string json, string baseDirectory, IComponentCatalog catalog)
    {
        var (document, map, errors) = SourceMap.Parse(json);
        using var _ = document;
        if (document is null)
            return ManifestResult<CompareManifest>.Failure(errors);
        var compare = new CompareBinder(catalog, map, baseDirectory, errors).Bind(document.RootElement);
        return errors.Count == 0 && compare is not null
            ? ManifestResult<CompareManifest>.Success(compare)
            : ManifestResult<CompareManifest>.Failure(Sorted(errors));
    }

    /// <summary>Binds one pipeline object found at <paramref name="path"/>; null when it has errors (recorded in the context).</summary>
    /// <summary>
    /// The element as a mutable node. Not by reparsing its raw text: that keeps the manifest's comments and trailing
    /// commas, which the default node parser refuses.
    /// </summary>
    /// <summary>
    /// A mutable copy of <paramref name="element"/>. A key written twice keeps its last value (the parser has already
    /// reported it): System.Text.Json's own conversion would build an object that throws when first read.
    /// </summary>
    internal static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var result = new JsonObject();
                foreach (var property in element.EnumerateObject())
                    result[property.Name] = ToNode(property.Value);
                return result;
            case JsonValueKind.Array:
                return new JsonArray([.. element.EnumerateArray().Select(ToNode)]);
            default:
                return JsonValue.Create(element);
        }
    }

    /// <param name="defaultName">The name when the pipeline gives none (a compare arm's name); null: the name is required.</param>
    internal static PipelineManifest? BindPipeline(JsonElement root, string path, string baseDirectory, BindContext context, string? defaultName = null)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            context.Error(path, $"expected a pipeline manifest (an object), found {Found(root)}");
            return null;
        }

        var before = context.ErrorCount;
        var binder = new OptionsBinder(context) { BaseDirectory = baseDirectory };
        CheckFields(root, path, PipelineFields, "a pipeline manifest", context);
        var name = defaultName is not null && !root.TryGetProperty("name", out _)
            ? defaultName
            : RequiredString(root, path, "name", context);
        var description = OptionalString(root, path, "description", context);
        var seed = 0;
        if (root.TryGetProperty("seed", out var seedElement))
            seed = Integer(seedElement, JsonPath.Property(path, "seed"), context) ?? 0;
        OptionalString(root, path, "$schema", context);
        var device = TensorDevices.Validate(OptionalString(root, path, "device", context), JsonPath.Property(path, "device"), context);
        var plugins = PluginDirectories(root, path, baseDirectory, context);

        var task = Reference(root, path, "task", ComponentKinds.Task, binder, context);
        var policy = Reference(root, path, "policy", ComponentKinds.Policy, binder, context);
        var stages = Stages(root, path, binder, context);

        if (context.ErrorCount != before || name is null || task is null || policy is null || stages is null)
            return null;
        var manifest = new PipelineManifest(
            name,
            description,
            seed,
            plugins,
            context.Resolved[task],
            context.Resolved[policy],
            stages,
            new Dictionary<ComponentRef, BoundComponent>(context.Resolved, ReferenceEqualityComparer.Instance))
        {
            Device = device,
        };
        PipelineValidation.Check(manifest, context);
        return context.ErrorCount == before ? manifest : null;
    }

    private static ComponentRef? Reference(JsonElement root, string path, string field, string kind, OptionsBinder binder, BindContext context)
    {
        if (root.TryGetProperty(field, out var element))
            return binder.BindReference(element, kind, JsonPath.Property(path, field));
        context.Error(path, $"missing required field '{field}' ({KindWords.WithArticle(kind)})");
        return null;
    }

    private static List<BoundStage>? Stages(JsonElement root, string path, OptionsBinder binder, BindContext context)
    {
        var stagesPath = JsonPath.Property(path, "stages");
        if (!root.TryGetProperty("stages", out var stages))
        {
            context.Error(path, "missing required field 'stages' (the pipeline's stages, in run order)");
            return null;
        }

        if (stages.ValueKind != JsonValueKind.Array)
        {
            context.Error(stagesPath, $"expected an array of stages, found {Found(stages)}");
            return null;
        }

        if (stages.GetArrayLength() == 0)
        {
            context.Error(stagesPath, "must list at least one stage");
            return null;
        }

        var before = context.ErrorCount;
        var bound = new List<(BoundComponent? Component, string? Id, string Path)>();
        var index = 0;
        foreach (var stage in stages.EnumerateArray())
        {
            var stagePath = JsonPath.Index(stagesPath, index++);
            if (stage.ValueKind != JsonValueKind.Object)
            {
                context.Error(stagePath, $"expected a stage (an object with a 'stage' name), found {Found(stage)}");
                continue;
            }

            string? id = null;
            if (stage.TryGetProperty("id", out var idElement))
            {
                var idPath = JsonPath.Property(stagePath, "id");
                if (idElement.ValueKind != JsonValueKind.String)
                    context.Error(idPath, $"expected a string, found {Found(idElement)}");
                else if (!StageId().IsMatch(id = idElement.GetString()!))
                    context.Error(idPath, "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'");
            }

            if (!stage.TryGetProperty("stage", out var nameElement))
            {
                var names = context.Catalog.Components.Where(c => c.Kind == ComponentKinds.Stage).Select(c => c.Name).ToList();
                context.Error(stagePath, "missing required field 'stage'" + (names.Count == 0 ? "" : $"; the stages are: {string.Join(", ", names)}"));
                continue;
            }

            var namePath = JsonPath.Property(stagePath, "stage");
            if (nameElement.ValueKind != JsonValueKind.String)
            {
                context.Error(namePath, $"expected a stage name (a string), found {Found(nameElement)}");
                continue;
            }

            var descriptor = binder.Resolve(ComponentKinds.Stage, nameElement.GetString()!, namePath);
            if (descriptor is null)
                continue;
            bound.Add((binder.BindComponent(descriptor, stage, stagePath, stagePath, StageKeys), id, stagePath));
        }

        // Ids: the written one, else the stage name, numbered from the second time a name repeats.
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<BoundStage>();
        foreach (var (component, written, stagePath) in bound)
        {
            if (component is null)
                continue;
            var stageName = component.Descriptor.Name;
            var id = written ?? (seen.TryGetValue(stageName, out var count) ? $"{stageName}-{count + 1}" : stageName);
            seen[stageName] = seen.GetValueOrDefault(stageName) + 1;
            if (ids.TryGetValue(id, out var firstPath))
                context.Error(written is null ? stagePath : JsonPath.Property(stagePath, "id"), $"duplicate stage id '{id}' (also used by {firstPath}); give each stage a unique 'id'");
            else
                ids[id] = stagePath;
            result.Add(new BoundStage(id, component));
        }

        return context.ErrorCount == before ? result : null;
    }

    internal static List<string> PluginDirectories(JsonElement root, string path, string baseDirectory, BindContext context)
    {
        var result = new List<string>();
        if (!root.TryGetProperty("plugins", out var plugins))
            return result;
        var pluginsPath = JsonPath.Property(path, "plugins");
        if (plugins.ValueKind != JsonValueKind.Array)
        {
            context.Error(pluginsPath, $"expected an array of folder paths, found {Found(plugins)}");
            return result;
        }

        var i = 0;
        foreach (var item in plugins.EnumerateArray())
        {
            var itemPath = JsonPath.Index(pluginsPath, i++);
            if (item.ValueKind != JsonValueKind.String)
            {
                context.Error(itemPath, $"expected a folder path (a string), found {Found(item)}");
                continue;
            }

            var written = item.GetString()!;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(baseDirectory, written)));
            if (string.IsNullOrWhiteSpace(written))
                context.Error(itemPath, "must not be empty");
            else if (File.Exists(full))
                context.Error(itemPath, $"'{written}' is a file, not a folder; give the folder that holds the plugin (its .dll and .deps.json)");
            else if (!Directory.Exists(full))
                context.Error(itemPath, $"the plugin folder '{written}' does not exist" + (Path.IsPathRooted(written) ? "" : " (relative paths start at the manifest's folder)"));
            else
                result.Add(full);
        }

        return result;
    }

    internal static void CheckFields(JsonElement element, string path, IReadOnlyList<string> fields, string what, BindContext context)
    {
        foreach (var member in element.EnumerateObject())
        {
            if (fields.Contains(member.Name))
                continue;
            var hint = NameSuggestions.DidYouMean(member.Name, fields);
            context.Error(JsonPath.Property(path, member.Name), hint is not null
                ? $"unknown field '{member.Name}'; did you mean '{hint}'?"
                : $"unknown field '{member.Name}'; the fields of {what} are: {string.Join(", ", fields)}");
        }
    }

    internal static string? RequiredString(JsonElement element, string path, string field, BindContext context)
    {
        if (!element.TryGetProperty(field, out _))
        {
            context.Error(path, $"missing required field '{field}'");
            return null;
        }

        var value = OptionalString(element, path, field, context);
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            context.Error(JsonPath.Property(path, field), value.Length == 0 ? "must not be empty" : "must not be blank (only white space)");
            return null;
        }

        return value;
    }

    internal static string? OptionalString(JsonElement element, string path, string field, BindContext context)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString();
        context.Error(JsonPath.Property(path, field), $"expected a string, found {Found(value)}");
        return null;
    }

    internal static int? Integer(JsonElement element, string path, BindContext context)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value))
            return value;
        context.Error(path, element.ValueKind != JsonValueKind.Number ? $"expected an integer, found {Found(element)}"
            : element.TryGetDecimal(out var exact) && decimal.Truncate(exact) == exact ? $"must be in [{int.MinValue}, {int.MaxValue}]"
            : $"expected an integer, found {element.GetRawText()}");
        return null;
    }

    internal static string Found(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    internal static JsonElement ToElement(JsonNode? node) => JsonSerializer.SerializeToElement(node);

    private static IReadOnlyList<ManifestError> Sorted(IEnumerable<ManifestError> errors) =>
        [.. errors.Distinct().OrderBy(e => e.Position)];

    private static string BaseDirectory(string manifestPath) =>
        Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? Directory.GetCurrentDirectory();

    /// <summary>The most characters a manifest may have (the largest example is a few KiB).</summary>
    public const int MaxManifestChars = 4 * 1024 * 1024;

    private static bool TryRead(string manifestPath, out string text, out ManifestError error)
    {
        bool ok = ReadText(manifestPath, out var read, out var message);
        text = read ?? "";
        error = ok ? null! : new ManifestError(JsonPath.Root, message!);
        return ok;
    }

    /// <summary>
    /// Reads a manifest's text, refusing one longer than <see cref="MaxManifestChars"/> without reading past the limit
    /// (so an endless file such as /dev/zero is refused, not read until memory runs out).
    /// </summary>
    public static bool ReadText(string manifestPath, out string? text, out string? error)
    {
        text = null;
        error = null;
        try
        {
            using var reader = new StreamReader(manifestPath, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var content = new System.Text.StringBuilder();
            var chunk = new char[64 * 1024];
            int read;
            while ((read = reader.Read(chunk, 0, chunk.Length)) > 0)
            {
                content.Append(chunk, 0, read);
                if (content.Length > MaxManifestChars)
                {
                    error = $"the manifest '{manifestPath}' is larger than {MaxManifestChars / (1024 * 1024)} MiB; a manifest is a small JSON file (check the path)";
                    return false;
                }
            }
            text = content.ToString();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"cannot read the manifest '{manifestPath}': {ex.Message}";
            return false;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex StageId();

    private sealed class EmptyCatalog : IComponentCatalog
    {
        public static readonly EmptyCatalog Instance = new();

        public IReadOnlyList<ComponentDescriptor> Components => [];

        public ComponentDescriptor? Find(string kind, string name) => null;
    }
}
