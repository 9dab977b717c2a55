using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Workbench.Vae;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Workbench.Bench;

/// <summary>
/// Side (b): the same VAE written plainly with torch.nn layers, the floor our library code adds to. Its fields are
/// named as MlpVae's modules (encoder.0, mean, logvar, decoder.0, output), so our safetensors checkpoint loads into it
/// as it is. TorchSharp's default initialisation (the global RNG, seeded per run) gives PyTorch's default bounds, as ours.
/// </summary>
public sealed class RawVae : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case: RegisterComponents names the state-dict keys after the fields
    private readonly Sequential encoder, decoder;
    private readonly Linear mean, logvar;
    private readonly nn.Module<Tensor, Tensor> output;
#pragma warning restore IDE1006

    private RawVae(Sequential encoder, long hidden, long latent, Sequential decoder, nn.Module<Tensor, Tensor> output) : base(nameof(RawVae))
    {
        this.encoder = encoder;
        mean = nn.Linear(hidden, latent);
        logvar = nn.Linear(hidden, latent);
        this.decoder = decoder;
        this.output = output;
        RegisterComponents();
    }

    /// <summary>The activations the raw side and the peer mirror (the same table as bench/peer/vae.py).</summary>
    public static readonly string[] Activations = ["relu", "tanh", "swish", "silu", "mish", "sigmoid", "elu", "gelu", "softplus"];

    public static void CheckActivation(string name)
    {
        if (!Activations.Contains(name))
            throw new BenchmarkException($"--activation '{name}' has no raw TorchSharp or PyTorch mirror here; use one of {string.Join(", ", Activations)}.", 1);
    }

    private static nn.Module<Tensor, Tensor> Activation(string name) => name switch
    {
        "relu" => nn.ReLU(),
        "tanh" => nn.Tanh(),
        "swish" or "silu" => nn.SiLU(),
        "mish" => nn.Mish(),
        "sigmoid" => nn.Sigmoid(),
        "elu" => nn.ELU(),
        "gelu" => nn.GELU(),
        "softplus" => nn.Softplus(),
        _ => throw new BenchmarkException($"--activation '{name}' has no raw mirror; use one of {string.Join(", ", Activations)}.", 1),
    };

    /// <summary>The raw twin of <see cref="Vae.Models.Vae.Create"/> for the configs this program benchmarks.</summary>
    public static RawVae For(VaeConfig config)
    {
        long latent = config.LatentDim;
        int[] h = config.ResolvedHidden;
        if (config.Architecture == "conv")
        {
            // VaeConfig.Conv: two stride-2 4x4 convolutions (28 -> 14 -> 7), Linear 3136 -> 256, heads, mirrored decoder.
            var enc = nn.Sequential(nn.Unflatten(1, [1, 28, 28]),
                nn.Conv2d(1, 32, 4, stride: 2, padding: 1), Activation(config.Activation),
                nn.Conv2d(32, 64, 4, stride: 2, padding: 1), Activation(config.Activation),
                nn.Flatten(), nn.Linear(64 * 7 * 7, h[0]), Activation(config.Activation));
            var dec = nn.Sequential(nn.Linear(latent, h[0]), Activation(config.Activation),
                nn.Linear(h[0], 64 * 7 * 7), Activation(config.Activation), nn.Unflatten(1, [64, 7, 7]),
                nn.ConvTranspose2d(64, 32, 4, stride: 2, padding: 1), Activation(config.Activation));
            return new RawVae(enc, h[0], latent, dec, nn.Sequential(nn.ConvTranspose2d(32, 1, 4, stride: 2, padding: 1), nn.Flatten()));
        }
        var encoder = nn.Sequential();
        long width = config.InputDim;
        for (int i = 0; i < h.Length; i++)
        {
            encoder.append(nn.Linear(width, h[i]));
            encoder.append(Activation(config.Activation));
            width = h[i];
        }
        var decoder = nn.Sequential();
        width = latent;
        for (int i = h.Length - 1; i >= 0; i--)
        {
            decoder.append(nn.Linear(width, h[i]));
            decoder.append(Activation(config.Activation));
            width = h[i];
        }
        return new RawVae(encoder, h[^1], latent, decoder, nn.Linear(h[0], config.InputDim));
    }

    public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var hidden = encoder.call(x);
        return (mean.call(hidden), logvar.call(hidden));
    }

    /// <summary>Bernoulli logits, [N, 784].</summary>
    public Tensor Decode(Tensor z) => output.call(decoder.call(z));

    public override Tensor forward(Tensor x) => Decode(Encode(x).Mu);

    /// <summary>Per-example negative ELBO: BCE with logits summed over pixels + analytic KL (Kingma and Welling 2014, app. B), [B].</summary>
    public Tensor NegativeElbo(Tensor x)
    {
        var (mu, logVar) = Encode(x);
        var z = mu + (logVar * 0.5).exp() * torch.randn_like(mu);
        var bce = F.binary_cross_entropy_with_logits(Decode(z), x, reduction: nn.Reduction.None).sum(1);
        var kl = (1 + logVar - mu.square() - logVar.exp()).sum(1) * -0.5;
        return bce + kl;
    }
}

