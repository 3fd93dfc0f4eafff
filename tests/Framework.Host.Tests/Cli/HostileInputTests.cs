using System.Text;
using AlignFx.Host.Cli;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Host.Tests.Plugins;

namespace AlignFx.Host.Tests.Cli;

/// <summary>
/// The command line under careless or hostile use (issue 18): every bad input gets one clear paragraph and exit 2,
/// a failed run exit 1, stack traces only with --verbose, and nothing is written or truncated by a refused command.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-hostile-").FullName;
    private string StorePath => Path.Combine(_dir, "runs", "alignfx.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private (int Code, string Out, string Err) CliWith(string store, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke([.. args, "--store", store, "--plugins", TestPluginFolders.Folder("GoodPlugin")], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private (int Code, string Out, string Err) Cli(params string[] args) => CliWith(StorePath, args);

    private string Write(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Good = """{ "name": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk", "steps": 3 } ] }""";

    /// <summary>A .NET stack trace line ("   at Namespace.Type.Method(...)").</summary>
    private static void AssertNoStackTrace(string text) =>
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", text);

    private string RunOnce()
    {
        Assert.Equal(ExitCodes.Ok, Cli("run", Write("good.json", Good)).Code);
        using RunStore store = RunStore.Open(StorePath);
        return Assert.Single(store.ListRuns()).Id;
    }

    [Fact]
    public void A_refused_export_leaves_an_existing_output_file_as_it_was()
    {
        RunOnce();
        string existing = Write("existing.csv", "precious,data\n1,2\n");

        var (code, _, error) = Cli("runs", "export", "no-such-run", "-o", existing);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("No run has the id 'no-such-run'", error, StringComparison.Ordinal);
        Assert.Equal("precious,data\n1,2\n", File.ReadAllText(existing));
        Assert.Equal([existing], Directory.GetFiles(_dir, "*.csv*"));
    }

    [Fact]
    public void An_export_replaces_the_output_file_whole_and_leaves_no_temporary_file()
    {
        string id = RunOnce();
        string target = Write("metrics.csv", new string('#', 100_000));

        var (code, _, error) = Cli("runs", "export", id, "-o", target);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("run_id,", File.ReadAllText(target), StringComparison.Ordinal);
        Assert.DoesNotContain("#", File.ReadAllText(target), StringComparison.Ordinal);
        Assert.Equal([target], Directory.GetFiles(_dir, "*metrics.csv*"));
    }

    [Theory]
    [InlineData("missing-folder/schema.json", "does not exist")]
    [InlineData(".", "is a folder")]
    [InlineData("", "needs a file path")]
    public void An_output_path_that_cannot_be_written_is_refused_without_a_stack_trace(string relative, string expected)
    {
        string path = relative.Length == 0 ? "" : Path.Combine(_dir, relative);

        var (code, output, error) = Cli("schema", "-o", path);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--output", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        AssertNoStackTrace(output + error);
    }

    public static TheoryData<string> UnusableStores() => ["folder", "text", "random", "truncated", "empty", "under-a-file", "unwritable"];

    /// <summary>Makes an unusable store of the named sort and returns its path.</summary>
    private string UnusableStore(string sort)
    {
        string path = Path.Combine(_dir, "store.db");
        switch (sort)
        {
            case "folder":
                Directory.CreateDirectory(path);
                return path;
            case "text":
                File.WriteAllText(path, "these are my notes, not a database\n");
                return path;
            case "random":
                File.WriteAllBytes(path, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7919 % 251))]);
                return path;
            case "truncated":
            {
                using (RunStore store = RunStore.Open(path))
                {
                }
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                byte[] bytes = File.ReadAllBytes(path);
                File.WriteAllBytes(path, bytes[..60]);  // half a header
                return path;
            }
            case "empty":
                return "";
            case "under-a-file":
                File.WriteAllText(Path.Combine(_dir, "plain.txt"), "a file");
                return Path.Combine(_dir, "plain.txt", "alignfx.db");
            case "unwritable":
                // Nobody, not even root, creates files in /proc.
                return "/proc/alignfx-store-test.db";
            default:
                throw new ArgumentOutOfRangeException(nameof(sort));
        }
    }

    [Theory]
    [MemberData(nameof(UnusableStores))]
    public void An_unusable_store_is_refused_by_runs_show_with_a_message_naming_it(string sort)
    {
        string store = UnusableStore(sort);

        var (code, output, error) = CliWith(store, "runs", "show", "x");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--store", error, StringComparison.Ordinal);
        AssertNoStackTrace(output + error);
    }

    [Theory]
    [MemberData(nameof(UnusableStores))]
    public void An_unusable_store_is_refused_by_run_before_any_work_with_exit_2(string sort)
    {
        string store = UnusableStore(sort);

        var (code, output, error) = CliWith(store, "run", Write("good.json", Good));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--store", error, StringComparison.Ordinal);
        AssertNoStackTrace(output + error);
    }

    [Fact]
    public void Runs_list_on_a_new_path_says_there_are_no_runs_and_creates_no_store()
    {
        var (code, output, _) = Cli("runs", "list");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("No runs yet", output, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
        Assert.False(Directory.Exists(Path.GetDirectoryName(StorePath)));
    }

    [Theory]
    [InlineData("-2")]
    [InlineData("0")]
    public void A_limit_below_one_is_refused(string limit)
    {
        RunOnce();

        var (code, _, error) = Cli("runs", "list", "--limit", limit);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--limit must be at least 1", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public void A_jobs_count_outside_one_to_sixty_four_is_refused_before_any_work(string jobs)
    {
        string path = Write("compare.json", "{}");

        var (code, _, error) = Cli("compare", path, "--jobs", jobs);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"--jobs must be in [1, 64], not {jobs}", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void Seed_on_the_command_line_has_the_range_of_a_manifest_seed()
    {
        string path = Write("good.json", Good);
        string tooBig = Write("big-seed.json", Good.Replace("\"name\": \"w\"", "\"name\": \"w\", \"seed\": 2147483648", StringComparison.Ordinal));

        var (cliCode, _, cliError) = Cli("run", path, "--seed", "2147483648");
        var (manifestCode, _, _) = Cli("validate", tooBig);
        var (okCode, _, okError) = Cli("run", path, "--seed", "2147483647");

        Assert.Equal((ExitCodes.InvalidInput, ExitCodes.InvalidInput), (cliCode, manifestCode));
        Assert.Contains("--seed must be in [-2147483648, 2147483647]", cliError, StringComparison.Ordinal);
        Assert.True(okCode == ExitCodes.Ok, okError);
    }

    [Fact]
    public void A_plugins_folder_that_does_not_exist_or_is_a_file_is_an_error()
    {
        string path = Write("good.json", Good);
        string file = Write("notes.txt", "not a folder");
        var output = new StringWriter();
        var error = new StringWriter();

        int missing = AlignFxCli.Invoke(["validate", path, "--plugins", Path.Combine(_dir, "nope"), "--store", StorePath], output, error);
        int isFile = AlignFxCli.Invoke(["plugins", "--plugins", file], output, error);

        Assert.Equal((ExitCodes.InvalidInput, ExitCodes.InvalidInput), (missing, isFile));
        Assert.Contains("no such folder", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("is a file", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "name": "w\ud83d", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk" } ] }""", "$.name")]
    [InlineData("""{ "name": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk", "id": "a\udc00b" } ] }""", "$.stages[0].id")]
    [InlineData("""{ "name": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "echo", "message": "\ud83d\ud83d" } ] }""", "$.stages[0].message")]
    [InlineData("""{ "na\ud800me": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk" } ] }""", "$")]
    public void A_lone_surrogate_escape_is_refused_at_its_path_by_validate_and_run(string json, string path)
    {
        string manifest = Write("surrogate.json", json);

        var (validateCode, validateOut, validateError) = Cli("validate", manifest);
        var (runCode, runOut, runError) = Cli("run", manifest);

        Assert.Equal((ExitCodes.InvalidInput, ExitCodes.InvalidInput), (validateCode, runCode));
        Assert.Contains($"  {path}", validateError, StringComparison.Ordinal);
        Assert.Contains("lone UTF-16 surrogate", validateError, StringComparison.Ordinal);
        AssertNoStackTrace(validateOut + validateError + runOut + runError);
        Assert.False(File.Exists(StorePath));
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void A_blank_name_is_refused_by_validate_and_run(string name)
    {
        string manifest = Write("blank.json", Good.Replace("\"w\"", System.Text.Json.JsonSerializer.Serialize(name), StringComparison.Ordinal));

        var (validateCode, _, validateError) = Cli("validate", manifest);
        var (runCode, _, _) = Cli("run", manifest);

        Assert.Equal((ExitCodes.InvalidInput, ExitCodes.InvalidInput), (validateCode, runCode));
        Assert.Contains("$.name: must not be blank", validateError, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void A_failed_run_prints_no_stack_trace_and_the_store_keeps_it()
    {
        string manifest = Write("fails.json", """{ "name": "w", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk", "steps": 5, "failAtStep": 2 } ] }""");

        var (code, output, error) = Cli("run", manifest);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("failed", output, StringComparison.Ordinal);
        AssertNoStackTrace(output + error);
        using RunStore store = RunStore.Open(StorePath);
        RunInfo run = Assert.Single(store.ListRuns());
        Assert.Matches(@"(?m)^\s+at \S+\(", run.Error!);
        Assert.Contains("RandomWalkStage", run.Error!, StringComparison.Ordinal);
        var (showCode, show, _) = Cli("runs", "show", run.Id);
        Assert.Equal(ExitCodes.Ok, showCode);
        AssertNoStackTrace(show);
    }

    [Fact]
    public void An_unexpected_exception_is_one_paragraph_and_exit_1_with_its_stack_trace_only_with_verbose()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the disk fell off");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }
        var quiet = new StringWriter();
        var verbose = new StringWriter();

        int quietCode = CliErrorPolicy.Report(thrown, quiet, verbose: false);
        int verboseCode = CliErrorPolicy.Report(thrown, verbose, verbose: true);

        Assert.Equal((ExitCodes.Failed, ExitCodes.Failed), (quietCode, verboseCode));
        Assert.Equal("error: alignfx failed unexpectedly: InvalidOperationException: the disk fell off (run again with --verbose for the stack trace)\n",
            quiet.ToString().ReplaceLineEndings("\n"));
        AssertNoStackTrace(quiet.ToString());
        Assert.Matches(@"(?m)^\s+at \S+\(", verbose.ToString());
        Assert.Equal(ExitCodes.InvalidInput, CliErrorPolicy.Report(new RefusedInputException("--x is bad; use --y."), new StringWriter(), verbose: false));
    }

    [Fact]
    public void Names_with_terminal_escapes_and_bidi_controls_are_printed_escaped_by_run_and_runs()
    {
        const string Evil = "evil\u001b[31m\u0007\u202Eeman\u0000";
        string manifest = Write("evil.json", Good.Replace("\"w\"", System.Text.Json.JsonSerializer.Serialize(Evil), StringComparison.Ordinal));

        var (runCode, run, runError) = Cli("run", manifest);
        var (_, list, _) = Cli("runs", "list");
        string id;
        using (RunStore store = RunStore.Open(StorePath))
            id = Assert.Single(store.ListRuns()).Id;
        var (_, show, _) = Cli("runs", "show", id);

        Assert.True(runCode == ExitCodes.Ok, runError);
        foreach (string printed in new[] { run, list, show })
        {
            Assert.DoesNotContain(printed, c => c is '\u001b' or '\u0007' or '\u202E' or '\u0000');
            Assert.Contains("evil\\u001B[31m\\u0007\\u202Eeman\\u0000", printed, StringComparison.Ordinal);
        }
        // Columns stay aligned: the status column starts at the same place on the header and the run's line.
        string[] lines = list.Split('\n');
        Assert.Equal(lines[0].IndexOf("STATUS", StringComparison.Ordinal), lines[1].IndexOf("completed", StringComparison.Ordinal));
    }

    [Fact]
    public void Terminal_text_keeps_ordinary_unicode_and_escapes_lone_surrogates()
    {
        Assert.Equal("héllo 🙂 ±\n\t", TerminalText.Escape("héllo 🙂 ±\n\t"));
        Assert.Equal("a\\uD83Db", TerminalText.Escape("a\ud83db"));
        Assert.Equal("\\u009B2J\\u2066x\\u2069", TerminalText.Escape("\u009b2J\u2066x\u2069"));
    }

    [Fact]
    public void The_compare_summary_escapes_the_title_and_flags_a_report_metric_no_arm_logged()
    {
        string compare = Write("compare.json", """
            {
              "name": "walks <script>alert(1)</script> **bold** | # [x](javascript:y)",
              "seeds": [1, 2],
              "base": { "name": "walk", "task": "counting", "policy": "parrot", "stages": [ { "stage": "random-walk", "steps": 3 } ] },
              "arms": [ { "name": "a", "overrides": {} }, { "name": "b", "overrides": {} } ],
              "report": { "metrics": ["walk/position", "walk/positon"] },
            }
            """);

        var (code, output, error) = Cli("compare", compare);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("warning: the report metric 'walk/positon' was logged by no arm", error, StringComparison.Ordinal);
        Assert.DoesNotContain("walk/position'", error, StringComparison.Ordinal);
        string summary = File.ReadAllText(Directory.GetFiles(Path.Combine(_dir, "runs", "compares"), "summary.md", SearchOption.AllDirectories).Single());
        Assert.StartsWith("# Compare: walks &lt;script&gt;alert(1)&lt;/script&gt; \\*\\*bold\\*\\* \\| \\# \\[x\\](javascript:y)\n", summary, StringComparison.Ordinal);
        Assert.Contains("**Not logged by any arm:** walk/positon", summary, StringComparison.Ordinal);
        Assert.Contains("summary.md", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_plugins_entry_does_not_hide_the_manifests_other_problems()
    {
        string manifest = Write("bad.json", """{ "name": "w", "plugins": ["no-such-folder"], "task": "counting", "policy": "parot", "stages": [ { "stage": "random-walk", "steps": 0 } ] }""");

        var (code, _, error) = Cli("validate", manifest);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("refused, 3 problems:", error, StringComparison.Ordinal);
        Assert.Contains("$.plugins[0]: the plugin folder 'no-such-folder' does not exist", error, StringComparison.Ordinal);
        Assert.Contains("$.policy: unknown policy 'parot'", error, StringComparison.Ordinal);
        Assert.Contains("$.stages[0].steps: must be in [1, 1000000]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_named_as_a_plugin_folder_is_called_a_file()
    {
        Write("plugin.dll.txt", "not a folder");
        string manifest = Write("file-plugin.json", Good.Replace("\"name\": \"w\"", "\"name\": \"w\", \"plugins\": [\"plugin.dll.txt\"]", StringComparison.Ordinal));

        var (code, _, error) = Cli("validate", manifest);
        var catalog = PluginCatalog.Load([Path.Combine(_dir, "plugin.dll.txt")], includeBuiltIn: false);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("$.plugins[0]: 'plugin.dll.txt' is a file, not a folder", error, StringComparison.Ordinal);
        Assert.Contains("is a file, not a folder", Assert.Single(catalog.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_garbage_dll_is_reported_as_not_an_assembly_rather_than_missing()
    {
        string folder = Path.Combine(_dir, "plugins", "Junk");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "Junk.dll"), Encoding.ASCII.GetBytes("MZ this is not a portable executable at all"));

        var catalog = PluginCatalog.Load([folder], includeBuiltIn: false);

        string message = Assert.Single(catalog.Errors).ToString();
        Assert.Contains("Junk.dll is not a .NET assembly", message, StringComparison.Ordinal);
        Assert.DoesNotContain("none is named", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("-99999999999")]
    [InlineData("1e30")]
    public void A_huge_number_is_refused_with_the_options_own_range(string number)
    {
        string manifest = Write("huge.json", Good.Replace("\"steps\": 3", $"\"steps\": {number}", StringComparison.Ordinal));

        var (code, _, error) = Cli("validate", manifest);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("$.stages[0].steps: must be in [1, 1000000]", error, StringComparison.Ordinal);
        Assert.DoesNotContain("2147483647", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_over_the_size_limit_is_refused_without_reading_it_all()
    {
        string big = Path.Combine(_dir, "big.json");
        File.WriteAllText(big, "{ \"name\": \"w\"" + new string(' ', 5 * 1024 * 1024) + "}");

        var (code, _, error) = Cli("validate", big);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("is larger than 4 MiB", error, StringComparison.Ordinal);
        if (File.Exists("/dev/zero"))
        {
            var (zeroCode, _, zeroError) = Cli("validate", "/dev/zero");
            Assert.Equal(ExitCodes.InvalidInput, zeroCode);
            Assert.Contains("is larger than 4 MiB", zeroError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_manifest_nested_too_deep_is_refused_at_the_level_that_is_too_deep()
    {
        string deep = Write("deep.json", "{ \"name\": " + new string('[', 40) + new string(']', 40) + " }");

        var (code, output, error) = Cli("validate", deep);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("nest more than 32 levels deep", error, StringComparison.Ordinal);
        AssertNoStackTrace(output + error);
    }
}
