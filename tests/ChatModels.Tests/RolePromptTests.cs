using System.Text.Json;
using AlignFx.Host.Chat;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.ChatModels.Tests;

/// <summary>Role prompts as Semantic Kernel templates: checked at validation with their JSON path, rendered when a role asks.</summary>
public sealed class RolePromptTests(TinyPolicy tiny)
{
    private (string Path, string Folder) Write(string source)
    {
        string folder = tiny.NewFolder("roles");
        string path = Path.Combine(folder, "m.json");
        File.WriteAllText(path, $$"""
            {
              "name": "roles",
              "seed": 2,
              "task": {{TinyPolicy.Task}},
              "policy": { "name": "gpt", "options": { "checkpoint": {{JsonSerializer.Serialize(tiny.Checkpoint)}} } },
              "stages": [ { "stage": "collect-feedback", "labels": 2, "maxNewTokens": 6, "source": { "name": "chat-feedback", "options": {{source}} } } ],
            }
            """);
        return (path, folder);
    }

    [Theory]
    [InlineData("""{ "mode": "judge", "judge": { "template": "Is {{$a}} better than {{$c}} for {{$question}}?" } }""",
        "$.stages[0].source.options.judge.template: unknown variables $c, $question; this role's variables are: $prompt, $a, $b")]
    [InlineData("""{ "answer": { "templateFile": "prompts/missing.txt" } }""",
        "$.stages[0].source.options.answer.templateFile: cannot read '<folder>/prompts/missing.txt' (DirectoryNotFoundException: Could not find a part of the path '<folder>/prompts/missing.txt'.); the path is relative to the manifest's folder")]
    [InlineData("""{ "answer": { "template": "{{$prompt}}", "templateFile": "a.txt" } }""",
        "$.stages[0].source.options.answer: give template or templateFile, not both")]
    [InlineData("""{ "answer": { "maxTokens": 4 } }""",
        "$.stages[0].source.options.answer: give the role's template inline (template) or as a file next to the manifest (templateFile)")]
    [InlineData("""{ "answer": { "template": "{{$prompt}} {{ time.now }}" } }""",
        "$.stages[0].source.options.answer.template: the template calls a function, and role templates can use only their variables (The plugin collection does not contain a plugin and/or function with the specified names. Plugin name - 'time', function name - 'now'.)")]
    [InlineData("""{ "answer": { "template": "{{$prompt}}", "temperature": 3 } }""",
        "$.stages[0].source.options.answer.temperature: must be in [0, 2]")]
    public void A_bad_role_prompt_is_refused_at_validation_with_its_json_path(string source, string error)
    {
        var (path, folder) = Write(source);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, tiny.Catalog);
        Assert.Equal(error.Replace("<folder>", folder, StringComparison.Ordinal), Assert.Single(manifest.Errors).ToString());
    }

    [Fact]
    public async Task Semantic_kernel_renders_the_variables_as_given_without_html_encoding()
    {
        var prompter = new SemanticKernelRolePrompter();
        string text = await prompter.RenderAsync(AlignFx.Abstractions.Roles.RolePrompt.Inline("Q: {{$prompt}}\nA: {{ $a }} | B: {{$b}}"),
            new Dictionary<string, string> { ["prompt"] = "it's 3<4 & 5>2?", ["a"] = "\"yes\"", ["b"] = "no" }, TestContext.Current.CancellationToken);
        Assert.Equal("Q: it's 3<4 & 5>2?\nA: \"yes\" | B: no", text);
    }

    [Fact]
    public async Task A_template_file_next_to_the_manifest_is_what_the_role_model_is_asked_in_judge_mode()
    {
        var (path, folder) = Write("""{ "model": "policy", "mode": "judge", "judge": { "templateFile": "judge.txt", "maxTokens": 3, "temperature": 0 } }""");
        File.WriteAllText(Path.Combine(folder, "judge.txt"), "{{$prompt}} A={{$a}} B={{$b}}");
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, tiny.Catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(folder, "runs", "alignfx.db"));
        RunOutcome outcome = await new PipelineRunner(tiny.Catalog, store, NullLoggerFactory.Instance, TextWriter.Null)
            .RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);
        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        IReadOnlyList<FeedbackEntry> labels = store.GetFeedback(outcome.RunId);
        Assert.Equal(2, labels.Count);
        foreach (FeedbackEntry label in labels)
        {
            using var payload = JsonDocument.Parse(label.PayloadJson);
            JsonElement root = payload.RootElement;
            string asked = root.GetProperty("transcript")[0].GetProperty("text").GetString()!;
            string expected = $"{root.GetProperty("first").GetProperty("prompt").GetString()} A={root.GetProperty("first").GetProperty("text").GetString()} B={root.GetProperty("second").GetProperty("text").GetString()}";
            Assert.Equal(expected, asked);
            string verdict = root.GetProperty("transcript")[2].GetProperty("text").GetString()!;
            double prefer = root.GetProperty("preferFirst").GetDouble();
            Assert.Equal(verdict == "A" ? 1 : verdict == "B" ? 0 : 0.5, prefer);
        }
        // The policy chat model answered within the role's maxTokens (3): at most 3 output tokens per call.
        Assert.All(new ChatStore(store).GetCalls(outcome.RunId), c => Assert.InRange(c.OutputTokens!.Value, 1, 3));
    }
}
