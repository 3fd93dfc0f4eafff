using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlignFx.Host.Cli;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>
/// Manifests against the real plugins under hostile use (issue 18): what a run would reject is refused by validate
/// too, and the shipped examples, mutated at random, are refused with exit 2 or validate, never crash.
/// </summary>
public sealed partial class HostileManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-hostile-manifests-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string RepositoryRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Framework.sln")))
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("repository root not found");
        return root;
    }

    /// <summary>The host's built-in plugins folder, where building this project installs the plugins.</summary>
    private static string BuiltPluginsFolder()
    {
        string configuration = typeof(HostileManifestTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        return Path.Combine(RepositoryRoot(), "src", "Framework.Host", "bin", configuration, "net10.0", "plugins");
    }

    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke([.. args, "--store", Path.Combine(_dir, "runs", "alignfx.db"), "--plugins", BuiltPluginsFolder()], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private const string Small = """
        {
          "name": "small",
          "seed": 1,
          "task": { "name": "arithmetic", "options": { "trainPrompts": 50, "validationPrompts": 10, "testPrompts": 10, "corpus": { "examples": 200 } } },
          "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 32, "heads": 2, "context": 96 } },
          "stages": [ { "stage": "pretrain", "steps": 40, "warmupSteps": 5, "batchSize": 4, "saveCheckpoint": false } ]
        }
        """;

    /// <summary>The small manifest with one option changed (a JSON path of objects, then the value).</summary>
    private string SmallWith(string name, string[] path, JsonNode? value)
    {
        JsonNode root = JsonNode.Parse(Small)!;
        JsonNode node = root;
        foreach (string step in path[..^1])
            node = step.All(char.IsDigit) ? node[int.Parse(step, CultureInfo.InvariantCulture)]! : node[step]!;
        node[path[^1]] = value;
        string file = Path.Combine(_dir, name + ".json");
        File.WriteAllText(file, root.ToJsonString());
        return file;
    }

    public static TheoryData<string, string[], string, string> RunTimeConstraints() => new()
    {
        { "warmup-longer-than-steps", ["stages", "0", "warmupSteps"], "100", "$.stages[0].warmupSteps: must be at most steps (40), not 100" },
        { "empty-operators", ["task", "options", "operators"], "\"\"", "$.task.options.operators: must be at least 1 character long" },
        { "width-not-divisible", ["policy", "options", "heads"], "3", "$.policy.options.dModel: must be a multiple of heads (3), not 32" },
        { "context-too-short", ["policy", "options", "context"], "12", "$.policy.options.context: must be at least " },
        { "missing-checkpoint", ["policy", "options", "checkpoint"], "\"no/such/checkpoint\"", "$.policy.options.checkpoint: no checkpoint folder 'no/such/checkpoint'" },
    };

    [Theory]
    [MemberData(nameof(RunTimeConstraints))]
    public void What_a_run_would_reject_is_refused_by_validate_and_by_run_before_any_work(string name, string[] path, string value, string expected)
    {
        string manifest = SmallWith(name, path, JsonNode.Parse(value));

        var (validateCode, _, validateError) = Cli("validate", manifest);
        var (runCode, runOut, runError) = Cli("run", manifest);

        Assert.Equal(ExitCodes.InvalidInput, validateCode);
        Assert.Contains(expected, validateError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidInput, runCode);
        Assert.Contains(expected, runError, StringComparison.Ordinal);
        Assert.DoesNotContain("Run ", runOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "runs", "alignfx.db")), "a refused run must not open the store");
    }

    [Fact]
    public void The_small_manifest_without_those_defects_validates()
    {
        var (code, output, error) = Cli("validate", SmallWith("fine", ["name"], "fine"));

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains(": ok", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_folder_without_its_files_is_refused_naming_them()
    {
        string folder = Path.Combine(_dir, "empty-checkpoint");
        Directory.CreateDirectory(folder);

        var (code, _, error) = Cli("validate", SmallWith("empty-checkpoint", ["policy", "options", "checkpoint"], folder));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("lacks model.safetensors, model.json, tokenizer.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_manifest_example_in_the_readme_validates()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Match block = JsoncBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```jsonc manifest example");
        string folder = Path.Combine(_dir, "manifests");
        Directory.CreateDirectory(Path.Combine(_dir, "my-plugins"));  // the example's "plugins": ["../my-plugins"]
        Directory.CreateDirectory(folder);
        string manifest = Path.Combine(folder, "readme.json");
        File.WriteAllText(manifest, block.Groups[1].Value);

        var (code, _, error) = Cli("validate", manifest);

        Assert.True(code == ExitCodes.Ok, error);
    }

    [GeneratedRegex("```jsonc\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsoncBlock();

    // ---- The fuzz test: the shipped examples, mutated ----

    /// <summary>What one mutation does to the manifest.</summary>
    public enum MutationKind { SwapType, Delete, Duplicate, DuplicateKey, ExtremeNumber, OddString, RenameKey }

    /// <summary>One mutation: its kind, which node it picks (modulo the nodes there are), and which odd value it uses.</summary>
    public sealed record Mutation(MutationKind Kind, int Pick, int Value, string Text)
    {
        public override string ToString() => $"{Kind}@{Pick}/{Value}";
    }

    private static readonly string[] Extremes =
    [
        "0", "-1", "-0", "1.5", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809",
        "1e308", "-1e308", "1e400", "-1e400", "1e-400", "4.9e-324", "79228162514264337593543950336", "1e30", "123456789012345678901234567890.5",
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "\t\n", "\u0000", "\u001b[31mred\u001b[0m", "\u202Eevil", "\u2066\u2069", "🙂", "e\u0301", "ﬀ", "\uFEFF", "\uFFFF",
        "../../../../etc/passwd", "C:\\Windows", "$.stages[0]", "null", "-", "pretrain", "gpt", new string('a', 5000),
    ];

    /// <summary>Text for a lone surrogate: JSON escapes the serializer would never write.</summary>
    private static readonly string[] RawStrings = ["\"\\ud83d\"", "\"a\\udc00\"", "\"\\ud800\\ud800\"", "\"\\u0000\""];

    private static Gen<Mutation> MutationGen() =>
        from kind in Gen.Elements(Enum.GetValues<MutationKind>())
        from pick in Gen.Choose(0, 100_000)
        from value in Gen.Choose(0, 1000)
        from text in ArbMap.Default.GeneratorFor<string>()
        select new Mutation(kind, pick, value, text ?? "");

    private static Arbitrary<(string Example, Mutation[] Mutations)> Cases(string[] examples) =>
        (from example in Gen.Elements(examples)
         from count in Gen.Choose(1, 4)
         from mutations in MutationGen().ArrayOf(count)
         select (example, mutations)).ToArbitrary();

    [Fact]
    public void Mutated_example_manifests_are_refused_with_exit_2_or_validate_and_never_crash()
    {
        string examples = Path.Combine(AppContext.BaseDirectory, "examples");
        string[] files = [.. Directory.GetFiles(examples, "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        PluginCatalog catalog = BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo");
        int cases = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var manifest = Path.Combine(_dir, "mutant.json");

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Cases(files), c =>
        {
            string text = Mutate(File.ReadAllText(Path.Combine(examples, c.Example)), c.Mutations);
            File.WriteAllText(manifest, text, new UTF8Encoding(false));
            int code = ValidateAsTheCliDoes(manifest, catalog, out string why);
            cases++;
            refused += code == ExitCodes.InvalidInput ? 1 : 0;
            return (code is ExitCodes.Ok or ExitCodes.InvalidInput).Label($"{c.Example} with [{string.Join(", ", c.Mutations.Select(m => m.ToString()))}] gave exit {code}: {why}\n{text}");
        }));

        clock.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz: {cases} mutated manifests ({refused} refused) in {clock.Elapsed.TotalSeconds:F1} s");
        TestContext.Current.SendDiagnosticMessage($"fuzz: {cases} mutated manifests ({refused} refused) in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(300, cases);
        Assert.InRange(refused, cases / 2, cases);  // the mutations do break most manifests
    }

    [Fact]
    public void Mutated_manifests_through_the_command_line_exit_0_or_2_without_a_stack_trace()
    {
        // A sample through the real `alignfx validate` (plugin loading, kind detection, the error policy).
        string examples = Path.Combine(AppContext.BaseDirectory, "examples");
        string source = File.ReadAllText(Path.Combine(examples, "quickstart.json"));
        var random = new Random(18);
        for (int i = 0; i < 12; i++)
        {
            Mutation[] mutations = [.. Enumerable.Range(0, 1 + i % 3).Select(_ =>
                new Mutation((MutationKind)(i % Enum.GetValues<MutationKind>().Length), random.Next(100_000), random.Next(1000), "\ud83d x"))];
            string manifest = Path.Combine(_dir, $"mutant-{i}.json");
            File.WriteAllText(manifest, Mutate(source, mutations), new UTF8Encoding(false));

            var (code, output, error) = Cli("validate", manifest);

            Assert.True(code is ExitCodes.Ok or ExitCodes.InvalidInput, $"exit {code}: {error}");
            Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", output + error);
        }
    }

    /// <summary>What <c>alignfx validate</c> does with one manifest, given the plugins already loaded: 0 valid, 2 refused.</summary>
    private static int ValidateAsTheCliDoes(string path, PluginCatalog catalog, out string why)
    {
        try
        {
            var directories = ManifestLoader.ReadPluginDirectories(path);
            var errors = ManifestLoader.Validate(path, catalog);
            why = string.Join("; ", directories.Errors.Concat(errors).Select(e => e.ToString()));
            return directories.IsValid && errors.Count == 0 ? ExitCodes.Ok : ExitCodes.InvalidInput;
        }
        catch (Exception ex)
        {
            why = ex.ToString();
            return CliErrorPolicy.Report(ex, new StringWriter(), verbose: false);
        }
    }

    /// <summary>Applies the mutations to a manifest (JSON with comments) and writes it back as text.</summary>
    private static string Mutate(string json, Mutation[] mutations)
    {
        JsonNode root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var duplicateKeys = new HashSet<JsonObject>(ReferenceEqualityComparer.Instance);
        var raw = new Dictionary<JsonNode, string>(ReferenceEqualityComparer.Instance);
        foreach (Mutation m in mutations)
        {
            List<JsonNode> nodes = [.. Walk(root).Where(n => !ReferenceEquals(n, root))];
            if (nodes.Count == 0)
                break;
            JsonNode node = nodes[m.Pick % nodes.Count];
            JsonNode parent = node.Parent!;
            switch (m.Kind)
            {
                case MutationKind.SwapType:
                    Replace(node, node switch
                    {
                        JsonObject => JsonValue.Create(m.Value),
                        JsonArray => new JsonObject { ["x"] = m.Value },
                        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(m.Value % 2 == 0),
                        JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonValue.Create(m.Value.ToString(CultureInfo.InvariantCulture)),
                        _ => m.Value % 3 == 0 ? null : new JsonArray(JsonValue.Create(m.Value)),
                    });
                    break;
                case MutationKind.Delete:
                    if (parent is JsonObject o)
                        o.Remove(node.GetPropertyName());
                    else
                        ((JsonArray)parent).RemoveAt(node.GetElementIndex());
                    break;
                case MutationKind.Duplicate:
                    if (parent is JsonArray array)
                        array.Insert(node.GetElementIndex(), node.DeepClone());
                    else
                        ((JsonObject)parent)[node.GetPropertyName() + "Copy"] = node.DeepClone();
                    break;
                case MutationKind.DuplicateKey:
                    if (parent is JsonObject owner)
                        duplicateKeys.Add(owner);
                    break;
                case MutationKind.ExtremeNumber:
                    raw[node] = Extremes[m.Value % Extremes.Length];
                    break;
                case MutationKind.OddString:
                    if (m.Value % 5 == 0)
                        raw[node] = RawStrings[m.Value / 5 % RawStrings.Length];
                    else
                        Replace(node, JsonValue.Create(m.Value % 2 == 0 ? OddStrings[m.Value % OddStrings.Length] : m.Text));
                    break;
                case MutationKind.RenameKey:
                    if (parent is JsonObject renamed)
                    {
                        string name = node.GetPropertyName();
                        renamed.Remove(name);
                        renamed[m.Value % 2 == 0 ? name.ToUpperInvariant() : name + m.Text] = node;
                    }
                    break;
            }
        }
        var sb = new StringBuilder();
        Write(root, sb, duplicateKeys, raw);
        return sb.ToString();
    }

    private static void Replace(JsonNode node, JsonNode? value)
    {
        if (node.Parent is JsonObject o)
            o[node.GetPropertyName()] = value;
        else if (node.Parent is JsonArray a)
            a[node.GetElementIndex()] = value;
    }

    private static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null)
            yield break;
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (JsonNode? child in children.ToList())
        {
            foreach (JsonNode n in Walk(child))
                yield return n;
        }
    }

    /// <summary>Writes JSON by hand so a mutant can hold what a serializer never writes: duplicate keys, raw escapes, 1e400.</summary>
    private static void Write(JsonNode? node, StringBuilder sb, HashSet<JsonObject> duplicateKeys, Dictionary<JsonNode, string> raw)
    {
        if (node is not null && raw.TryGetValue(node, out string? text))
        {
            sb.Append(text);
            return;
        }
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o.Concat(duplicateKeys.Contains(o) ? o.Take(1) : []))
                {
                    if (!first)
                        sb.Append(',');
                    first = false;
                    Quote(key, sb);
                    sb.Append(':');
                    Write(value, sb, duplicateKeys, raw);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                        sb.Append(',');
                    Write(a[i], sb, duplicateKeys, raw);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                Quote(v.GetValue<string>(), sb);
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>A JSON string literal that keeps odd text as it is (non-ASCII raw) and escapes what JSON requires, lone surrogates included.</summary>
    private static void Quote(string text, StringBuilder sb)
    {
        sb.Append('"');
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool pairedHigh = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            bool pairedLow = char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]);
            if (c is '"' or '\\')
                sb.Append('\\').Append(c);
            else if (c < 0x20 || (char.IsSurrogate(c) && !pairedHigh && !pairedLow))
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }
        sb.Append('"');
    }
}
