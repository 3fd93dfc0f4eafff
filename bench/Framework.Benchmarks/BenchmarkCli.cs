namespace AlignFx.Benchmarks;

/// <summary>A named group of figures that the benchmark program can run.</summary>
internal interface IBenchmarkSuite
{
    /// <summary>The subcommand that runs the suite (for example <c>gemm</c>).</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the suite, writing figure lines to <paramref name="output"/>; returns a process exit code.</summary>
    int Run(BenchmarkSettings settings, TextWriter output);
}

/// <summary>Options shared by every suite.</summary>
/// <param name="Rounds">Timed rounds per figure (the median is reported).</param>
/// <param name="Filter">Only figures whose name contains this text run (null: all).</param>
/// <param name="UseMinimum">Report the fastest round instead of the median (a busy shared machine).</param>
/// <param name="SingleThread">Run ours and the peer on one thread each (per-core efficiency).</param>
internal sealed record BenchmarkSettings(int Rounds, string? Filter, bool UseMinimum, bool SingleThread)
{
    /// <summary>Whether the figure called <paramref name="name"/> passes the filter.</summary>
    public bool Includes(string name) => Filter is null || name.Contains(Filter, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Subcommand dispatch: <c>&lt;suite&gt;|all [--rounds N] [--filter TEXT] [--stat median|min] [--single-thread]</c>.</summary>
internal static class BenchmarkCli
{
    public static int Run(string[] args, IReadOnlyList<IBenchmarkSuite> suites)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Usage(Console.Out, suites);
            return args.Length == 0 ? 2 : 0;
        }

        int rounds = 7;
        string? filter = null;
        bool useMinimum = false, singleThread = false;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "--stat" when i + 1 < args.Length && args[i + 1] is "median" or "min":
                    useMinimum = args[++i] == "min";
                    break;
                case "--single-thread":
                    singleThread = true;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
                    Usage(Console.Error, suites);
                    return 2;
            }
        }

        var settings = new BenchmarkSettings(rounds, filter, useMinimum, singleThread);
        IEnumerable<IBenchmarkSuite> selected = args[0] == "all"
            ? suites
            : suites.Where(s => s.Name == args[0]);
        if (!selected.Any())
        {
            Console.Error.WriteLine($"Unknown suite '{args[0]}'.");
            Usage(Console.Error, suites);
            return 2;
        }

        Console.Out.WriteLine($"# machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
        int exit = 0;
        foreach (var suite in selected)
        {
            exit = Math.Max(exit, suite.Run(settings, Console.Out));
        }

        return exit;
    }

    private static void Usage(TextWriter output, IReadOnlyList<IBenchmarkSuite> suites)
    {
        output.WriteLine("usage: Framework.Benchmarks <suite>|all [--rounds N] [--filter TEXT] [--stat median|min] [--single-thread]");
        foreach (var suite in suites)
        {
            output.WriteLine($"  {suite.Name,-12} {suite.Description}");
        }

        output.WriteLine($"  {"all",-12} every suite above");
    }
}
