using AlignFx.Tensors.Optim;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors;

public static partial class torch
{
    /// <summary>Optimisers and learning-rate schedules (PyTorch's <c>torch.optim</c>).</summary>
    public static class optim
    {
        /// <summary>AdamW over one group of parameters (PyTorch defaults: lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01).</summary>
        public static AdamW AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0.01) =>
            new([new ParamGroup(parameters)], lr, beta1, beta2, eps, weight_decay);

        /// <summary>AdamW over parameter groups; a group's own lr and weight decay override the defaults given here.</summary>
        public static AdamW AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0.01) =>
            new(groups, lr, beta1, beta2, eps, weight_decay);

        /// <summary>SGD with optional momentum, dampening, Nesterov momentum and (coupled) weight decay.</summary>
        public static SGD SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0,
            double weight_decay = 0, bool nesterov = false) =>
            new([new ParamGroup(parameters)], lr, momentum, dampening, weight_decay, nesterov);

        /// <summary>SGD over parameter groups.</summary>
        public static SGD SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0,
            double weight_decay = 0, bool nesterov = false) =>
            new(groups, lr, momentum, dampening, weight_decay, nesterov);

        /// <summary>Learning-rate schedules.</summary>
        public static class lr_scheduler
        {
            /// <summary>Learning rate = initial rate × <paramref name="lr_lambda"/>(step).</summary>
            public static LRScheduler LambdaLR(Optimizer optimizer, Func<int, double> lr_lambda) => new(optimizer, lr_lambda);

            /// <summary>Linear warm-up over <paramref name="warmup_steps"/>, then linear decay to <paramref name="final_factor"/> at <paramref name="total_steps"/> (see <see cref="Schedules.WarmupLinear"/>).</summary>
            public static LRScheduler WarmupLinear(Optimizer optimizer, int warmup_steps, int total_steps, double final_factor = 0)
            {
                CheckSteps(warmup_steps, total_steps);
                return new(optimizer, s => Schedules.WarmupLinear(s, warmup_steps, total_steps, final_factor));
            }

            /// <summary>Linear warm-up, then cosine decay to <paramref name="final_factor"/> at <paramref name="total_steps"/> (see <see cref="Schedules.WarmupCosine"/>).</summary>
            public static LRScheduler WarmupCosine(Optimizer optimizer, int warmup_steps, int total_steps, double final_factor = 0)
            {
                CheckSteps(warmup_steps, total_steps);
                return new(optimizer, s => Schedules.WarmupCosine(s, warmup_steps, total_steps, final_factor));
            }

            private static void CheckSteps(int warmup, int total)
            {
                if (warmup < 0 || total < warmup)
                {
                    throw new ArgumentOutOfRangeException(nameof(total), "Need 0 <= warmup_steps <= total_steps.");
                }
            }
        }
    }
}
