using System.Globalization;
using System.Security.Cryptography;

namespace AlignFx.Host.Store;

/// <summary>
/// Run and compare ids: <c>yyyyMMdd-HHmmss-xxxxxx</c>, the UTC start second then six random base-32 characters
/// (for example <c>20250314-101500-k3f9q2</c>). They sort by start time as text, read well in a terminal, are safe as
/// folder names, and a unique prefix is enough to name one on the command line.
/// </summary>
public static class RunIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base 32: no i, l, o, u

    /// <summary>A new id for something starting at <paramref name="utcNow"/>, with a cryptographically random suffix.</summary>
    public static string NewId(DateTimeOffset utcNow)
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return Format(utcNow, random);
    }

    /// <summary>An id from a seeded random source, for tests and reproducible demonstrations.</summary>
    public static Func<DateTimeOffset, string> Deterministic(int seed)
    {
        var random = new Random(seed);
        return now =>
        {
            Span<byte> bytes = stackalloc byte[6];
            random.NextBytes(bytes);
            return Format(now, bytes);
        };
    }

    private static string Format(DateTimeOffset utcNow, ReadOnlySpan<byte> random)
    {
        Span<char> suffix = stackalloc char[random.Length];
        for (var i = 0; i < random.Length; i++)
            suffix[i] = Alphabet[random[i] & 31];
        return string.Create(CultureInfo.InvariantCulture, $"{utcNow.UtcDateTime:yyyyMMdd-HHmmss}-{suffix}");
    }
}
