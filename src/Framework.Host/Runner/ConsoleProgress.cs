using AlignFx.Abstractions.Runs;
using Spectre.Console;

namespace AlignFx.Host.Runner;

/// <summary>
/// Shows long work: live Spectre.Console progress bars on an interactive terminal, and plain log lines
/// (at most one per 10% of a task) anywhere else, such as CI logs and redirected output.
/// </summary>
internal sealed class ConsoleProgress(TextWriter plainOutput, bool interactive) : IProgressReporter
{
    private ProgressContext? _live;

    /// <summary>True when standard error is a terminal that can redraw progress bars.</summary>
    public static bool TerminalIsInteractive =>
        !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>Runs <paramref name="work"/> with live bars when the terminal allows it.</summary>
    public async Task RunAsync(Func<Task> work)
    {
        if (!interactive)
        {
            await work();
            return;
        }
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                _live = ctx;
                try { await work(); }
                finally { _live = null; }
            });
    }

    public IProgressTask Start(string description, double total) =>
        _live is { } live ? new LiveTask(live.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1)))
                          : new PlainTask(plainOutput, description, total);

    private sealed class LiveTask(ProgressTask task) : IProgressTask
    {
        public void Advance(double amount = 1) => task.Increment(amount);
        public void Dispose() => task.Value = task.MaxValue;
    }

    private sealed class PlainTask : IProgressTask
    {
        private readonly TextWriter _output;
        private readonly string _description;
        private readonly double _total;
        private double _done;
        private int _lastDecile;

        public PlainTask(TextWriter output, string description, double total)
        {
            (_output, _description, _total) = (output, description, total);
            _output.WriteLine($"{_description}: started ({Format(total)} to do)");
        }

        public void Advance(double amount = 1)
        {
            _done += amount;
            int decile = _total <= 0 ? 10 : (int)Math.Min(10, Math.Floor(_done / _total * 10));
            if (decile > _lastDecile && decile < 10)
            {
                _lastDecile = decile;
                _output.WriteLine($"{_description}: {Format(_done)}/{Format(_total)} ({decile * 10}%)");
            }
        }

        public void Dispose() => _output.WriteLine($"{_description}: done ({Format(_done)}/{Format(_total)})");

        private static string Format(double value) => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
    }
}
