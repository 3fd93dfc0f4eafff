namespace AlignFx.TestPlugins.Helper;

/// <summary>A private dependency of test plugins: the host must load it from the plugin's own folder.</summary>
public static class Shouter
{
    /// <summary>The text in upper case followed by an exclamation mark.</summary>
    public static string Shout(string text) => text.ToUpperInvariant() + "!";
}
