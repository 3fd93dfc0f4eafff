using System.Text.Json.Nodes;
using AlignFx.Host.Manifests;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>The generated JSON Schema: golden file for the fake catalog, and it accepts and rejects sample manifests.</summary>
public class SchemaTests
{
    private static readonly System.Text.Json.JsonDocumentOptions Lenient = new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static MiniSchemaValidator Validator() => new(ManifestSchema.Generate(FakeCatalog.Instance));

    private static JsonNode? Load(string file) => JsonNode.Parse(File.ReadAllText(GoldenFiles.PathOf(file)), documentOptions: Lenient);

    [Fact]
    public void SchemaForTheFakeCatalogMatchesTheGoldenFile() =>
        GoldenFiles.Check("schema.json", ManifestSchema.GenerateText(FakeCatalog.Instance));

    [Theory]
    [InlineData("valid-pipeline.json")]
    [InlineData("valid-compare.json")]
    [InlineData("valid-pipeline.canonical.json")]
    public void ValidManifestsPassTheSchema(string file)
    {
        var failures = Validator().Validate(Load(file));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("out-of-range.json", "$.stages[3].optimizer.options.clipRange: exclusiveMinimum")]
    [InlineData("out-of-range.json", "$.policy.options.dropout: exclusiveMaximum")]
    [InlineData("unknown-options.json", "$.stages[1].optimizer.options.clipRang: schema false")]
    [InlineData("unknown-names.json", "$.task: anyOf")]
    [InlineData("wrong-types.json", "$.task.options.digits: type integer")]
    [InlineData("missing-stages.json", "$: oneOf matched 0")]
    [InlineData("compare-structure.json", "$.seeds: uniqueItems")]
    public void MalformedManifestsFailTheSchemaWhereExpected(string file, string expectedFailure)
    {
        var failures = Validator().Validate(Load(file));
        Assert.Contains(failures, f => f.Contains(expectedFailure, StringComparison.Ordinal));
    }

    [Fact]
    public void StagesAreKeyedOnTheirStageNameAndReferencesOnTheComponentName()
    {
        var schema = ManifestSchema.Generate(FakeCatalog.Instance);
        var defs = schema["$defs"]!.AsObject();
        Assert.Equal(5, defs["stage"]!["oneOf"]!.AsArray().Count);
        Assert.Equal("optimise", defs["options.stage.optimise"]!["properties"]!["stage"]!["const"]!.GetValue<string>());
        Assert.Equal(["optimizer"], defs["options.stage.optimise"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()).Skip(1));
        var ppo = defs["options.optimizer.ppo"]!["properties"]!.AsObject();
        Assert.Equal(0.2, ppo["clipRange"]!["default"]!.GetValue<double>());
        Assert.Equal(0.0, ppo["clipRange"]!["exclusiveMinimum"]!.GetValue<double>());
        Assert.Equal(1.0, ppo["clipRange"]!["maximum"]!.GetValue<double>());
        Assert.Equal("PPO clip range epsilon.", ppo["clipRange"]!["description"]!.GetValue<string>());
        Assert.Equal(["best-of-n", "ppo"], defs["component.optimizer"]!["anyOf"]![0]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()).Order());

        // A stage that names an unknown option or another stage's option is rejected by the one branch that matches its name.
        var validator = Validator();
        var manifest = JsonNode.Parse("""{ "name": "n", "task": "sorting", "policy": "gpt", "stages": [ { "stage": "pretrain", "labels": 3 } ] }""");
        Assert.Contains(validator.Validate(manifest), f => f.Contains("oneOf matched 0", StringComparison.Ordinal));
    }
}
