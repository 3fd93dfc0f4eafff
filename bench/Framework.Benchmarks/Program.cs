using AlignFx.Benchmarks;

// Entry point: `dotnet run -c Release --project bench/Framework.Benchmarks -- <suite> [options]`.
// Each suite prints one line per figure: `NAME ours=<value> peer=<value> ratio=<ours/peer time>`;
// lines starting with '#' are context (machine, peer library, notes).
return BenchmarkCli.Run(args, [new GemmBenchmark(), new TrainStepBenchmark(), new PolicyBenchmark(), new PpoBenchmark(), new ServeBenchmark()]);
