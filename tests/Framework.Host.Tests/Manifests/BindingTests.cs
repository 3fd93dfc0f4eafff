using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>Valid manifests bind to the expected option values, with defaults filled in and nested components resolved.</summary>
public class BindingTests
{
    private static PipelineManifest ValidPipeline()
    {
        var result = ManifestLoader.LoadPipeline(GoldenFiles.PathOf("valid-pipeline.json"), FakeCatalog.Instance);
        Assert.True(result.IsValid, result.FormatErrors());
        return result.Value!;
    }

    [Fact]
    public void PipelineBindsWrittenValuesAndDefaults()
    {
        var pipeline = ValidPipeline();

        Assert.Equal(("quickstart", 7), (pipeline.Name, pipeline.Seed));
        Assert.Empty(pipeline.PluginDirectories);
        var task = Assert.IsType<ArithmeticOptions>(pipeline.Task.Options);
        Assert.Equal(3, task.Digits);
        Assert.Equal(1000, task.TrainSize); // default
        Assert.Equal([Operation.Add, Operation.Multiply], task.Operations);
        var policy = Assert.IsType<GptOptions>(pipeline.Policy.Options);
        Assert.Equal((2, 64, 0.1, Activation.Gelu, (string?)null), (policy.Layers, policy.Dim, policy.Dropout, policy.Activation, policy.Checkpoint));
        Assert.Equal("$.policy", pipeline.Policy.Path);

        Assert.Equal(
            ["pretrain", "collect-feedback", "debate-labels", "train-reward-model", "optimise", "evaluate", "evaluate-2"],
            pipeline.Stages.Select(s => s.Id));
        Assert.Equal("$.stages[4]", pipeline.Stages[4].Component.Path);
        var pretrain = Assert.IsType<PretrainOptions>(pipeline.Stages[0].Component.Options);
        Assert.Equal((50, 3e-3), (pretrain.Steps, pretrain.LearningRate));
        var evaluate = Assert.IsType<EvaluateOptions>(pipeline.Stages[5].Component.Options);
        Assert.Equal(new Dictionary<string, double> { ["gold"] = 1, ["proxy"] = 0.5 }, evaluate.Weights);
        Assert.Equal(["gold/accuracy"], evaluate.Metrics);
        Assert.Equal(20, Assert.IsType<EvaluateOptions>(pipeline.Stages[6].Component.Options).Samples);
    }

    [Fact]
    public void NestedReferencesKeepTheirJsonAndResolveToBoundOptions()
    {
        var pipeline = ValidPipeline();
        var optimise = Assert.IsType<OptimiseOptions>(pipeline.Stages[4].Component.Options);
        Assert.Equal((40, 0.05, "cosine", 10), (optimise.Steps, optimise.KlCoefficient, optimise.Schedule.Shape, optimise.Schedule.WarmupSteps));

        var optimizer = optimise.Optimizer!;
        Assert.Equal("ppo", optimizer.Name);
        Assert.Equal(0.1, optimizer.Options!.Value.GetProperty("clipRange").GetDouble());
        var ppo = pipeline.Resolve(optimizer)!;
        Assert.Equal(ComponentKinds.Optimizer, ppo.Descriptor.Kind);
        var ppoOptions = Assert.IsType<PpoOptions>(ppo.Options);
        Assert.Equal((0.1, 4, (int?)8), (ppoOptions.ClipRange, ppoOptions.Epochs, ppoOptions.MiniBatchSize));

        // A reference left at its default still resolves, with default options.
        var labels = Assert.IsType<CollectFeedbackOptions>(pipeline.Stages[1].Component.Options);
        Assert.Null(labels.Source.Options);
        var human = Assert.IsType<SimulatedHumanOptions>(pipeline.Resolve(labels.Source)!.Options);
        Assert.Equal((0.1, "sim"), (human.NoiseRate, human.Annotator));

        // Two levels deep: debate-judge -> debate.
        var judge = pipeline.Resolve(Assert.IsType<CollectFeedbackOptions>(pipeline.Stages[2].Component.Options).Source)!;
        var debate = pipeline.Resolve(Assert.IsType<DebateJudgeOptions>(judge.Options).Method)!;
        Assert.Equal(3, Assert.IsType<DebateOptions>(debate.Options).Rounds);

        // Lists of references resolve member by member.
        var ensemble = Assert.IsType<EnsembleOptions>(pipeline.Resolve(Assert.IsType<TrainRewardModelOptions>(pipeline.Stages[3].Component.Options).Model)!.Options);
        Assert.Equal([0.1, 0.2], ensemble.Members.Select(m => Assert.IsType<LearnedRewardOptions>(pipeline.Resolve(m)!.Options).ValidationFraction));

        Assert.Null(pipeline.Resolve(new ComponentRef { Name = "ppo" }));
    }

