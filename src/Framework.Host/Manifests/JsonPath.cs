using System.Text.RegularExpressions;

namespace AlignFx.Host.Manifests;

/// <summary>Builds the JSON paths errors are reported at (<c>$.stages[2].optimizer.options.clipRange</c>).</summary>
internal static partial class JsonPath
{
    public const string Root = "$";

    public static string Property(string parent, string name) =>
        SimpleName().IsMatch(name) ? $"{parent}.{name}" : $"{parent}['{name.Replace("\\", "\\\\").Replace("'", "\\'")}']";

    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>Re-roots a path: <c>Rebase("$.stages[0]", "$", "$.base")</c> is <c>$.base.stages[0]</c>.</summary>
    public static string Rebase(string path, string from, string to) =>
        path == from ? to : path.StartsWith(from, StringComparison.Ordinal) ? to + path[from.Length..] : path;

    /// <summary>The path and its ancestors, deepest first.</summary>
    public static IEnumerable<string> SelfAndAncestors(string path)
    {
        var current = path;
        while (true)
        {
            yield return current;
            var cut = LastSegmentStart(current);
            if (cut <= 0)
                yield break;
            current = current[..cut];
        }
    }

    private static int LastSegmentStart(string path)
    {
        if (path.EndsWith(']'))
        {
            // Walk back to the matching '[' while skipping quoted names such as ['a]b'].
            var inQuote = false;
            for (var i = path.Length - 2; i >= 0; i--)
            {
                if (path[i] == '\'' && (i == 0 || path[i - 1] != '\\'))
                    inQuote = !inQuote;
                else if (path[i] == '[' && !inQuote)
                    return i;
            }

            return -1;
        }

        return path.LastIndexOf('.');
    }

    [GeneratedRegex("^[A-Za-z_$][A-Za-z0-9_$]*$")]
    private static partial Regex SimpleName();
}
