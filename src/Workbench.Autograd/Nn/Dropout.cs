using System.Numerics;

namespace Workbench.Autograd
{
    public static partial class F
    {
        /// <summary>
        /// Inverted dropout. Srivastava et al. (2014, section 4) multiply by a Bernoulli mask in training and scale the
        /// weights at test time (their figure 2; their p is the probability of keeping a unit); here the survivors
        /// are scaled by 1 / (1 - p) in training instead, so the expected output equals the input and evaluation is
        /// the identity. In training each element is zeroed with probability <paramref name="p"/>. Returns
        /// <paramref name="x"/> itself when not training or when p = 0. One uniform draw per element, in row-major order,
        /// from <paramref name="generator"/>; the gradient is the same mask times the incoming gradient.
        /// </summary>
        public static Tensor Dropout(Tensor x, double p, bool training, Generator generator)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(generator);
            Nn.Dropout.CheckProbability(p);
            if (!training || p == 0) return x;
            var mask = Tensor.Empty(x.Shape, x.DType);
            if (x.DType == DType.Float32) FillDropoutMask(mask.AsSpan<float>(), p, generator);
            else FillDropoutMask(mask.AsSpan<double>(), p, generator);
            var y = SpanMaps.Mul(x, mask);
            return Autograd.Record(y, "dropout", g => [SpanMaps.Mul(g, mask)], x);
        }

        private static void FillDropoutMask<T>(Span<T> mask, double p, Generator generator) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T scale = T.CreateTruncating(1.0 / (1.0 - p));
            if (typeof(T) == typeof(float))
            {
                // A 24-bit uniform is enough resolution for float32 activations and draws as fast as the generator runs.
                for (int i = 0; i < mask.Length; i++) mask[i] = generator.NextFloat() < p ? T.Zero : scale;
            }
            else
            {
                for (int i = 0; i < mask.Length; i++) mask[i] = generator.NextDouble() < p ? T.Zero : scale;
            }
        }
    }
}

namespace Workbench.Autograd.Nn
{
    /// <summary>
    /// Inverted dropout as torch.nn.Dropout: active in training mode only (see <see cref="Module.Train"/>), identity
    /// after <see cref="Module.Eval"/>. Masks come from the generator given at construction, so a seeded run repeats.
    /// </summary>
    public sealed class Dropout : Module
    {
        private readonly Generator _generator;

        /// <summary>Probability of zeroing each element.</summary>
        public double P { get; }

        /// <param name="p">Probability of zeroing an element, in [0, 1).</param>
        /// <param name="generator">Source of the masks; hand each dropout layer its own (e.g. <c>generator.Fork()</c>) or share one.</param>
        public Dropout(double p, Generator generator)
        {
            ArgumentNullException.ThrowIfNull(generator);
            CheckProbability(p);
            P = p;
            _generator = generator;
        }

        public override Tensor Forward(Tensor input) => F.Dropout(input, P, IsTraining, _generator);

        internal static void CheckProbability(double p)
        {
            if (!(p >= 0 && p < 1))
                throw new ArgumentOutOfRangeException(nameof(p), p,
                    $"Dropout probability must be in [0, 1) but was {p}: 0 keeps everything, and 1 would zero every element and leave nothing to rescale.");
        }
    }
}
