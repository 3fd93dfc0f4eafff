#!/usr/bin/env python3
"""PyTorch peer for the AlignFx tiny-GPT benchmark: times a training step and a forward pass.

The model is bench/reference/tiny_gpt.py at the benchmark size of issue 2: 4 layers, d_model 128,
4 heads, context 64, vocabulary 64, batch 32 (sequence = context), cross-entropy, AdamW.

  train step  = zero_grad + forward + cross-entropy + backward + AdamW step
  forward     = forward + cross-entropy under torch.no_grad()

Prints exactly one line on stdout, for the C# benchmark to parse:

    train_step_ms=<median> forward_ms=<median> tokens_per_s=<batch*seq / median train step>

and a human-readable summary on stderr. Thread settings matter on this machine: PyTorch is
fastest with 1 torch (intra-op) thread and 2 OpenBLAS threads, with OPENBLAS_CORETYPE unset
(the environment's Haswell override halves OpenBLAS). Those are the defaults below; the
OpenBLAS variables are set before torch is imported, which is the only time OpenBLAS reads them.

    /usr/bin/python3 bench/reference/train_step.py [--threads 1] [--blas-threads 2] [--keep-coretype]
"""

import argparse
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (torch.set_num_threads); default 1")
    p.add_argument("--blas-threads", type=int, default=2, help="OPENBLAS_NUM_THREADS; default 2; 0 leaves the environment alone")
    p.add_argument("--keep-coretype", action="store_true", help="keep OPENBLAS_CORETYPE from the environment (default: unset it)")
    p.add_argument("--warmup", type=int, default=10, help="untimed iterations before timing; default 10")
    p.add_argument("--reps", type=int, default=50, help="timed iterations of each kind; default 50")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--vocab", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def main():
    args = parse_args()
    if args.blas_threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    if not args.keep_coretype:
        os.environ.pop("OPENBLAS_CORETYPE", None)

    import torch  # after the environment is set: OpenBLAS reads it when the library loads

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tiny_gpt import GptConfig, TinyGpt, lm_loss

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = GptConfig(vocab=args.vocab, context=args.context, d_model=args.d_model, heads=args.heads, layers=args.layers)
    model = TinyGpt(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    inputs = torch.randint(0, cfg.vocab, (args.batch, cfg.context))
    targets = torch.randint(0, cfg.vocab, (args.batch, cfg.context))

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = lm_loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss

    def forward():
        with torch.no_grad():
            return lm_loss(model(inputs), targets)

    def timed(fn):
        for _ in range(args.warmup):
            fn()
        samples = []
        for _ in range(args.reps):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000.0)
        return samples

    train = timed(train_step)
    fwd = timed(forward)
    train_ms, fwd_ms = statistics.median(train), statistics.median(fwd)
    tokens = args.batch * cfg.context
    print(f"train_step_ms={train_ms:.3f} forward_ms={fwd_ms:.3f} tokens_per_s={tokens * 1000.0 / train_ms:.0f}", flush=True)

    params = sum(p.numel() for p in model.parameters())
    print(
        f"# torch {torch.__version__}, threads={torch.get_num_threads()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, params={params}, "
        f"batch={args.batch}x{cfg.context}, warmup={args.warmup}, reps={args.reps}\n"
        f"# train step ms: median {train_ms:.2f}, min {min(train):.2f}, max {max(train):.2f}; "
        f"forward ms: median {fwd_ms:.2f}, min {min(fwd):.2f}, max {max(fwd):.2f}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
