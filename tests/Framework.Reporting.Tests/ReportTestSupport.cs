using System.Reflection;
using System.Text.RegularExpressions;
using AlignFx.Host.Cli;

namespace AlignFx.Reporting.Tests;

/// <summary>A temporary store, the test plugins, the CLI, and golden files for the report tests.</summary>
internal sealed partial class ReportWorkspace : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("alignfx-report-").FullName;

    public string StorePath => Path.Combine(Folder, "runs", "alignfx.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Runs <c>alignfx</c> with this workspace's store and the GoodPlugin test plugin.</summary>
    public (int Code, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke([.. args, "--store", StorePath, "--plugins", GoodPlugin], output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Writes a manifest into the workspace and returns its path.</summary>
    public string Manifest(string name, string json)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Two arms of random walks (10 steps, or two stages of 5) over three seeds: a compare that runs in about a second.</summary>
    public const string WalkCompare = """
        {
          "name": "walks",
          "description": "Two arms of random walks over three seeds.",
          "seeds": [1, 2, 3],
          "base": { "name": "walk", "task": "counting", "policy": "parrot",
                    "stages": [ { "stage": "random-walk", "steps": 10 } ] },
          "arms": [
            { "name": "short", "overrides": {} },
            { "name": "split", "overrides": { "stages": [ { "stage": "random-walk", "steps": 5 },
                                                           { "stage": "random-walk", "id": "more", "steps": 5 } ] } },
          ],
          "budgets": { "optimizationSteps": true },
          "report": { "metrics": ["walk/position", "gold/accuracy"], "baseline": "short" },
        }
        """;

    /// <summary>One random walk of 12 steps.</summary>
    public const string WalkRun = """
        { "name": "one-walk", "seed": 7, "task": "counting", "policy": "parrot",
          "stages": [ { "stage": "random-walk", "steps": 12 }, { "stage": "random-walk", "id": "again", "steps": 4 } ] }
        """;

    /// <summary>The GoodPlugin test plugin as built into the host tests' testplugins folder.</summary>
    public static string GoodPlugin => GoodPluginFolder.Value;

    private static readonly Lazy<string> GoodPluginFolder = new(FindGoodPlugin);

    private static string FindGoodPlugin()
    {
        string configuration = typeof(ReportWorkspace).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        string folder = Path.Combine(RepositoryRoot, "tests", "Framework.Host.Tests", "bin", configuration, "net10.0", "testplugins", "GoodPlugin");
        Assert.True(Directory.Exists(folder), $"The GoodPlugin test plugin was not built into {folder}; build tests/Framework.Reporting.Tests.");
        return folder;
    }

    public static string RepositoryRoot => Root.Value;

    private static readonly Lazy<string> Root = new(FindRoot);

    private static string FindRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Framework.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("repository root not found");
        }
        return root;
    }

    /// <summary>
    /// The page with run and compare ids, and the budget's wall times, replaced by placeholders, so a golden file holds
    /// across runs and machines.
    /// </summary>
    public static string WithoutIds(string html) =>
        WallTimeCell().Replace(IdPattern().Replace(html, "<id>"), m => m.Groups[1].Value + Regex.Replace(m.Groups[2].Value, "<td>[^<]*</td>", "<td>&lt;s&gt;</td>"));

    [GeneratedRegex("[0-9]{8}-[0-9]{6}-[0-9a-z]{6}")]
    private static partial Regex IdPattern();

    [GeneratedRegex("(<td>wall time of the stages run[^<]*</td>)((?:<td>[^<]*</td>)+)")]
    private static partial Regex WallTimeCell();
}

/// <summary>Golden files under tests/Framework.Reporting.Tests/Golden; ALIGNFX_UPDATE_GOLDEN=1 rewrites them.</summary>
internal static class Golden
{
    public static void Check(string fileName, string actual)
    {
        string path = Path.Combine(ReportWorkspace.RepositoryRoot, "tests", "Framework.Reporting.Tests", "Golden", fileName);
        bool updating = Environment.GetEnvironmentVariable("ALIGNFX_UPDATE_GOLDEN") == "1";
        if (updating || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            Assert.True(updating, $"golden file {fileName} was missing and has been written; check it and run again");
            return;
        }
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }
}
