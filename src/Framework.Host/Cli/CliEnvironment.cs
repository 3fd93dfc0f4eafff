using System.Runtime.InteropServices;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AlignFx.Host.Cli;

/// <summary>What every command shares: output writers, logging, plugin loading and Ctrl+C handling.</summary>
internal sealed class CliEnvironment(TextWriter output, TextWriter error)
{
    /// <summary>Standard output for text a person reads: names from manifests and stores are escaped for the terminal.</summary>
    public TextWriter Output { get; } = TerminalText.Wrap(output);

    /// <summary>Standard output for data (an export, a schema), written exactly.</summary>
    public TextWriter RawOutput { get; } = output;

    public TextWriter Error { get; } = TerminalText.Wrap(error);

    /// <summary>Log lines go to standard error so standard output stays the command's result.</summary>
    public ILoggerFactory CreateLoggers(bool verbose) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

    /// <summary>
    /// Loads the built-in plugins, then every <c>--plugins</c> folder, then the manifest's folders. A refused plugin
    /// is reported on standard error and the others still load.
    /// </summary>
    public PluginCatalog LoadPlugins(IEnumerable<string> cliDirectories, IEnumerable<string>? manifestDirectories = null)
    {
        var directories = cliDirectories.ToList();
        foreach (string dir in directories)
        {
            if (string.IsNullOrWhiteSpace(dir))
                throw new RefusedInputException("--plugins needs a folder path.");
            if (File.Exists(dir))
                throw new RefusedInputException($"--plugins '{dir}' is a file; give the folder that holds the plugin (its .dll and .deps.json), or a folder of such folders.");
            if (!Directory.Exists(dir))
                throw new RefusedInputException($"--plugins '{dir}': no such folder; check the path (relative paths start at the current folder).");
        }
        var catalog = PluginCatalog.Load(directories.Select(Path.GetFullPath));
        foreach (string dir in manifestDirectories ?? [])
        {
            catalog.AddDirectory(dir);
        }
        foreach (PluginLoadError problem in catalog.Errors)
        {
            Error.WriteLine($"warning: {problem}");
        }
        return catalog;
    }

    /// <summary>Prints a manifest's problems, one per line, and returns the exit code for refused input.</summary>
    public int Refuse(string manifestPath, IReadOnlyList<ManifestError> errors)
    {
        Error.WriteLine($"{manifestPath}: refused, {errors.Count} problem{(errors.Count == 1 ? "" : "s")}:");
        foreach (ManifestError problem in errors)
        {
            Error.WriteLine($"  {problem}");
        }
        return ExitCodes.InvalidInput;
    }

    /// <summary>
    /// A token that Ctrl+C or SIGTERM cancels: the run stops at the next safe point and is marked cancelled.
    /// A second Ctrl+C ends the process at once; the store then marks the run incomplete when next opened.
    /// </summary>
    public CancellationTokenSource CancelOnInterrupt(out IDisposable registration)
    {
        var cts = new CancellationTokenSource();
        var interrupts = 0;
        ConsoleCancelEventHandler handler = (_, e) =>
        {
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                e.Cancel = true;
                Error.WriteLine("alignfx: stopping at the next safe point (Ctrl+C again to abort at once)...");
                cts.Cancel();
            }
        };
        Console.CancelKeyPress += handler;
        PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });
        registration = new Unregister(() =>
        {
            Console.CancelKeyPress -= handler;
            term.Dispose();
        });
        return cts;
    }

    private sealed class Unregister(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
