using System.Text.Json.Nodes;
using AlignFx.Host.Manifests;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>Every manifest in examples/, pipeline or compare, binds against the built plugins: a user's first command is never refused.</summary>
public sealed class ExampleManifestTests
{
    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples"), "*.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_example_is_a_valid_manifest_of_its_kind(string file)
    {
        var errors = ManifestLoader.Validate(Path.Combine(AppContext.BaseDirectory, "examples", file), BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo", "Critics", "Debate", "ConstitutionalCritique"));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(error => error.ToString())));
    }

    [Fact]
    public void The_examples_named_by_the_issues_are_there()
    {
        var files = Examples().Select(row => row.Data).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { "quickstart.json", "overoptimisation.json", "reward-model.json", "reward-ensembles.json", "constrained-ppo.json", "oversight-compare.json" }, files);
    }

    [Fact]
    public void The_quickstart_over_seeds_runs_the_quickstart_as_shipped()
    {
        // quickstart-seeds.json inlines the quickstart (manifests cannot include files); a change to one must reach the other.
        JsonObject quickstart = ExampleRun.Load("quickstart.json"), seeds = ExampleRun.Load("quickstart-seeds.json");
        JsonObject expected = new()
        {
            ["task"] = quickstart["task"]!.DeepClone(),
            ["policy"] = quickstart["policy"]!.DeepClone(),
            ["stages"] = new JsonArray([.. quickstart["stages"]!.AsArray().Where(s => (string?)s!["stage"] != "report").Select(s => s!.DeepClone())]),
        };
        Assert.True(JsonNode.DeepEquals(expected, seeds["base"]), seeds["base"]!.ToJsonString());
    }
}
