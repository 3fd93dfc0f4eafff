namespace AlignFx.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// In-place initialisers (PyTorch's <c>torch.nn.init</c>). Each fills its tensor without recording autograd
        /// (so parameters can be initialised) and draws from <c>generator</c>, or the default generator when null.
        /// </summary>
        public static class init
        {
            /// <summary>The fan-in and fan-out of a weight: [out, in] for 2-D, times the receptive field size beyond.</summary>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (tensor.Dimensions < 2)
                {
                    throw new ArgumentException("Fan in and fan out need a tensor of at least 2 dimensions.", nameof(tensor));
                }
                long receptive = 1;
                for (int i = 2; i < tensor.Dimensions; i++)
                {
                    receptive *= tensor.size(i);
                }
                return (tensor.size(1) * receptive, tensor.size(0) * receptive);
            }

            /// <summary>The recommended gain for a nonlinearity ("linear", "relu", "leaky_relu", "tanh", "sigmoid", ...).</summary>
            public static double calculate_gain(string nonlinearity, double param = 0.01) => nonlinearity switch
            {
                "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
                "tanh" => 5.0 / 3,
                "relu" => Math.Sqrt(2.0),
                "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
                "selu" => 3.0 / 4,
                _ => throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}'.", nameof(nonlinearity)),
            };

            /// <summary>Uniform draws from [a, b).</summary>
            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
            {
                using var _ = no_grad();
                return tensor.uniform_(a, b, generator);
            }

            /// <summary>Normal draws with the given mean and standard deviation.</summary>
            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                using var _ = no_grad();
                return tensor.normal_(mean, std, generator);
            }

            /// <summary>Fills with <paramref name="value"/>.</summary>
            public static Tensor constant_(Tensor tensor, double value)
            {
                using var _ = no_grad();
                return tensor.fill_(value);
            }

            /// <summary>Fills with zeros.</summary>
            public static Tensor zeros_(Tensor tensor) => constant_(tensor, 0);

            /// <summary>Fills with ones.</summary>
            public static Tensor ones_(Tensor tensor) => constant_(tensor, 1);

            /// <summary>
            /// He/Kaiming uniform: U(-bound, bound) with bound = gain · sqrt(3 / fan), gain from
            /// <paramref name="nonlinearity"/> and <paramref name="a"/>. With a = √5 (the default of
            /// <see cref="Modules.Linear"/>) this is U(-1/√fan_in, 1/√fan_in).
            /// </summary>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
                Generator? generator = null)
            {
                double bound = Math.Sqrt(3.0) * calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>He/Kaiming normal: N(0, std²) with std = gain / sqrt(fan).</summary>
            public static Tensor kaiming_normal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
                Generator? generator = null) =>
                normal_(tensor, 0, calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode)), generator);

            /// <summary>Glorot/Xavier uniform: U(-bound, bound) with bound = gain · sqrt(6 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>Glorot/Xavier normal: N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_normal_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
            }

            private static long Fan(Tensor tensor, string mode)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                long fan = mode switch
                {
                    "fan_in" => fanIn,
                    "fan_out" => fanOut,
                    _ => throw new ArgumentException($"mode must be 'fan_in' or 'fan_out', not '{mode}'.", nameof(mode)),
                };
                if (fan == 0)
                {
                    throw new ArgumentException("Cannot initialise an empty tensor.", nameof(tensor));
                }
                return fan;
            }
        }
    }
}
