using System.Diagnostics;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Store;

namespace AlignFx.ChatModels.Tests;

/// <summary>
/// The plugin SDK as an author outside this repository uses it: the packed packages and the <c>alignfx-plugin</c>
/// template, in an empty folder, restored offline (the packages' folder is the only source), built, loaded with
/// <c>--plugins</c> and run in a manifest.
/// </summary>
public sealed class PluginSdkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-sdk-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(BuiltPlugins.HostDirectory, "..", "..", "..", "..", ".."));

    private static string Configuration => Path.GetFileName(Path.GetDirectoryName(BuiltPlugins.HostDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;

    /// <summary>Runs a command to the end; fails the test with its output when it does not exit with 0.</summary>
    private static async Task<string> Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        string all = await output + await error;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{all}");
        return all;
    }

    [Fact]
    public void The_templates_default_package_version_is_the_contracts_version()
    {
        using JsonDocument template = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(RepositoryRoot, "templates", "alignfx-plugin", ".template.config", "template.json")));
        string version = template.RootElement.GetProperty("symbols").GetProperty("alignfxVersion").GetProperty("defaultValue").GetString()!;
        Assert.Equal($"{AlignFxContracts.Major}.{AlignFxContracts.Minor}.0", version);
    }

    [Fact]
    public async Task A_plugin_made_from_the_template_and_the_packed_packages_builds_offline_loads_and_runs_in_a_manifest()
    {
        // A version no cache can hold yet, so restore takes the packages just packed and nothing older.
        string version = $"{AlignFxContracts.Major}.{AlignFxContracts.Minor}.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        string packages = Path.Combine(_dir, "packages");
        await Run(RepositoryRoot, null, "pack", "build/sdk.proj", "-c", Configuration, "--no-build", "-o", packages, $"-p:PackageVersion={version}");
        Assert.Equal(4, Directory.GetFiles(packages, $"*.{version}.nupkg").Length);

        // The template, installed into a hive of its own so that the machine's templates are left alone.
        string hive = Path.Combine(_dir, "hive");
        await Run(_dir, null, "new", "install", Path.Combine(packages, $"AlignFx.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        await Run(_dir, null, "new", "alignfx-plugin", "-n", "MyLab.Hello", "-o", "hello", "--packages", packages,
            "--alignfx-version", version, "--debug:custom-hive", hive);
        string project = Path.Combine(_dir, "hello");
        Assert.Contains(packages, File.ReadAllText(Path.Combine(project, "nuget.config")), StringComparison.Ordinal);

        // Offline: the packages' folder is the only source; what the packages depend on comes from the machine's
        // package folder (read-only, as a fallback), and what restore extracts goes to a folder of the test's own.
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="alignfx" value="{packages}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="machine" value="{machinePackages}" /></fallbackPackageFolders>
            </configuration>
            """);
        var offline = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_dir, "nuget") };
        await Run(project, offline, "build", "-c", "Release");

        // The plugin folder holds the plugin and none of the assemblies the host shares with it.
        string plugin = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(plugin, "MyLab.Hello.dll")));
        Assert.Empty(Directory.GetFiles(plugin, "Framework.*.dll"));
        Assert.Empty(Directory.GetFiles(plugin, "Microsoft.Extensions.*.Abstractions.dll"));

        // alignfx lists its components and runs its manifest, whose stage names the plugin's reward model.
        string host = Path.Combine(BuiltPlugins.HostDirectory, "alignfx.dll");
        string components = await Run(project, null, host, "plugins", "--plugins", plugin);
        Assert.Contains("length-cap", components, StringComparison.Ordinal);
        Assert.Contains("score-responses", components, StringComparison.Ordinal);
        string store = Path.Combine(_dir, "runs", "alignfx.db");
        await Run(project, null, host, "run", Path.Combine("examples", "hello.json"), "--plugins", plugin, "--store", store);

        using RunStore runs = RunStore.Open(store);
        RunInfo run = Assert.Single(runs.ListRuns());
        Assert.Equal(RunStatus.Completed, run.Status);
        // Every response of a barely trained policy is scored, so the mean penalty is at most 0; gold accuracy is a rate.
        Assert.InRange(Assert.Single(runs.GetMetricSeries(run.Id, "score-responses/mean_score")).Value, double.MinValue, 0);
        Assert.InRange(Assert.Single(runs.GetMetricSeries(run.Id, MetricNames.Gold.Accuracy)).Value, 0, 1);
    }
}
