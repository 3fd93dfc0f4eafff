namespace AlignFx.Benchmarks;

/// <summary>
/// Placeholder for the tiny-GPT training-step figure against PyTorch (bench/reference/); it is
/// filled in once the nn modules and optimiser of Framework.Tensors exist.
/// </summary>
internal sealed class TrainStepBenchmark : IBenchmarkSuite
{
    public string Name => "train-step";

    public string Description => "tiny-GPT training step vs PyTorch (not implemented yet)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        output.WriteLine("# train-step: not implemented yet (needs the nn/optim layer of Framework.Tensors).");
        return 0;
    }
}
