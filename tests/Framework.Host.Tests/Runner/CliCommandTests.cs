using System.Text.Json.Nodes;
using AlignFx.Host.Cli;
using AlignFx.Host.Tests.Plugins;

namespace AlignFx.Host.Tests.Runner;

/// <summary>The CLI's other commands: validate, plugins, schema, runs, help and usage errors.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-cli-").FullName;
    private string StorePath => Path.Combine(_dir, "runs", "alignfx.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke([.. args, "--store", StorePath, "--plugins", TestPluginFolders.Folder("GoodPlugin")], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Good = """{ "name": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk", "steps": 3 } ] }""";

    [Fact]
    public void Validate_reports_each_manifest_and_exits_2_when_any_is_refused()
    {
        string good = Write("good.json", Good);
        string bad = Write("bad.json", """{ "name": "w", "task": "counting", "policy": "parot", "stages": [] }""");

        var (code, output, error) = Cli("validate", good, bad);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"{good}: ok", output, StringComparison.Ordinal);
        Assert.Contains($"{bad}: refused, 2 problems:", error, StringComparison.Ordinal);
        Assert.Contains("$.policy: unknown policy 'parot'", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void Run_with_device_torch_cpu_records_the_device_and_restores_the_default_afterwards()
    {
        var (code, output, _) = Cli("run", Write("good.json", Good), "--device", "torch:cpu");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("completed", output, StringComparison.Ordinal);
        Assert.Equal(AlignFx.Tensors.torch.CPU, AlignFx.Tensors.torch.get_default_device());
    }

    [Fact]
    public void An_unknown_device_on_the_command_line_is_refused_with_exit_2_naming_the_devices()
    {
        var (code, _, error) = Cli("run", Write("good.json", Good), "--device", "tpu");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--device tpu: unknown device 'tpu'; the devices are cpu (the managed backend), torch:cpu (libtorch) and cuda[:n]", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void Plugins_lists_components_by_kind_with_option_defaults()
    {
        var (code, output, _) = Cli("plugins");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("stage:\n  echo  (GoodPlugin)", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("      steps: int = 50", output, StringComparison.Ordinal);
        Assert.Contains("      failAtStep: int = -1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_is_json_naming_every_registered_stage()
    {
        var (code, output, _) = Cli("schema");

        Assert.Equal(ExitCodes.Ok, code);
        string text = JsonNode.Parse(output)!.ToJsonString();
        Assert.Contains("random-walk", text, StringComparison.Ordinal);
        Assert.Contains("counting", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_list_show_and_export_read_what_a_run_wrote()
    {
        Assert.Equal(ExitCodes.Ok, Cli("run", Write("good.json", Good)).Code);

        var (listCode, list, _) = Cli("runs", "list");
        Assert.Equal(ExitCodes.Ok, listCode);
        string id = list.Split('\n')[1].Split(' ')[0];
        var (showCode, show, _) = Cli("runs", "show", id[..12]);
        var (csvCode, csv, _) = Cli("runs", "export", id, "--format", "csv");
        var (jsonCode, json, _) = Cli("runs", "export", id, "--format", "json");

        Assert.Equal((ExitCodes.Ok, ExitCodes.Ok, ExitCodes.Ok), (showCode, csvCode, jsonCode));
        Assert.Contains("walk/position", show, StringComparison.Ordinal);
        Assert.Equal(1 + 3 + 3, csv.Trim().Split('\n').Length);  // header + 3 steps x 2 series
        Assert.NotNull(JsonNode.Parse(json));
    }

    [Fact]
    public void An_unknown_run_id_and_a_usage_error_exit_2()
    {
        Assert.Equal(ExitCodes.InvalidInput, Cli("runs", "show", "nope").Code);
        Assert.Equal(ExitCodes.InvalidInput, Cli("frobnicate").Code);
        Assert.Equal(ExitCodes.InvalidInput, Cli("run", Path.Combine(_dir, "missing.json")).Code);
    }

    [Fact]
    public void Run_and_compare_each_refuse_the_other_kind_of_manifest()
    {
        string pipeline = Write("pipeline.json", Good);
        string compare = Write("compare.json", $$"""{ "name": "c", "seeds": [1], "arms": [ { "name": "a", "pipeline": {{Good}} } ] }""");

        var (runCode, _, runError) = Cli("run", compare);
        var (compareCode, _, compareError) = Cli("compare", pipeline);

        Assert.Equal((ExitCodes.InvalidInput, ExitCodes.InvalidInput), (runCode, compareCode));
        Assert.Contains($"{compare} is a compare manifest; run it with `alignfx compare {compare}`.", runError, StringComparison.Ordinal);
        Assert.Contains($"{pipeline} is a pipeline manifest; run it with `alignfx run {pipeline}`.", compareError, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void Help_is_available_on_every_command()
    {
        foreach (string[] command in new[] { new[] { "--help" }, ["run", "--help"], ["compare", "--help"], ["runs", "export", "--help"] })
        {
            var (code, output, _) = Cli(command);
            Assert.Equal(ExitCodes.Ok, code);
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
        }
    }
}