/// <summary>The raw loops of side (b): training, test loss and the importance-sampled NLL.</summary>
public static class RawLoop
{
    /// <summary>
    /// <paramref name="steps"/> Adam steps over batches of <paramref name="images"/> in a fresh randperm order per pass,
    /// one dispose scope per step; wall time and per-step times of the loop, then the test loss outside the timed part.
    /// </summary>
    public static (double Seconds, double TestLoss, List<double> StepSeconds) Train(VaeConfig config, Tensor images, Tensor? test, int steps, long seed)
    {
        torch.manual_seed(seed);
        using var model = RawVae.For(config);
        using var adam = torch.optim.Adam(model.parameters(), Bench.LearningRate);
        model.train();
        long n = images.shape[0], perPass = n / Bench.Batch;
        Tensor? order = null;
        var stepSeconds = new List<double>(steps);
        long start = Stopwatch.GetTimestamp();
        for (int step = 0; step < steps; step++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            if (step % perPass == 0)
            {
                order?.Dispose();
                order = torch.randperm(n);
            }
            using (torch.NewDisposeScope())
            {
                var x = images.index_select(0, order!.narrow(0, step % perPass * Bench.Batch, Bench.Batch));   // [B, 784]
                adam.zero_grad();
                var loss = model.NegativeElbo(x).mean();
                loss.backward();
                adam.step();
            }
            stepSeconds.Add(Stopwatch.GetElapsedTime(stepStart).TotalSeconds);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        order?.Dispose();
        return (seconds, test is null ? double.NaN : TestLoss(model, test), stepSeconds);
    }

    /// <summary>Mean negative ELBO over <paramref name="test"/> [N, 784], one z per image, in eval mode without a graph.</summary>
    public static double TestLoss(RawVae model, Tensor test)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        model.eval();
        double sum = 0;
        long n = test.shape[0];
        for (long s = 0; s < n; s += 1000)
            sum += model.NegativeElbo(test.narrow(0, s, Math.Min(1000, n - s))).sum().item<float>();
        model.train();
        return sum / n;
    }

    /// <summary>
    /// -log p(x) by importance sampling with k samples (Burda et al. 2016, eq. 8), as the peer computes it: rows in
    /// batches, <paramref name="chunk"/> samples decoded at once, chunks merged with logaddexp in float64. [N] float64.
    /// </summary>
    public static Tensor NegativeLogLikelihood(RawVae model, Tensor data, int k, long seed, int batch = 50, int chunk = 100)
    {
        using var _ = torch.no_grad();
        torch.manual_seed(seed);
        double log2Pi = Math.Log(2 * Math.PI);
        var parts = new List<Tensor>();
        long n = data.shape[0];
        for (long s = 0; s < n; s += batch)
        {
            using var scope = torch.NewDisposeScope();
            var x = data.narrow(0, s, Math.Min(batch, n - s));   // [B, 784]
            var (mu, logVar) = model.Encode(x);                     // [B, L]
            var std = (logVar * 0.5).exp();
            var acc = torch.full(x.shape[0], double.NegativeInfinity, dtype: ScalarType.Float64);
            for (int done = 0; done < k; done += chunk)
            {
                using var chunkScope = torch.NewDisposeScope();   // one decoded chunk alive at a time
                int c = Math.Min(chunk, k - done);
                var eps = torch.randn([c, .. mu.shape]);          // [c, B, L]
                var z = mu + std * eps;
                var logits = model.Decode(z.reshape(-1, mu.shape[1])).view(c, x.shape[0], -1);   // [c, B, 784]
                var logPx = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction: nn.Reduction.None).sum(2);
                var logPz = ((z.square() + log2Pi) * -0.5).sum(2);
                var logQz = ((eps.square() + logVar + log2Pi) * -0.5).sum(2);
                acc = chunkScope.MoveToOuter(torch.logaddexp(acc, (logPx + logPz - logQz).logsumexp(0).to(ScalarType.Float64)));
            }
            parts.Add(scope.MoveToOuter(Math.Log(k) - acc));
        }
        var nll = torch.cat(parts);
        foreach (var p in parts) p.Dispose();
        return nll;
    }
}
