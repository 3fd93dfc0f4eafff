using AlignFx.Benchmarks;

// Entry point: `dotnet run -c Release --project bench/Framework.Benchmarks -- <suite> [options]`.
// Each suite prints one line per figure: `NAME ours=<value> peer=<value> ratio=<ours/peer time>`;
// lines starting with '#' are context (machine, peer library, notes).
if (args.Length == 3 && args[0] == TorchPeerBenchmark.WorkerCommand)
{
    // A worker process of the torch-peer suite (started by it, not by hand).
    return TorchPeerBenchmark.Serve(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
}
return BenchmarkCli.Run(args, [new GemmBenchmark(), new ForwardProfileBenchmark(), new TrainStepBenchmark(), new PolicyBenchmark(), new PpoBenchmark(), new TorchPeerBenchmark(), new ServeBenchmark(), new AttentionBenchmark()]);
