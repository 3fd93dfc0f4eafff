using System.Text;

namespace AlignFx.Host.Runner;

/// <summary>
/// Makes text from manifests safe inside a Markdown line (a heading, a table cell): characters that would start
/// emphasis, links, code, tables or raw HTML are escaped, and line breaks become spaces, so a name shows as written.
/// </summary>
internal static class MarkdownText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '\r' or '\n': sb.Append(' '); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#' or '!' or '~': sb.Append('\\').Append(c); break;
                default:
                    // Other controls cannot be shown; make them visible instead of passing them on.
                    if (char.IsControl(c))
                        sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
