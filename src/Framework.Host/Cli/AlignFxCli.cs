using System.CommandLine;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Cli;

/// <summary>The <c>alignfx</c> command tree (System.CommandLine): run, compare, validate, plugins, schema, runs.</summary>
public static class AlignFxCli
{
    /// <summary>Parses and runs <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static int Invoke(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var env = new CliEnvironment(output ?? Console.Out, error ?? Console.Error);
        RootCommand root = Build(env);
        ParseResult parsed = root.Parse(args);
        // Exceptions reach the one error policy below instead of System.CommandLine's stack-trace printer.
        var config = new InvocationConfiguration { Output = env.RawOutput, Error = env.Error, EnableDefaultExceptionHandler = false };
        try
        {
            int code = parsed.Invoke(config);
            // Usage errors (unknown command, missing argument) are refused input too.
            return parsed.Errors.Count > 0 ? ExitCodes.InvalidInput : code;
        }
        catch (Exception ex)
        {
            bool verbose = parsed.Errors.Count == 0 && parsed.GetValue<bool>(VerboseName);
            return CliErrorPolicy.Report(ex, env.Error, verbose);
        }
        finally
        {
            env.Output.Flush();
            env.Error.Flush();
        }
    }

    private const string VerboseName = "--verbose";
    private const string DeviceName = "--device";
    private const string NoCacheName = "--no-cache";

    internal static RootCommand Build(CliEnvironment env)
    {
        var plugins = new Option<string[]>("--plugins")
        {
            Description = "A folder of plugins (or of plugin folders) to load besides the built-in ones; repeatable.",
            Recursive = true,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var storePath = new Option<string>("--store")
        {
            Description = "The run store (SQLite file).",
            DefaultValueFactory = _ => RunStoreOptions.DefaultPath,
            Recursive = true,
        };
        var verbose = new Option<bool>(VerboseName, "-v") { Description = "Log debug messages.", Recursive = true };
        var device = new Option<string?>(DeviceName)
        {
            Description = "The tensor device: cpu (the managed backend, the default), torch:cpu (libtorch) or cuda[:n]; overrides the manifest's.",
            Recursive = true,
        };
        var noCache = new Option<bool>(NoCacheName)
        {
            Description = "Run every stage, even one the stage cache (runs/cache/) holds; nothing is saved to it either.",
            Recursive = true,
        };

        var root = new RootCommand(
            "AlignFx: run RLHF and the techniques that complement it as plugins, composed in JSON manifests, " +
            "and compare them with the failure modes of RLHF measured.")
        {
            plugins, storePath, verbose, device, noCache,
        };
        root.Subcommands.Add(RunCommand(env, plugins, storePath, verbose));
        root.Subcommands.Add(CompareCommand(env, plugins, storePath, verbose));
        root.Subcommands.Add(CompareWorkerCommand(env, plugins, storePath, verbose));
        root.Subcommands.Add(ValidateCommand(env, plugins));
        root.Subcommands.Add(PluginsCommand(env, plugins));
        root.Subcommands.Add(SchemaCommand(env, plugins));
        root.Subcommands.Add(RunsCommand(env, storePath));
        root.Subcommands.Add(ReportCommand(env, storePath));
        root.Subcommands.Add(ServeCommand.Build(env, plugins, verbose));
        return root;
    }

    private static Command RunCommand(CliEnvironment env, Option<string[]> plugins, Option<string> storePath, Option<bool> verbose)
    {
        var manifest = new Argument<string>("manifest") { Description = "A pipeline manifest (JSON)." };
        var seed = new Option<long?>("--seed") { Description = "Override the manifest's seed." };
        // The same range as a manifest's "seed", so --seed accepts exactly what the manifest would.
        seed.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is { } value && value is < int.MinValue or > int.MaxValue)
                result.AddError($"--seed must be in [{int.MinValue}, {int.MaxValue}] (the range of a manifest's seed), not {value}.");
        });
        var replay = new Option<bool>("--replay")
        {
            Description = "Answer chat models on servers from the store's response cache only (offline); a request it lacks fails the run.",
        };
        var command = new Command("run", "Run a pipeline manifest: its stages in order, recorded in the store.") { manifest, seed, replay };
        command.SetAction(parse => Execute(env, parse, parse.GetValue(manifest)!, plugins, storePath, verbose, ManifestKind.Pipeline,
            ManifestLoader.LoadPipeline, (pipeline, store, runner, ct) =>
            {
                RunOutcome outcome = runner.RunAsync(pipeline, parse.GetValue(seed), null, ct).GetAwaiter().GetResult();
                env.Output.WriteLine();
                RunViews.WriteRunShow(store, outcome.RunId, env.Output);
                env.Output.WriteLine();
                env.Output.WriteLine($"Run {outcome.RunId}: {outcome.Status.ToText()}{(outcome.Error is null ? "" : ": " + outcome.Error)}");
                env.Output.WriteLine($"Store: {store.DatabasePath}; files: {store.GetRunFolder(outcome.RunId)}");
                env.Output.WriteLine($"Report: {Reports.HostReports.WriteRun(store, outcome.RunId)}");
                WriteReports(store, outcome.RunId, env.Output);
                return outcome.Status;
            }, parse.GetValue(replay)));
        return command;
    }

    /// <summary>Names the run's reports and prints its headline texts, so the last lines of a run say where to look.</summary>
    private static void WriteReports(RunStore store, string runId, TextWriter output)
    {
        string folder = store.GetRunFolder(runId);
        IReadOnlyList<ArtifactEntry> artifacts = store.GetArtifacts(runId);
        foreach (ArtifactEntry report in artifacts.Where(a => a.Kind == ReportArtifactKinds.Report))
        {
            output.WriteLine($"Report: {Path.Combine(folder, report.RelativePath)}");
        }
        foreach (ArtifactEntry headline in artifacts.Where(a => a.Kind == ReportArtifactKinds.Headline))
        {
            string path = Path.Combine(folder, headline.RelativePath);
            if (File.Exists(path))
            {
                output.WriteLine();
                output.WriteLine($"{headline.Name}:");
                output.Write(File.ReadAllText(path));
            }
        }
    }

    private static Command CompareCommand(CliEnvironment env, Option<string[]> plugins, Option<string> storePath, Option<bool> verbose)
    {
        var manifest = new Argument<string>("manifest") { Description = "A compare manifest (JSON)." };
        var jobs = new Option<int>("--jobs", "-j")
        {
            Description = "Runs at once, each in a process of its own against the same store (default 1: one after another, in this process). The numbers do not depend on it.",
            DefaultValueFactory = _ => 1,
        };
        jobs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
                result.AddError($"--jobs must be in [1, 64], not {result.GetValueOrDefault<int>()}.");
        });
        var command = new Command("compare", "Run every arm of a compare manifest with every seed and summarise the metrics with 95% intervals.") { manifest, jobs };
        command.SetAction(parse => Execute(env, parse, parse.GetValue(manifest)!, plugins, storePath, verbose, ManifestKind.Compare,
            ManifestLoader.LoadCompare, (compare, store, runner, ct) =>
            {
                int count = parse.GetValue(jobs);
                var workers = new ProcessCompareJobs(Path.GetFullPath(parse.GetValue(manifest)!), WorkerArguments(parse, plugins, store, verbose), env.Error);
                var compareRunner = new CompareRunner(runner, store) { Jobs = count, Launcher = count > 1 ? workers : null };
                CompareOutcome outcome = compareRunner.RunAsync(compare, ct).GetAwaiter().GetResult();
                env.Output.WriteLine();
                env.Output.Write(CompareRunner.ToMarkdown(compare.Name, outcome.Cells));
                env.Output.WriteLine();
                env.Output.WriteLine($"Compare {outcome.CompareId}: {outcome.Status.ToText()}, {outcome.Runs.Count} runs");
                foreach (RunOutcome run in outcome.Runs.Where(r => r.Status != RunStatus.Completed))
                {
                    env.Output.WriteLine($"  run {run.RunId}: {run.Status.ToText()}: {run.Error}");
                }
                env.Output.WriteLine($"Summary: {Path.Combine(outcome.Folder, "summary.md")} and summary.csv; report: {Path.Combine(outcome.Folder, Reports.CompareReports.FileName)}");
                foreach (string metric in CompareRunner.MetricsNoArmLogged(outcome.Cells))
                {
                    env.Error.WriteLine($"warning: the report metric '{metric}' was logged by no arm (a misspelt name, or a stage that did not run?); summary.md marks it.");
                }
                return outcome.Status;
            }));
        return command;
    }

    /// <summary>The parent's options a compare worker needs to run as the parent would.</summary>
    private static List<string> WorkerArguments(ParseResult parse, Option<string[]> plugins, RunStore store, Option<bool> verbose)
    {
        var arguments = new List<string> { "--store", store.DatabasePath };
        foreach (string folder in parse.GetValue(plugins) ?? [])
        {
            arguments.AddRange(["--plugins", Path.GetFullPath(folder)]);
        }
        if (parse.GetValue<string?>(DeviceName) is { } device)
        {
            arguments.AddRange([DeviceName, device]);
        }
        if (parse.GetValue<bool>(NoCacheName))
        {
            arguments.Add(NoCacheName);
        }
        if (parse.GetValue(verbose))
        {
            arguments.Add(VerboseName);
        }
        return arguments;
    }

    /// <summary>
    /// One arm × seed of a compare that <c>alignfx compare --jobs N</c> started (hidden: not for people). It loads the
    /// same manifest, runs the arm with the seed as a member of the compare, and exits with the run's code.
    /// </summary>
    private static Command CompareWorkerCommand(CliEnvironment env, Option<string[]> plugins, Option<string> storePath, Option<bool> verbose)
    {
        var manifest = new Argument<string>("manifest") { Description = "The compare manifest." };
        var compareId = new Option<string>(ProcessCompareJobs.CompareIdOption) { Description = "The compare the run belongs to.", Required = true };
        var arm = new Option<string>(ProcessCompareJobs.ArmOption) { Description = "The arm to run.", Required = true };
        var seed = new Option<int>(ProcessCompareJobs.SeedOption) { Description = "The seed to run it with.", Required = true };
        var command = new Command(ProcessCompareJobs.WorkerCommand, "Run one arm of a compare with one seed (started by compare --jobs).")
        {
            manifest, compareId, arm, seed,
        };
        command.Hidden = true;
        command.SetAction(parse => Execute(env, parse, parse.GetValue(manifest)!, plugins, storePath, verbose, ManifestKind.Compare,
            ManifestLoader.LoadCompare, (compare, store, runner, ct) =>
            {
                string name = parse.GetValue(arm)!;
                CompareArm chosen = compare.Arms.FirstOrDefault(a => a.Name == name)
                    ?? throw new RefusedInputException($"The compare has no arm '{name}'; its arms are {string.Join(", ", compare.Arms.Select(a => a.Name))}.");
                RunOutcome outcome = runner.RunAsync(chosen.Pipeline, parse.GetValue(seed), new CompareMembership(parse.GetValue(compareId)!, name), ct)
                    .GetAwaiter().GetResult();
                env.Output.WriteLine($"Run {outcome.RunId}: {outcome.Status.ToText()}{(outcome.Error is null ? "" : ": " + outcome.Error)}");
                return outcome.Status;
            }));
        return command;
    }

    private static Command ValidateCommand(CliEnvironment env, Option<string[]> plugins)
    {
        var manifests = new Argument<string[]>("manifests") { Description = "Manifests to check.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check manifests (pipeline or compare) without running anything.") { manifests };
        command.SetAction(parse =>
        {
            int code = ExitCodes.Ok;
            foreach (string path in parse.GetValue(manifests)!)
            {
                if (LoadCatalogFor(env, path, parse.GetValue(plugins) ?? [], out var catalog) is { } refused)
                {
                    code = refused;
                    continue;
                }
                IReadOnlyList<ManifestError> errors = ManifestLoader.Validate(path, catalog);
                if (errors.Count > 0)
                {
                    code = env.Refuse(path, errors);
                }
                else
                {
                    env.Output.WriteLine($"{path}: ok");
                }
            }
            return code;
        });
        return command;
    }

    private static Command PluginsCommand(CliEnvironment env, Option<string[]> plugins)
    {
        var command = new Command("plugins", "List every component by kind, with its description and options (and their defaults).");
        command.SetAction(parse =>
        {
            var catalog = env.LoadPlugins(parse.GetValue(plugins) ?? []);
            PluginListing.Write(catalog, env.Output);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SchemaCommand(CliEnvironment env, Option<string[]> plugins)
    {
        var outputPath = new Option<string?>("--output", "-o") { Description = "Write the schema to this file instead of standard output." };
        var command = new Command("schema", "Write the JSON Schema of pipeline and compare manifests, with every registered component's options.") { outputPath };
        command.SetAction(parse =>
        {
            var catalog = env.LoadPlugins(parse.GetValue(plugins) ?? []);
            string schema = ManifestSchema.GenerateText(catalog);
            if (parse.GetValue(outputPath) is { } file)
            {
                AtomicFile.Write(file, "--output", writer => writer.Write(schema));
                env.Output.WriteLine($"Wrote {file}");
            }
            else
            {
                env.RawOutput.WriteLine(schema);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RunsCommand(CliEnvironment env, Option<string> storePath)
    {
        var limit = new Option<int?>("--limit") { Description = "Show only the newest N runs." };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 and var value)
                result.AddError($"--limit must be at least 1 (how many of the newest runs to show), not {value}.");
        });
        var list = new Command("list", "List the runs in the store, newest first.") { limit };
        list.SetAction(parse =>
        {
            string path = parse.GetValue(storePath)!;
            // Listing must not create a store where there is none.
            using RunStore? store = StoreAccess.Open(path, create: false);
            if (store is null)
            {
                env.Output.WriteLine($"No runs yet: there is no run store at {Path.GetFullPath(path)}.");
                return ExitCodes.Ok;
            }
            RunViews.WriteRunList(store, env.Output, parse.GetValue(limit));
            return ExitCodes.Ok;
        });

        var showId = new Argument<string>("id") { Description = "A run id or a unique prefix of one." };
        var show = new Command("show", "Show a run: its stages, metric summaries, feedback and artifacts.") { showId };
        show.SetAction(parse => WithStore(env, parse.GetValue(storePath)!, store => RunViews.WriteRunShow(store, parse.GetValue(showId)!, env.Output)));

        var exportId = new Argument<string>("id") { Description = "A run id or a unique prefix of one." };
        var format = new Option<ExportFormat>("--format") { Description = "csv or json.", DefaultValueFactory = _ => ExportFormat.Csv };
        var exportOutput = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var export = new Command("export", "Export a run's metric series as CSV or JSON.") { exportId, format, exportOutput };
        export.SetAction(parse => WithStore(env, parse.GetValue(storePath)!, store =>
        {
            if (parse.GetValue(exportOutput) is { } file)
            {
                // The id is checked while writing: a refused export leaves an existing file as it was.
                AtomicFile.Write(file, "--output", writer => RunViews.Export(store, parse.GetValue(exportId)!, parse.GetValue(format), writer));
            }
            else
            {
                RunViews.Export(store, parse.GetValue(exportId)!, parse.GetValue(format), env.RawOutput);
            }
        }));

        return new Command("runs", "Look at the runs in the store.") { list, show, export };
    }

    private static Command ReportCommand(CliEnvironment env, Option<string> storePath)
    {
        var id = new Argument<string>("id") { Description = "A run id or a compare id (or a unique prefix of one)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of over the one the run or compare wrote." };
        var command = new Command("report", "Rebuild the HTML report of a finished run or compare from the store (the same page it wrote when it ran).") { id, output };
        command.SetAction(parse => WithStore(env, parse.GetValue(storePath)!, store =>
        {
            (string html, string defaultPath) = Reports.HostReports.Rebuild(store, parse.GetValue(id)!);
            string path = parse.GetValue(output) ?? defaultPath;
            AtomicFile.Write(path, "--output", writer => writer.Write(html));
            env.Output.WriteLine($"Report: {path}");
        }));
        return command;
    }

    /// <summary>
    /// What run and compare share: load the plugins the manifest needs, refuse a manifest of the other kind or one
    /// with problems (exit 2, nothing written), then open the store and run with Ctrl+C handling.
    /// </summary>
    private static int Execute<TManifest>(CliEnvironment env, ParseResult parse, string path, Option<string[]> plugins,
        Option<string> storePath, Option<bool> verbose, ManifestKind kind,
        Func<string, Plugins.PluginCatalog, ManifestResult<TManifest>> load,
        Func<TManifest, RunStore, PipelineRunner, CancellationToken, RunStatus> work, bool replay = false) where TManifest : class
    {
        if (LoadCatalogFor(env, path, parse.GetValue(plugins) ?? [], out var catalog) is { } refused)
        {
            return refused;
        }
        if (ManifestLoader.ReadText(path, out string? text, out _) && ManifestLoader.DetectKind(text!) is { } detected && detected != kind)
        {
            string command = detected == ManifestKind.Compare ? "compare" : "run";
            env.Error.WriteLine($"{path} is a {detected.ToString().ToLowerInvariant()} manifest; run it with `alignfx {command} {path}`.");
            return ExitCodes.InvalidInput;
        }
        ManifestResult<TManifest> loaded = load(path, catalog);
        if (!loaded.IsValid)
        {
            return env.Refuse(path, loaded.Errors);
        }
        string? device = parse.GetValue<string?>(DeviceName);
        if (device is not null && TensorDevices.Problem(device) is { } problem)
        {
            env.Error.WriteLine($"{DeviceName} {device}: {problem}");
            return ExitCodes.InvalidInput;
        }
        using RunStore store = StoreAccess.Open(parse.GetValue(storePath), create: true)!;
        using ILoggerFactory loggers = env.CreateLoggers(parse.GetValue(verbose));
        using CancellationTokenSource cts = env.CancelOnInterrupt(out IDisposable signals);
        using (signals)
        {
            var runner = new PipelineRunner(catalog, store, loggers, env.Error, ConsoleProgress.TerminalIsInteractive) { Device = device, Replay = replay, UseCache = !parse.GetValue<bool>(NoCacheName) };
            return ExitCodeOf(work(loaded.Value!, store, runner, cts.Token));
        }
    }

    private static int WithStore(CliEnvironment env, string path, Action<RunStore> action)
    {
        // Failures (an unknown id, an unusable store) go to the error policy in Invoke.
        using RunStore store = StoreAccess.Open(path, create: false)
            ?? throw new RefusedInputException($"There is no run store at {Path.GetFullPath(path)}, so no runs to look at; give --store the store a run wrote to.");
        action(store);
        return ExitCodes.Ok;
    }

    /// <summary>Reads the manifest's plugin folders and loads the plugins; null when that went well, else the exit code.</summary>
    private static int? LoadCatalogFor(CliEnvironment env, string path, string[] cliPlugins, out Plugins.PluginCatalog catalog)
    {
        catalog = null!;
        if (!File.Exists(path))
        {
            env.Error.WriteLine($"{path}: no such file.");
            return ExitCodes.InvalidInput;
        }
        ManifestResult<IReadOnlyList<string>> dirs = ManifestLoader.ReadPluginDirectories(path);
        if (!dirs.IsValid)
        {
            // A bad plugin folder must not hide the manifest's other problems: check it with the plugins there are.
            IReadOnlyList<ManifestError> all = [.. dirs.Errors
                .Concat(ManifestLoader.Validate(path, env.LoadPlugins(cliPlugins)))
                .Distinct()
                .OrderBy(e => e.Position)];
            return env.Refuse(path, all);
        }
        catalog = env.LoadPlugins(cliPlugins, dirs.Value);
        return null;
    }

    private static int ExitCodeOf(RunStatus status) => status switch
    {
        RunStatus.Completed => ExitCodes.Ok,
        RunStatus.Cancelled => ExitCodes.Cancelled,
        _ => ExitCodes.Failed,
    };
}
