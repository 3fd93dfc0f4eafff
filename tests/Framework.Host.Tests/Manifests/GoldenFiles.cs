namespace AlignFx.Host.Tests.Manifests;

/// <summary>
/// Locates golden files in the source tree (so they can be rewritten) and compares or updates them.
/// Set ALIGNFX_UPDATE_GOLDEN=1 to rewrite every golden file from the current output.
/// </summary>
internal static class GoldenFiles
{
    private const string Relative = "tests/Framework.Host.Tests/Manifests/Golden";

    public static bool Updating => Environment.GetEnvironmentVariable("ALIGNFX_UPDATE_GOLDEN") == "1";

    public static string Directory { get; } = Find();

    public static string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Asserts that <paramref name="actual"/> equals the golden file's text, or rewrites the file when updating.</summary>
    public static void Check(string fileName, string actual)
    {
        var path = PathOf(fileName);
        if (Updating || !File.Exists(path))
        {
            File.WriteAllText(path, actual);
            Assert.True(Updating, $"golden file {fileName} was missing and has been written; check it and run again");
            return;
        }

        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, Relative);
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }

        throw new DirectoryNotFoundException($"cannot find {Relative} above {AppContext.BaseDirectory}");
    }
}
