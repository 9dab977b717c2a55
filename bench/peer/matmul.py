#!/usr/bin/env python3
"""PyTorch peer of `Workbench.Bench matmul`: times float32 matrix products of the VAE's layers through torch's public API.

Each product is given as KIND:BATCH:IN:OUT for a Linear layer IN -> OUT at batch BATCH:
  forward      y = x W^T     F.linear(x, W)          m = BATCH, n = OUT, k = IN   (B transposed)
  grad-input   dx = g W      torch.matmul(g, W)      m = BATCH, n = IN,  k = OUT  (no transpose)
  grad-weight  dW = g^T x    torch.matmul(g.t(), x)  m = OUT,   n = IN,  k = BATCH (A transposed)
All operands are contiguous float32; g.t() is a view, so the transpose reaches BLAS as a flag, not a copy.

Prints one JSON object per line: first a header (versions, threads, BLAS library), then one line per
product with the per-call wall times in seconds, in the order given.
"""
import argparse
import json
import sys
import time


def blas_libraries():
    """Shared libraries with 'blas' in their name mapped into this process (which BLAS torch really calls)."""
    names = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "blas" in path.lower():
                    names.add(path)
    except OSError:
        pass
    return sorted(names)


def make_product(torch, kind, batch, n_in, n_out, generator):
    def randn(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float32)

    if kind == "forward":
        x, w = randn(batch, n_in), randn(n_out, n_in)
        return lambda: torch.nn.functional.linear(x, w)
    if kind == "grad-input":
        g, w = randn(batch, n_out), randn(n_out, n_in)
        return lambda: torch.matmul(g, w)
    if kind == "grad-weight":
        g, x = randn(batch, n_out), randn(batch, n_in)
        return lambda: torch.matmul(g.t(), x)
    raise ValueError(f"unknown product kind '{kind}' (expected forward, grad-input or grad-weight)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", required=True, help="comma-separated KIND:BATCH:IN:OUT")
    parser.add_argument("--repeats", type=int, default=40, help="timed calls per product")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per product first")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    products = []
    for spec in args.products.split(","):
        kind, batch, n_in, n_out = spec.split(":")
        products.append((spec, make_product(torch, kind, int(batch), int(n_in), int(n_out), generator)))

    with torch.no_grad():
        for _, run in products:
            for _ in range(args.warmup):
                run()
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries()}), flush=True)
        for spec, run in products:
            for _ in range(args.warmup):
                run()
            samples = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run()
                samples.append(time.perf_counter() - start)
            print(json.dumps({"product": spec, "samples": samples}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