    [Fact]
    public void CanonicalJsonWritesEveryDefaultAndIsAFixedPoint()
    {
        var canonical = ValidPipeline().ToCanonicalJson();
        GoldenFiles.Check("valid-pipeline.canonical.json", canonical);

        // Binding the canonical form gives the same canonical form again.
        var again = ManifestLoader.ParsePipeline(canonical, GoldenFiles.Directory, FakeCatalog.Instance);
        Assert.True(again.IsValid, again.FormatErrors());
        Assert.Equal(canonical, again.Value!.ToCanonicalJson());
    }

    [Fact]
    public void CompareBindsArmsPatchesAndBudgets()
    {
        var result = ManifestLoader.LoadCompare(GoldenFiles.PathOf("valid-compare.json"), FakeCatalog.Instance);
        Assert.True(result.IsValid, result.FormatErrors());
        var compare = result.Value!;

        Assert.Equal([1, 2, 3], compare.Seeds);
        Assert.Equal(["rlhf", "debate-labels", "best-of-n"], compare.Arms.Select(a => a.Name));
        Assert.Equal(["gold/accuracy", "proxy/reward"], compare.ReportMetrics);
        Assert.Equal(new Dictionary<string, double?> { [Budgets.Labels] = 400, [Budgets.OptimizationSteps] = null }, compare.Budgets);
        Assert.All(compare.Arms, a => Assert.Equal(400, a.BudgetSpend[Budgets.Labels]));
        Assert.All(compare.Arms, a => Assert.Equal(60, a.BudgetSpend[Budgets.OptimizationSteps]));

        // The empty patch leaves the base as it is; the base's name is kept.
        var rlhf = compare.Arms[0].Pipeline;
        Assert.Equal("rlhf", rlhf.Name);
        Assert.Equal((1, 0.1), (Assert.IsType<GptOptions>(rlhf.Policy.Options).Layers, Assert.IsType<GptOptions>(rlhf.Policy.Options).Dropout));

        // The merge patch changes one option of the policy and keeps the others; arrays are replaced whole.
        var debate = compare.Arms[1].Pipeline;
        var gpt = Assert.IsType<GptOptions>(debate.Policy.Options);
        Assert.Equal((1, 0.0), (gpt.Layers, gpt.Dropout));
        Assert.Equal(5, debate.Stages.Count);
        Assert.Equal("$.arms[1].stages[3]", debate.Stages[3].Component.Path);
        var ppo = debate.Resolve(Assert.IsType<OptimiseOptions>(debate.Stages[3].Component.Options).Optimizer!)!;
        Assert.Equal(0.3, Assert.IsType<PpoOptions>(ppo.Options).ClipRange);

        // A full-pipeline arm without a name takes the arm's name.
        Assert.Equal("best-of-n", compare.Arms[2].Pipeline.Name);
        Assert.Equal([("collect-feedback", 400.0), ("optimise", 0.0)], BudgetSpend.Of(compare.Arms[2].Pipeline, Budgets.Labels));

        var canonical = compare.ToCanonicalJson();
        Assert.Contains("\"clipRange\": 0.3", canonical, StringComparison.Ordinal);
        var again = ManifestLoader.ParseCompare(canonical, GoldenFiles.Directory, FakeCatalog.Instance);
        Assert.True(again.IsValid, again.FormatErrors());
        Assert.Equal(canonical, again.Value!.ToCanonicalJson());
    }

