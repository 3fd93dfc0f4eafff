namespace AlignFx.Critics.Tests;

/// <summary>
/// Golden files of this project, found in the source tree so they can be rewritten: set ALIGNFX_UPDATE_GOLDEN=1 to
/// rewrite them from the current output.
/// </summary>
internal static class GoldenFiles
{
    private const string Relative = "tests/Critics.Tests/Golden";

    public static bool Updating => Environment.GetEnvironmentVariable("ALIGNFX_UPDATE_GOLDEN") == "1";

    /// <summary>Asserts that <paramref name="actual"/> equals the golden file's text, or rewrites the file when updating.</summary>
    public static void Check(string fileName, string actual)
    {
        string path = Path.Combine(Find(), fileName);
        if (Updating || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            Assert.True(Updating, $"golden file {fileName} was missing and has been written; check it and run again");
            return;
        }
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, Relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"cannot find {Relative} above {AppContext.BaseDirectory}");
    }
}
