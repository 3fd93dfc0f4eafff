namespace AlignFx.Tensors.Optim;

/// <summary>
/// Sets each parameter group's learning rate to its initial rate times a factor of the step count
/// (PyTorch's <c>LambdaLR</c>): the factor of step 0 applies at construction, and each <see cref="step"/> advances by one.
/// Call it after <see cref="Optimizer.step"/>, once per training step.
/// </summary>
public class LRScheduler
{
    private readonly Optimizer optimizer;
    private readonly Func<int, double> factor;
    private readonly double[] baseLrs;

    /// <summary>A schedule with learning rate = initial rate × <paramref name="lr_lambda"/>(step).</summary>
    public LRScheduler(Optimizer optimizer, Func<int, double> lr_lambda)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(lr_lambda);
        this.optimizer = optimizer;
        factor = lr_lambda;
        baseLrs = new double[optimizer.param_groups.Count];
        for (int i = 0; i < baseLrs.Length; i++)
        {
            var g = optimizer.param_groups[i];
            g.initial_lr ??= g.lr;
            baseLrs[i] = g.initial_lr.Value;
        }
        Apply();
    }

    /// <summary>The step count the current learning rates belong to.</summary>
    public int last_epoch { get; private set; }

    /// <summary>Advances one step and sets the groups' learning rates.</summary>
    public void step()
    {
        last_epoch++;
        Apply();
    }

    /// <summary>The learning rates set by the last step, one per group.</summary>
    public IReadOnlyList<double> get_last_lr() => [.. optimizer.param_groups.Select(g => g.lr)];

    private void Apply()
    {
        double f = factor(last_epoch);
        for (int i = 0; i < baseLrs.Length; i++)
        {
            optimizer.param_groups[i].lr = baseLrs[i] * f;
        }
    }
}

/// <summary>Factors of the usual schedules, as functions of the step (exposed for custom combinations).</summary>
public static class Schedules
{
    /// <summary>
    /// Linear warm-up then linear decay: (s + 1) / warmup for s &lt; warmup, then falling linearly from 1 at
    /// s = warmup to <paramref name="final_factor"/> at s = total, and <paramref name="final_factor"/> after.
    /// </summary>
    public static double WarmupLinear(int step, int warmup_steps, int total_steps, double final_factor = 0)
    {
        if (step < warmup_steps)
        {
            return (step + 1.0) / warmup_steps;
        }
        double progress = Progress(step, warmup_steps, total_steps);
        return 1 - (1 - final_factor) * progress;
    }

    /// <summary>
    /// Linear warm-up then cosine decay: (s + 1) / warmup for s &lt; warmup, then
    /// final + (1 − final)·(1 + cos(π·progress))/2 with progress = (s − warmup)/(total − warmup) clamped to [0, 1].
    /// </summary>
    public static double WarmupCosine(int step, int warmup_steps, int total_steps, double final_factor = 0)
    {
        if (step < warmup_steps)
        {
            return (step + 1.0) / warmup_steps;
        }
        double progress = Progress(step, warmup_steps, total_steps);
        return final_factor + (1 - final_factor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    private static double Progress(int step, int warmup, int total) =>
        total <= warmup ? 1 : Math.Clamp((step - warmup) / (double)(total - warmup), 0, 1);
}
