using AlignFx.Host.Cli;

namespace AlignFx.Host;

internal static class Program
{
    public static int Main(string[] args) => AlignFxCli.Invoke(args);
}
