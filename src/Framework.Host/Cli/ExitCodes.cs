namespace AlignFx.Host.Cli;

/// <summary>The process exit codes of <c>alignfx</c>.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Ok = 0;
    /// <summary>A run or compare failed (a stage or plugin threw); the store says which.</summary>
    public const int Failed = 1;
    /// <summary>The input was refused before any work started (bad manifest, unknown run id, bad arguments).</summary>
    public const int InvalidInput = 2;
    /// <summary>Stopped by Ctrl+C or SIGTERM at a safe point; the run is marked cancelled.</summary>
    public const int Cancelled = 130;
}
