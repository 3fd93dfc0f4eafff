namespace AlignFx.Host.Tests.Plugins;

/// <summary>The test plugins built into testplugins/ next to this assembly (see tests/TestPlugins).</summary>
internal static class TestPluginFolders
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "testplugins");

    public static string Folder(string plugin)
    {
        string folder = Path.Combine(Root, plugin);
        Assert.True(Directory.Exists(folder), $"Test plugin {plugin} was not built into {folder}.");
        return folder;
    }

    /// <summary>A fresh folder of plugin folders holding copies of the named test plugins.</summary>
    public static string Arrange(params string[] plugins)
    {
        string root = Path.Combine(Path.GetTempPath(), "alignfx-plugin-tests", Guid.NewGuid().ToString("N"));
        foreach (string plugin in plugins)
        {
            CopyFolder(Folder(plugin), Path.Combine(root, plugin));
        }
        return root;
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
