using System.Text.Json.Nodes;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>The constitution as a manifest writes it: the shipped one binds, bad ones are refused by JSON path.</summary>
public sealed class ConstitutionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-constitution-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private IReadOnlyList<ManifestError> Validate(JsonObject manifest)
    {
        string path = Path.Combine(_dir, "manifest.json");
        File.WriteAllText(path, manifest.ToJsonString());
        return ManifestLoader.Validate(path, TestCatalog.Instance);
    }

    private static JsonObject Pipeline(params JsonObject[] stages) => new()
    {
        ["name"] = "constitution",
        ["seed"] = 1,
        ["task"] = "arithmetic",
        ["policy"] = "corpus",
        ["stages"] = new JsonArray([.. stages]),
    };

    private static JsonObject Revise(JsonNode? constitution)
    {
        var stage = new JsonObject { ["stage"] = CaiComponents.CritiqueRevise, ["rounds"] = 1, ["prompts"] = 10 };
        if (constitution is not null)
        {
            stage["constitution"] = constitution;
        }
        return stage;
    }

    private static JsonObject Principle(string name, string critique = "Is {{$response}} right under {{$principle}}?", double weight = 1, params string[] concerns) => new()
    {
        ["name"] = name,
        ["critique"] = new JsonObject { ["template"] = critique },
        ["revision"] = new JsonObject { ["template"] = "Fix {{$response}} as {{$critique}} says." },
        ["weight"] = weight,
        ["concerns"] = new JsonArray([.. concerns.Select(c => (JsonNode)c)]),
    };

    [Fact]
    public void The_shipped_arithmetic_constitution_binds_in_critique_revise_and_in_ai_feedback()
    {
        JsonObject feedback = new()
        {
            ["stage"] = "collect-feedback",
            ["labels"] = 10,
            ["source"] = new JsonObject { ["name"] = CaiComponents.AiFeedback, ["options"] = new JsonObject { ["constitution"] = Constitutions.Arithmetic() } },
        };
        IReadOnlyList<ManifestError> errors = Validate(Pipeline(Revise(Constitutions.Arithmetic()), feedback));

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        Assert.Equal(["wrong-steps", "no-overconfidence", "check-the-guess", "show-working"],
            Constitutions.Arithmetic()["principles"]!.AsArray().Select(p => (string)p!["name"]!));
    }

    [Fact]
    public void A_bad_constitution_is_refused_before_any_work_with_every_error_by_json_path()
    {
        IReadOnlyList<ManifestError> errors = Validate(Pipeline(
            Revise(null),
            Revise(new JsonObject { ["principles"] = new JsonArray() }),
            Revise(new JsonObject { ["principles"] = new JsonArray(Principle("a", critique: "Does {{$answer}} follow {{$principle}}?")) }),
            Revise(new JsonObject { ["principles"] = new JsonArray(Principle("a", weight: 0), Principle("b", weight: 0)) }),
            Revise(new JsonObject { ["principles"] = new JsonArray(Principle("a", weight: -1), Principle("")) }),
            Revise(new JsonObject { ["principles"] = new JsonArray(Principle("a"), Principle("a", concerns: ["tone", GoldFeatures.Confident])) })));

        GoldenFiles.Check("constitution-errors.txt", string.Join("\n", errors) + "\n");
    }

    [Fact]
    public void The_example_manifests_inline_the_shipped_constitution_unchanged()
    {
        // Manifests have no file reference for option objects (only role prompts' templateFile), so the examples inline it.
        string shipped = Constitutions.Arithmetic().ToJsonString();
        var inlined = new List<string>();
        foreach (string file in new[] { "constitutional-sl.json", "constitutional-rl.json", "constitutional-vs-rlhf.json", "constitutional-ai-feedback-biases.json" })
        {
            JsonObject manifest = ExampleRun.Load(file);
            inlined.AddRange(manifest.DescendantsNamed("constitution").Select(c => c.ToJsonString()));
        }
        Assert.True(inlined.Count >= 7, $"found {inlined.Count} constitutions");
        Assert.All(inlined, c => Assert.Equal(shipped, c));
    }

    private static Arbitrary<int[]> Weights() =>
        (from count in Gen.Choose(1, 5)
         from weights in Gen.Choose(0, 4).ArrayOf(count)
         where weights.Sum() > 0
         select weights).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property Sampling_follows_the_weights_and_never_draws_a_principle_of_weight_zero() =>
        Prop.ForAll(Weights(), Gen.Choose(0, 1_000_000).ToArbitrary(), (weights, seed) =>
        {
            var constitution = new Constitution { Principles = [.. weights.Select((w, i) => new Principle { Name = $"p{i}", Weight = w })] };
            var random = new Random(seed);
            var counts = new int[weights.Length];
            const int draws = 2000;
            for (int i = 0; i < draws; i++)
            {
                counts[int.Parse(constitution.Sample(random).Name[1..], System.Globalization.CultureInfo.InvariantCulture)]++;
            }
            double total = weights.Sum();
            // Five binomial standard errors at most (0.011 at p = 1/2): a wrong weighting fails, chance does not.
            return weights.Select((w, i) => w == 0 ? counts[i] == 0 : Math.Abs((counts[i] / (double)draws) - (w / total)) < 0.056).All(ok => ok);
        });
}

internal static class JsonNodeExtensions
{
    /// <summary>Every value under a property named <paramref name="name"/>, at any depth.</summary>
    public static IEnumerable<JsonNode> DescendantsNamed(this JsonNode node, string name)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (value is null)
                    {
                        continue;
                    }
                    if (key == name)
                    {
                        yield return value;
                    }
                    foreach (JsonNode inner in value.DescendantsNamed(name))
                    {
                        yield return inner;
                    }
                }
                break;
            case JsonArray array:
                foreach (JsonNode? item in array)
                {
                    if (item is not null)
                    {
                        foreach (JsonNode inner in item.DescendantsNamed(name))
                        {
                            yield return inner;
                        }
                    }
                }
                break;
        }
    }
}