    [Fact]
    public void A_sweep_adds_one_arm_per_value_with_that_value_set_in_base_and_the_rest_as_written()
    {
        var result = ManifestLoader.ParseCompare(
            """
            { "name": "kl", "seeds": [1, 2],
              "base": { "task": "arithmetic", "policy": "gpt",
                "stages": [ { "stage": "collect-feedback", "labels": 400 }, { "stage": "optimise", "steps": 60, "optimizer": "ppo" } ] },
              "arms": [ { "name": "no-ppo", "overrides": { "stages": [ { "stage": "collect-feedback", "labels": 400 } ] } } ],
              "sweep": { "path": "$.stages[1].optimizer.options.clipRange", "values": [0.1, 0.3] } }
            """,
            GoldenFiles.Directory,
            FakeCatalog.Instance);

        Assert.True(result.IsValid, result.FormatErrors());
        var arms = result.Value!.Arms;
        Assert.Equal(["no-ppo", "clipRange=0.1", "clipRange=0.3"], arms.Select(a => a.Name));
        foreach (var (arm, clip) in arms.Skip(1).Zip([0.1, 0.3]))
        {
            var optimise = Assert.IsType<OptimiseOptions>(arm.Pipeline.Stages[1].Component.Options);
            var ppo = arm.Pipeline.Resolve(optimise.Optimizer!)!;
            Assert.Equal(clip, Assert.IsType<PpoOptions>(ppo.Options).ClipRange);
            Assert.Equal(60, optimise.Steps);
            Assert.Equal(400, Assert.IsType<CollectFeedbackOptions>(arm.Pipeline.Stages[0].Component.Options).Labels);
            Assert.Equal(arm.Name, arm.Pipeline.Name);
        }

        // The canonical form keeps the swept arms; it binds again to the same manifest.
        var canonical = result.Value.ToCanonicalJson();
        var again = ManifestLoader.ParseCompare(canonical, GoldenFiles.Directory, FakeCatalog.Instance);
        Assert.True(again.IsValid, again.FormatErrors());
        Assert.Equal(canonical, again.Value!.ToCanonicalJson());
    }

    [Fact]
    public void An_arm_with_set_is_base_with_each_value_put_at_its_path_after_its_overrides()
    {
        var result = ManifestLoader.ParseCompare(
            """
            { "name": "set", "seeds": [1],
              "base": { "task": "arithmetic", "policy": "gpt",
                "stages": [ { "stage": "collect-feedback", "labels": 400 }, { "stage": "optimise", "steps": 60, "optimizer": "ppo" } ] },
              "arms": [
                { "name": "base", "overrides": {} },
                { "name": "set", "set": { "$.stages[1].optimizer.options.clipRange": 0.3, "$.stages[0].labels": 200 } },
                { "name": "both", "overrides": { "seed": 9 }, "set": { "$.stages[1].steps": 30, "$.stages[1].optimizer.options.epochs": 2 } } ] }
            """,
            GoldenFiles.Directory,
            FakeCatalog.Instance);

        Assert.True(result.IsValid, result.FormatErrors());
        var arms = result.Value!.Arms;
        var set = arms[1].Pipeline;
        Assert.Equal(200, Assert.IsType<CollectFeedbackOptions>(set.Stages[0].Component.Options).Labels);
        var optimise = Assert.IsType<OptimiseOptions>(set.Stages[1].Component.Options);
        Assert.Equal(60, optimise.Steps);
        Assert.Equal(0.3, Assert.IsType<PpoOptions>(set.Resolve(optimise.Optimizer!)!.Options).ClipRange);

        var both = arms[2].Pipeline;
        Assert.Equal(9, both.Seed);
        var bothOptimise = Assert.IsType<OptimiseOptions>(both.Stages[1].Component.Options);
        Assert.Equal(30, bothOptimise.Steps);
        Assert.Equal(2, Assert.IsType<PpoOptions>(both.Resolve(bothOptimise.Optimizer!)!.Options).Epochs);
        Assert.Equal(400, Assert.IsType<CollectFeedbackOptions>(both.Stages[0].Component.Options).Labels);
        // The base arm is untouched by the others' values.
        Assert.Equal(400, Assert.IsType<CollectFeedbackOptions>(arms[0].Pipeline.Stages[0].Component.Options).Labels);
    }

