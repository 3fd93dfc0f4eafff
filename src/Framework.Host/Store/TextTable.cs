namespace AlignFx.Host.Store;

/// <summary>Plain-text tables with columns padded to their widest cell; numbers right-aligned.</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, string indent, IReadOnlyList<string> headers, IReadOnlyList<string[]> rows, ISet<int>? rightAligned = null)
    {
        // Escaped before measuring, so a name with control characters keeps its columns aligned.
        rows = [.. rows.Select(row => row.Select(Cli.TerminalText.Escape).ToArray())];
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < widths.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        }
        WriteRow(output, indent, headers, widths, rightAligned);
        foreach (var row in rows)
            WriteRow(output, indent, row, widths, rightAligned);
    }

    private static void WriteRow(TextWriter output, string indent, IReadOnlyList<string> cells, int[] widths, ISet<int>? rightAligned)
    {
        var line = new System.Text.StringBuilder(indent);
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
                line.Append("  ");
            var right = rightAligned?.Contains(i) == true;
            line.Append(right ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }
        output.Write(line.ToString().TrimEnd());
        output.Write('\n');
    }
}
