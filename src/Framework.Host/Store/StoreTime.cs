using System.Globalization;

namespace AlignFx.Host.Store;

/// <summary>Times are stored as ISO 8601 UTC text with milliseconds: readable in sqlite3 and sortable as text.</summary>
internal static class StoreTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string ToText(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static object ToDb(DateTimeOffset? time) => time is null ? DBNull.Value : ToText(time.Value);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static DateTimeOffset? ParseOrNull(string? text) => text is null ? null : Parse(text);
}
