using System.Globalization;
using System.Text;

namespace AlignFx.Host.Cli;

/// <summary>
/// Makes text from manifests, models and stores safe for a terminal: control characters (other than line breaks and
/// tabs), bidirectional controls and lone surrogates are shown as <c>\u001B</c>-style escapes, so a run name cannot
/// move the cursor, recolour the screen or reorder what is printed after it.
/// </summary>
public static class TerminalText
{
    /// <summary>The text with every unsafe character escaped (the text itself when it has none).</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int first = 0;
        while (first < text.Length && !IsUnsafe(text, first))
            first++;
        if (first == text.Length)
            return text;
        var sb = new StringBuilder(text.Length + 8).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            if (IsUnsafe(text, i))
                sb.Append("\\u").Append(((int)text[i]).ToString("X4", CultureInfo.InvariantCulture));
            else
                sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>A writer that escapes what is written to it (see <see cref="Escape"/>) before passing it on.</summary>
    public static TextWriter Wrap(TextWriter inner) => inner is SafeWriter ? inner : new SafeWriter(inner);

    private static bool IsUnsafe(string text, int i)
    {
        char c = text[i];
        if (c is '\n' or '\t' or '\r')
            return false;
        if (char.IsHighSurrogate(c))
            return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c))
            return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        return c < 0x20 || c is >= '\u007F' and <= '\u009F'
            || c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
    }

    private sealed class SafeWriter(TextWriter inner) : TextWriter
    {
        private char _pendingHigh;

        public override Encoding Encoding => inner.Encoding;

        public override IFormatProvider FormatProvider => inner.FormatProvider;

        public override string NewLine
        {
#pragma warning disable CS8765 // TextWriter's setter accepts null
            get => inner.NewLine;
            set => inner.NewLine = value;
#pragma warning restore CS8765
        }

        public override void Write(char value)
        {
            if (_pendingHigh != 0)
            {
                char high = _pendingHigh;
                _pendingHigh = '\0';
                if (char.IsLowSurrogate(value))
                {
                    inner.Write(high);
                    inner.Write(value);
                    return;
                }
                inner.Write(Escape(high.ToString()));
            }
            if (char.IsHighSurrogate(value))
            {
                _pendingHigh = value;
                return;
            }
            inner.Write(Escape(value.ToString()));
        }

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
                return;
            if (_pendingHigh != 0)
            {
                value = _pendingHigh + value;
                _pendingHigh = '\0';
            }
            if (char.IsHighSurrogate(value[^1]))
            {
                _pendingHigh = value[^1];
                value = value[..^1];
            }
            inner.Write(Escape(value));
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value)
        {
            Write(value);
            Write(NewLine);
        }

        public override void Flush()
        {
            if (_pendingHigh != 0)
            {
                inner.Write(Escape(_pendingHigh.ToString()));
                _pendingHigh = '\0';
            }
            inner.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                Flush();
            base.Dispose(disposing);
        }
    }
}
