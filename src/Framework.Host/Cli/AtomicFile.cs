using System.Text;

namespace AlignFx.Host.Cli;

/// <summary>
/// Writes an output file all or nothing: into a temporary file in the target's folder, moved over the target only
/// when writing succeeded, so a refused or failed command leaves an existing file as it was.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes the file through <paramref name="write"/>; an unusable path is refused (exit 2) before anything is written.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="option">The option that named it (for messages), for example <c>--output</c>.</param>
    /// <param name="write">Writes the content; an exception leaves the target untouched.</param>
    public static void Write(string path, string option, Action<TextWriter> write)
    {
        string full = FullPath(path, option);
        string folder = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full))
            throw new RefusedInputException($"{option} '{path}' is a folder; give a file path.");
        if (!Directory.Exists(folder))
            throw new RefusedInputException($"{option} '{path}': the folder '{folder}' does not exist; create it first or give another path.");
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                write(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RefusedInputException($"{option} '{path}' cannot be written ({ex.Message}); check the permissions of the file and its folder, or give another path.", ex);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private static string FullPath(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new RefusedInputException($"{option} needs a file path.");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new RefusedInputException($"{option} '{path}' is not a usable file path ({ex.Message}).", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
                File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the target is untouched either way.
        }
    }
}
