using System.Numerics;

namespace AlignFx.Tensors;

public static partial class torch
{
    /// <summary>
    /// A seeded pseudo-random generator (xoshiro256** seeded through SplitMix64). Draws are a pure function of the
    /// seed and the sequence of calls: the same seed gives bitwise the same numbers on every run.
    /// Normals use the Box–Muller transform in double precision, consuming uniforms in pairs.
    /// </summary>
    public sealed class Generator
    {
        private ulong s0, s1, s2, s3;
        private long seed;

        /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
        public Generator(long seed = 67280421310721) => manual_seed(seed);

        /// <summary>Re-seeds the generator and returns it.</summary>
        public Generator manual_seed(long seed)
        {
            lock (this)
            {
                this.seed = seed;
                ulong x = unchecked((ulong)seed);
                s0 = SplitMix(ref x);
                s1 = SplitMix(ref x);
                s2 = SplitMix(ref x);
                s3 = SplitMix(ref x);
            }
            return this;
        }

        /// <summary>The seed last set.</summary>
        public long initial_seed() => seed;

        /// <summary>A copy of the full state (for saving and restoring a stream).</summary>
        public ulong[] get_state()
        {
            lock (this)
            {
                return [s0, s1, s2, s3];
            }
        }

        /// <summary>Restores a state returned by <see cref="get_state"/>.</summary>
        public void set_state(ulong[] state)
        {
            ArgumentNullException.ThrowIfNull(state);
            if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
            {
                throw new ArgumentException("A generator state is four words, not all zero.", nameof(state));
            }
            lock (this)
            {
                (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
            }
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Next raw 64-bit output. Callers hold the lock.</summary>
        internal ulong NextUInt64()
        {
            ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 45);
            return result;
        }

        /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
        internal double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
        internal float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

        /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
        internal ulong NextBelow(ulong n)
        {
            ulong hi = Math.BigMul(NextUInt64(), n, out ulong lo);
            if (lo < n)
            {
                ulong threshold = (0 - n) % n;
                while (lo < threshold)
                {
                    hi = Math.BigMul(NextUInt64(), n, out lo);
                }
            }
            return hi;
        }

        /// <summary>Fills with standard normals (Box–Muller; pairs of uniforms give pairs of normals).</summary>
        internal void FillNormal(Span<double> dst, double mean, double std)
        {
            lock (this)
            {
                for (int i = 0; i < dst.Length; i += 2)
                {
                    double u1 = 1.0 - NextDouble(); // (0, 1]: log stays finite
                    double u2 = NextDouble();
                    double r = Math.Sqrt(-2.0 * Math.Log(u1));
                    (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
                    dst[i] = mean + std * r * cos;
                    if (i + 1 < dst.Length)
                    {
                        dst[i + 1] = mean + std * r * sin;
                    }
                }
            }
        }

        internal void FillNormal(Span<float> dst, double mean, double std)
        {
            lock (this)
            {
                for (int i = 0; i < dst.Length; i += 2)
                {
                    double u1 = 1.0 - NextDouble();
                    double u2 = NextDouble();
                    double r = Math.Sqrt(-2.0 * Math.Log(u1));
                    (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
                    dst[i] = (float)(mean + std * r * cos);
                    if (i + 1 < dst.Length)
                    {
                        dst[i + 1] = (float)(mean + std * r * sin);
                    }
                }
            }
        }

        internal void FillUniform(Span<double> dst, double low, double high)
        {
            lock (this)
            {
                double w = high - low;
                for (int i = 0; i < dst.Length; i++)
                {
                    dst[i] = low + w * NextDouble();
                }
            }
        }

        internal void FillUniform(Span<float> dst, double low, double high)
        {
            lock (this)
            {
                float lo = (float)low, w = (float)(high - low);
                for (int i = 0; i < dst.Length; i++)
                {
                    dst[i] = lo + w * NextFloat();
                }
            }
        }

        /// <summary>Each element is 0 when its uniform draw is below p, else 1 / (1 - p).</summary>
        internal void FillDropoutMask<T>(Span<T> dst, double p) where T : unmanaged, System.Numerics.IFloatingPoint<T>
        {
            T keep = T.CreateTruncating(1.0 / (1.0 - p));
            lock (this)
            {
                for (int i = 0; i < dst.Length; i++)
                {
                    dst[i] = NextDouble() < p ? T.Zero : keep;
                }
            }
        }

        internal void FillIntegers(Span<long> dst, long low, long high)
        {
            if (high <= low)
            {
                throw new ArgumentException($"randint needs low < high, got [{low}, {high}).");
            }
            lock (this)
            {
                ulong n = (ulong)(high - low);
                for (int i = 0; i < dst.Length; i++)
                {
                    dst[i] = low + (long)NextBelow(n);
                }
            }
        }
    }

    private static readonly Generator DefaultGenerator = new();

    /// <summary>The process-wide generator used when an operation is given none.</summary>
    public static Generator default_generator => DefaultGenerator;

    /// <summary>Seeds the default generator.</summary>
    public static Generator manual_seed(long seed) => DefaultGenerator.manual_seed(seed);

    /// <summary>The default generator's seed.</summary>
    public static long initial_seed() => DefaultGenerator.initial_seed();
}
