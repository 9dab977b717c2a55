#!/usr/bin/env python3
"""PyTorch peer of `Workbench.Bench train|eval|conv|memory`: the same VAE work in torch, timed the same way.

Modes:
  train  The pytorch/examples protocol: Adam (lr 1e-3) on the batch-mean negative ELBO (Bernoulli
         BCE-with-logits summed over pixels + analytic KL), batch 128; one epoch is --steps full batches over the
         first steps * 128 training images (468 steps: 59,904 images), shuffled by randperm, the images in memory
         as one float32 tensor; times the steps as a whole, then reports the test loss (mean negative ELBO, one z
         per image) outside the timed part, and the peak resident memory.
  eval   Importance-sampled -log p(x) with k samples (Burda et al. 2016) on the first --images test images,
         under no_grad, with Workbench's weights (--weights, the model.safetensors its checkpoint writer made);
         batches of 50 rows, --chunk samples decoded at once, chunks merged with logaddexp in float64.
  conv   Training steps of the conv VAE (two stride-2 4x4 convolutions 32/64, Linear 3136->256, heads 20,
         mirrored decoder with transposed convolutions) at batch 128: per-step wall times.

Prints one JSON object per line: a header (versions, threads, BLAS libraries), then one result line.
"""
import argparse
import gzip
import json
import math
import os
import resource
import sys
import time


def blas_libraries():
    names = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and "blas" in parts[-1].lower():
                    names.add(parts[-1])
    except OSError:
        pass
    return sorted(names)


def peak_rss_bytes():
    """VmHWM of this process (peak resident set), falling back to ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def read_idx_images(path):
    """IDX3 unsigned-byte images (plain or .gz) -> float32 tensor [N, rows*cols] of grey levels / 255."""
    import torch
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 2051:
        raise ValueError(f"{path}: not an IDX3 image file (magic {magic})")
    pixels = torch.frombuffer(bytearray(data[16:16 + n * rows * cols]), dtype=torch.uint8)
    return pixels.view(n, rows * cols).to(torch.float32).div_(255.0)


def find_images(data_root, split):
    stem = "train-images-idx3-ubyte" if split == "train" else "t10k-images-idx3-ubyte"
    for name in (stem, stem + ".gz"):
        path = os.path.join(data_root, "mnist", name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"MNIST {split} images not found under {os.path.join(data_root, 'mnist')}")


def activation(torch, name):
    f = torch.nn.functional
    table = {"relu": f.relu, "tanh": torch.tanh, "swish": f.silu, "silu": f.silu, "mish": f.mish,
             "sigmoid": torch.sigmoid, "elu": f.elu, "gelu": f.gelu, "softplus": f.softplus}
    if name not in table:
        raise ValueError(f"activation '{name}' has no peer mirror; known: {', '.join(sorted(table))}")
    return table[name]


def activation_module(torch, name):
    nn = torch.nn
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "swish": nn.SiLU, "silu": nn.SiLU, "mish": nn.Mish,
             "sigmoid": nn.Sigmoid, "elu": nn.ELU, "gelu": nn.GELU, "softplus": nn.Softplus}
    activation(torch, name)  # the same names, the same error
    return table[name]()


def make_mlp(torch, hidden, latent, act_name, dim=784):
    """Modules named as Workbench's MlpVae registers them (encoder.0, mean, logvar, decoder.0, output), so that its
    safetensors checkpoint loads with load_state_dict."""
    nn = torch.nn

    def stack(widths):
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), activation_module(torch, act_name)]
        return nn.Sequential(*layers)

    class MlpVae(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = stack([dim] + hidden)
            self.mean = nn.Linear(hidden[-1], latent)
            self.logvar = nn.Linear(hidden[-1], latent)
            self.decoder = stack([latent] + hidden[::-1])
            self.output = nn.Linear(hidden[0], dim)

        def encode(self, x):
            h = self.encoder(x)
            return self.mean(h), self.logvar(h)

        def decode(self, z):
            return self.output(self.decoder(z))

    return MlpVae()


def make_conv(torch, act_name, hidden=256, latent=20):
    nn = torch.nn
    act = activation(torch, act_name)

    class ConvVae(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 32, 4, stride=2, padding=1)
            self.c2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
            self.fc = nn.Linear(64 * 7 * 7, hidden)
            self.mean = nn.Linear(hidden, latent)
            self.logvar = nn.Linear(hidden, latent)
            self.d1 = nn.Linear(latent, hidden)
            self.d2 = nn.Linear(hidden, 64 * 7 * 7)
            self.t1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
            self.t2 = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)

        def encode(self, x):
            h = act(self.c2(act(self.c1(x.view(-1, 1, 28, 28)))))
            h = act(self.fc(h.flatten(1)))
            return self.mean(h), self.logvar(h)

        def decode(self, z):
            h = act(self.d2(act(self.d1(z)))).view(-1, 64, 7, 7)
            return self.t2(act(self.t1(h))).flatten(1)

    return ConvVae()


def negative_elbo(torch, model, x):
    """Per-example negative ELBO: BCE-with-logits summed over pixels + analytic KL (Kingma & Welling 2014, app. B)."""
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    logits = model.decode(z)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return bce + kl


def train_steps(torch, model, images, steps, batch, lr, step_times=None):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = images.shape[0]
    per_epoch = (n + batch - 1) // batch
    order = None
    done = 0
    while done < steps:
        if done % per_epoch == 0:
            order = torch.randperm(n)
        i = done % per_epoch
        start = time.perf_counter()
        x = images[order[i * batch:(i + 1) * batch]]
        opt.zero_grad()
        loss = negative_elbo(torch, model, x).mean()
        loss.backward()
        opt.step()
        if step_times is not None:
            step_times.append(time.perf_counter() - start)
        done += 1


def test_loss(torch, model, test, batch=1000):
    with torch.no_grad():
        total = 0.0
        for s in range(0, test.shape[0], batch):
            total += negative_elbo(torch, model, test[s:s + batch]).sum().item()
        return total / test.shape[0]


def read_safetensors(torch, path):
    """A safetensors file -> {name: tensor}: an 8-byte little-endian header length, a JSON header of
    {name: {dtype, shape, data_offsets}} (offsets into the data after the header), then the little-endian data.
    Enough for Workbench's checkpoints (F32, F64) without the safetensors package, which Debian does not ship."""
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    with open(path, "rb") as f:
        raw = f.read()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + size])
    data = raw[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}; this reader knows {', '.join(dtypes)}")
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]]).view(entry["shape"])
    return tensors


