using System.Diagnostics;

namespace AlignFx.Host.Store;

/// <summary>
/// Who is writing a run: process id, machine name and the process's start time. The start time tells a live
/// process apart from a later one that reused the id of a dead one.
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, string Host, DateTimeOffset? StartedUtc)
{
    // Process start times come from coarse kernel ticks; allow for rounding between two readings.
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(1);

    public static ProcessIdentity Current { get; } = ReadCurrent();

    private static ProcessIdentity ReadCurrent()
    {
        using var self = Process.GetCurrentProcess();
        return new ProcessIdentity(Environment.ProcessId, Environment.MachineName, TryStartTime(self));
    }

    /// <summary>
    /// Whether the process that wrote a run on this machine may still be running it. Unknown (no permission to look)
    /// counts as alive: a live run must never be marked incomplete.
    /// </summary>
    public static bool IsAlive(int pid, DateTimeOffset? startedUtc)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        using (process)
        {
            try
            {
                if (process.HasExited)
                    return false;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                return true;
            }
            if (startedUtc is null)
                return true;
            var actual = TryStartTime(process);
            return actual is null || (actual.Value - startedUtc.Value).Duration() <= StartTolerance;
        }
    }

    private static DateTimeOffset? TryStartTime(Process process)
    {
        try
        {
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}
