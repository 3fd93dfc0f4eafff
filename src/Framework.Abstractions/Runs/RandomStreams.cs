using System.Text;

namespace AlignFx.Abstractions.Runs;

/// <summary>
/// Deterministic, named random streams derived from one seed, so that every component draws from its own
/// stream and adding a component does not shift anyone else's numbers.
/// </summary>
/// <remarks>
/// Derivation (stable across processes, machines and .NET versions; <c>string.GetHashCode</c> is randomised
/// per process and is not used):
/// <code>
/// h    = FNV-1a-64(UTF-8 bytes of name)          offset 0xcbf29ce484222325, prime 0x100000001b3
/// seed' = SplitMix64(SplitMix64((ulong)seed) XOR h)
/// SplitMix64(z): z += 0x9e3779b97f4a7c15; z = (z ^ z>>30) * 0xbf58476d1ce4e5b9;
///                z = (z ^ z>>27) * 0x94d049bb133111eb; return z ^ z>>31
/// </code>
/// The finaliser spreads every bit of the name's hash over the whole seed, so streams of names that differ in
/// one character are unrelated. <see cref="Create"/> seeds <see cref="Random"/> with the low 32 bits of
/// <c>seed'</c> XOR its high 32 bits (seeded <see cref="Random"/> keeps its sequence across .NET versions).
/// </remarks>
public static class RandomStreams
{
    /// <summary>The seed of the stream <paramref name="name"/> under <paramref name="seed"/>.</summary>
    /// <param name="seed">The parent seed (a run's or a stage's).</param>
    /// <param name="name">The stream's name; any string, compared ordinally.</param>
    /// <returns>The derived 64-bit seed, usable as a parent seed in turn.</returns>
    public static long Derive(long seed, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return unchecked((long)SplitMix64(SplitMix64((ulong)seed) ^ Fnv1a64(name)));
    }

    /// <summary>A new generator at the start of the stream <paramref name="name"/> under <paramref name="seed"/>.</summary>
    /// <param name="seed">The parent seed.</param>
    /// <param name="name">The stream's name.</param>
    /// <returns>A generator whose sequence depends only on <paramref name="seed"/> and <paramref name="name"/>.</returns>
    public static Random Create(long seed, string name)
    {
        ulong derived = unchecked((ulong)Derive(seed, name));
        return new Random(unchecked((int)(uint)(derived ^ (derived >> 32))));
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 0xcbf29ce484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 0x100000001b3UL);
        }
        return hash;
    }

    private static ulong SplitMix64(ulong z)
    {
        unchecked
        {
            z += 0x9e3779b97f4a7c15UL;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
            return z ^ (z >> 31);
        }
    }
}