    [Theory]
    [InlineData("stages[0].steps", "expected a path from the base pipeline's root")]
    [InlineData("$.stages[0]..steps", "cannot read '..steps'")]
    [InlineData("$.stages[0]", "names no option")]
    [InlineData("$.stages[0].steps.value", "the base's $.stages[0].steps is the value 60, so the path cannot go on into property 'value'")]
    [InlineData("$.task[0].name", "the base's $.task is the value \"arithmetic\", so the path cannot go on into item [0]")]
    public void A_sweep_path_that_cannot_be_followed_is_refused_saying_where_it_stops(string path, string expected)
    {
        var result = ManifestLoader.ParseCompare(
            $$"""
            { "name": "s", "seeds": [1],
              "base": { "task": "arithmetic", "policy": "gpt", "stages": [ { "stage": "optimise", "steps": 60, "optimizer": "ppo" } ] },
              "sweep": { "path": "{{path}}", "values": [1] } }
            """,
            GoldenFiles.Directory,
            FakeCatalog.Instance);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.sweep.path", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnumValuesMatchIgnoringCaseAndNullableOptionsAcceptNull()
    {
        var result = ManifestLoader.ParsePipeline(
            """
            { "name": "n", "task": { "name": "arithmetic", "options": { "operations": ["SUBTRACT", "Multiply"] } },
              "policy": { "name": "gpt", "options": { "activation": "Relu", "checkpoint": null } },
              "stages": [ { "stage": "optimise", "optimizer": { "name": "ppo", "options": { "miniBatchSize": null } } } ] }
            """,
            GoldenFiles.Directory,
            FakeCatalog.Instance);

        Assert.True(result.IsValid, result.FormatErrors());
        Assert.Equal([Operation.Subtract, Operation.Multiply], Assert.IsType<ArithmeticOptions>(result.Value!.Task.Options).Operations);
        Assert.Equal(Activation.Relu, Assert.IsType<GptOptions>(result.Value.Policy.Options).Activation);
    }

    [Fact]
    public void DetectKindTellsCompareFromPipeline()
    {
        Assert.Equal(ManifestKind.Pipeline, ManifestLoader.DetectKind(File.ReadAllText(GoldenFiles.PathOf("valid-pipeline.json"))));
        Assert.Equal(ManifestKind.Compare, ManifestLoader.DetectKind(File.ReadAllText(GoldenFiles.PathOf("valid-compare.json"))));
        Assert.Null(ManifestLoader.DetectKind("[1, 2]"));
        Assert.Null(ManifestLoader.DetectKind("{"));
    }

    [Fact]
    public void PluginFoldersAreReadBeforeValidationAndResolvedAgainstTheManifestFolder()
    {
        var root = Directory.CreateTempSubdirectory("alignfx-manifest-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "plugins", "a"));
            Directory.CreateDirectory(Path.Combine(root, "plugins", "b"));
            var absolute = Directory.CreateDirectory(Path.Combine(root, "elsewhere")).FullName;
            var manifest = Path.Combine(root, "compare.json");
            // Component names are unknown to an empty catalog: the folders are still read.
            File.WriteAllText(manifest, $$"""
                {
                  "name": "c", "seeds": [1], "plugins": ["plugins/a"],
                  "base": { "plugins": ["plugins/b", "plugins/a"], "task": "from-a-plugin" },
                  "arms": [ { "name": "x", "overrides": { "plugins": ["{{absolute.Replace("\\", "\\\\")}}"] } },
                            { "name": "y", "pipeline": { "plugins": ["./plugins/b/"] } } ]
                }
                """);

            var dirs = ManifestLoader.ReadPluginDirectories(manifest);

            Assert.True(dirs.IsValid, dirs.FormatErrors());
            Assert.Equal(
                [Path.Combine(root, "plugins", "a"), Path.Combine(root, "plugins", "b"), absolute],
                dirs.Value!);

            File.WriteAllText(manifest, """{ "plugins": ["missing", 3] }""");
            Assert.Equal(
                ["$.plugins[0]: the plugin folder 'missing' does not exist (relative paths start at the manifest's folder)", "$.plugins[1]: expected a folder path (a string), found a number"],
                ManifestLoader.ReadPluginDirectories(manifest).Errors.Select(e => e.ToString()));
            Assert.Equal("$", Assert.Single(ManifestLoader.ReadPluginDirectories(Path.Combine(root, "nope.json")).Errors).Path);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void PipelinePluginFoldersAreAbsoluteInTheBoundModel()
    {
        var root = Directory.CreateTempSubdirectory("alignfx-manifest-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "p"));
            var text = File.ReadAllText(GoldenFiles.PathOf("valid-pipeline.json")).Replace("\"seed\": 7,", "\"seed\": 7, \"plugins\": [\"p\"],", StringComparison.Ordinal);
            var result = ManifestLoader.ParsePipeline(text, root, FakeCatalog.Instance);
            Assert.True(result.IsValid, result.FormatErrors());
            Assert.Equal([Path.Combine(root, "p")], result.Value!.PluginDirectories);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