def iwae_nll(torch, model, data, k, chunk, batch=50):
    log2pi = math.log(2 * math.pi)
    out = []
    with torch.no_grad():
        for s in range(0, data.shape[0], batch):
            x = data[s:s + batch]
            mu, logvar = model.encode(x)
            std = torch.exp(0.5 * logvar)
            acc = torch.full((x.shape[0],), -math.inf, dtype=torch.float64)
            for done in range(0, k, chunk):
                c = min(chunk, k - done)
                eps = torch.randn(c, *mu.shape)
                z = mu + std * eps                                      # [c, B, L]
                logits = model.decode(z.reshape(-1, mu.shape[1])).view(c, x.shape[0], -1)
                log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, x.expand_as(logits), reduction="none").sum(2)
                log_pz = -0.5 * (z.pow(2) + log2pi).sum(2)
                log_qz = -0.5 * (eps.pow(2) + logvar + log2pi).sum(2)
                lse = torch.logsumexp(log_px + log_pz - log_qz, 0).double()
                acc = torch.logaddexp(acc, lse)
            out.append(math.log(k) - acc)
    return torch.cat(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["train", "eval", "conv"])
    parser.add_argument("--data", required=True, help="data root holding mnist/")
    parser.add_argument("--steps", type=int, default=468)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--hidden", default="400", help="comma-separated hidden widths")
    parser.add_argument("--latent", type=int, default=20)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--weights", help="model.safetensors written by Workbench (eval)")
    parser.add_argument("--chunk", type=int, default=100, help="importance samples decoded at once (eval)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries()}), flush=True)
    hidden = [int(h) for h in args.hidden.split(",")]

    if args.mode == "train":
        # One epoch = --steps full batches: the first steps * batch images, as Workbench's sides use.
        train = read_idx_images(find_images(args.data, "train"))[:args.steps * args.batch]
        test = read_idx_images(find_images(args.data, "test"))
        # Untimed steps on a throwaway model first (the counterpart of Workbench's JIT warm-up run): torch's first
        # steps pay for thread-pool start-up and allocator growth.
        train_steps(torch, make_mlp(torch, hidden, args.latent, args.activation), train, 5 * args.warmup, args.batch, args.lr)
        model = make_mlp(torch, hidden, args.latent, args.activation)
        start = time.perf_counter()
        train_steps(torch, model, train, args.steps, args.batch, args.lr)
        seconds = time.perf_counter() - start
        loss = test_loss(torch, model, test)
        print(json.dumps({"seconds": seconds, "steps": args.steps, "test_loss": loss, "peak_rss": peak_rss_bytes()}), flush=True)
    elif args.mode == "eval":
        test = read_idx_images(find_images(args.data, "test"))[:args.images]
        model = make_mlp(torch, hidden, args.latent, args.activation)
        model.load_state_dict(read_safetensors(torch, args.weights))  # strict: every name and shape must match
        model.eval()
        iwae_nll(torch, model, test[:50], min(args.k, 100), args.chunk)   # warm-up
        start = time.perf_counter()
        nll = iwae_nll(torch, model, test, args.k, args.chunk)
        seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "nll": nll.mean().item(), "peak_rss": peak_rss_bytes()}), flush=True)
    else:
        train = read_idx_images(find_images(args.data, "train"))
        train_steps(torch, make_conv(torch, args.activation), train, args.warmup, args.batch, args.lr)
        model = make_conv(torch, args.activation)
        times = []
        train_steps(torch, model, train, args.warmup + args.steps, args.batch, args.lr, times)
        print(json.dumps({"samples": times[args.warmup:], "peak_rss": peak_rss_bytes()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
