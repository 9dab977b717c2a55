using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Workbench.Vae.Data;

/// <summary>
/// One mini-batch. Its tensor and label memory live in buffers the <see cref="Batches"/> object reuses for
/// every batch, so a batch is valid only until the enumeration moves to the next one: copy (<c>clone()</c>,
/// <c>ToArray()</c>) anything you want to keep. The images tensor belongs to the <see cref="Batches"/> object (it is in
/// no dispose scope): do not dispose it.
/// </summary>
public readonly struct Batch
{
    internal Batch(Tensor images, ReadOnlyMemory<byte> labels, ReadOnlyMemory<int> indices, int number)
    {
        Images = images;
        Labels = labels;
        Indices = indices;
        Number = number;
    }

    /// <summary>Pixels, float32 [Size, Dim] on the CPU; valid until the next batch.</summary>
    public Tensor Images { get; }

    /// <summary>Label of each row; valid until the next batch.</summary>
    public ReadOnlyMemory<byte> Labels { get; }

    /// <summary>Row of the data set each batch row was copied from; valid until the next epoch starts.</summary>
    public ReadOnlyMemory<int> Indices { get; }

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Number { get; }

    /// <summary>Number of images in the batch (the batch size, or fewer for a last partial batch).</summary>
    public int Size => Indices.Length;
}

/// <summary>
/// Seeded shuffling and batching of an <see cref="ImageDataset"/>. Each enumeration (<c>foreach</c>) is one
/// epoch: it draws a fresh order from the generator (when shuffling) and yields batches copied from the data
/// set's block into ONE buffer reused for every batch, so an epoch allocates nothing per batch. A batch is
/// therefore valid only until the next one. The same seed gives the same batches, bit for bit.
/// </summary>
/// <remarks>
/// The generator is consumed in a fixed order: the static-sample draws (once, at construction: one torch.bernoulli
/// over the whole [Count, Dim] block), then per epoch the shuffle (torch.randperm), then per batch the
/// dynamic-binarisation draws (torch.bernoulli over the batch's grey levels). Starting a new epoch while an old enumeration
/// is still running invalidates the old one (it throws), because both would write into the same buffer.
/// </remarks>
public sealed class Batches : IEnumerable<Batch>
{
    private readonly ImageDataset _dataset;
    private readonly torch.Generator? _generator;
    private readonly int[] _order;             // [Count] row order of the current epoch
    private readonly byte[] _labels;           // [BatchSize], reused for every batch
    private readonly Tensor _full;             // [BatchSize, Dim] float32, reused for every batch; held outside any dispose scope
    private readonly Tensor? _partial;         // first rows of _full for the last partial batch
    private readonly ulong[]? _sampleMask;     // StaticSample: one bit per pixel of the data set, drawn once
    private readonly int _lastSize;
    private readonly int _rows;                // rows of _full (Tensor.shape allocates, so it is kept here)

    /// <summary>Prepares batching; for <see cref="Binarization.StaticSample"/> this draws the fixed sample now.</summary>
    /// <param name="dataset">Images to serve.</param>
    /// <param name="batchSize">Images per batch (the last batch may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Draw a new order every epoch; otherwise serve rows in the data set's order.</param>
    /// <param name="generator">Source of every random draw; needed when shuffling or sampling, may be null otherwise.</param>
    /// <param name="binarization">How to binarise served pixels.</param>
    /// <param name="dropLast">Skip the last batch when it would be smaller than <paramref name="batchSize"/>.</param>
    public Batches(ImageDataset dataset, int batchSize, bool shuffle, torch.Generator? generator,
        Binarization binarization = Binarization.None, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1 but is {batchSize}.");
        bool random = shuffle || binarization is Binarization.StaticSample or Binarization.Dynamic;
        if (random && generator is null)
            throw new ArgumentNullException(nameof(generator),
                $"Batches with shuffle={shuffle} and binarization={binarization} draw random numbers; pass a Generator (e.g. new torch.Generator(seed)).");
        if (!Enum.IsDefined(binarization))
            throw new ArgumentOutOfRangeException(nameof(binarization), binarization, "Unknown binarisation mode.");

        _dataset = dataset;
        _generator = generator;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Binarization = binarization;
        DropLast = dropLast;

        int full = dataset.Count / batchSize;
        _lastSize = dropLast ? 0 : dataset.Count % batchSize;
        Count = full + (_lastSize > 0 ? 1 : 0);
        if (Count == 0 && dataset.Count > 0)
            throw new ArgumentException(
                $"Batches of {batchSize} with dropLast from '{dataset.Describe()}' would yield no batch at all; " +
                "use a smaller batch size or keep the last partial batch.", nameof(dropLast));

        _order = new int[dataset.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        int rows = Math.Min(batchSize, Math.Max(dataset.Count, 1));
        _rows = rows;
        _labels = new byte[rows];
        _full = torch.zeros(rows, dataset.Dim, dtype: ScalarType.Float32).DetachFromDisposeScope();
        if (_lastSize > 0 && _lastSize < rows) _partial = _full.narrow(0, 0, _lastSize).DetachFromDisposeScope();

        if (binarization == Binarization.StaticSample)
        {
            // One bit per pixel instead of a float copy: 1/32 of the block's memory.
            var sample = Binarizer.Sample(dataset.Block, dataset.Count, dataset.Dim, generator!);
            _sampleMask = new ulong[(sample.Length + 63) / 64];
            for (int i = 0; i < sample.Length; i++)
                if (sample[i] != 0f) _sampleMask[i >> 6] |= 1UL << (i & 63);
        }
    }

    /// <summary>The data set served.</summary>
    public ImageDataset Dataset => _dataset;

    /// <summary>Images per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether every epoch draws a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>How served pixels are binarised.</summary>
    public Binarization Binarization { get; }

    /// <summary>Whether a last partial batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count { get; }

    /// <summary>Number of epochs started so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Starts a new epoch (drawing its order when shuffling) and enumerates its batches.</summary>
    public Enumerator GetEnumerator()
    {
        Epoch++;
        if (Shuffle) Binarizer.Permutation(_order, _generator!);
        return new Enumerator(this, Epoch);
    }

    IEnumerator<Batch> IEnumerable<Batch>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Copies batch <paramref name="number"/> of the current epoch into the shared buffer.</summary>
    private Batch Fill(int number)
    {
        int dim = _dataset.Dim;
        int start = number * BatchSize;
        int size = Math.Min(BatchSize, _dataset.Count - start);
        var block = _dataset.Block;
        var labels = _dataset.Labels;
        var buffer = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(_full.bytes);   // the tensor's own CPU memory, [rows * Dim]
        for (int r = 0; r < size; r++)
        {
            int row = _order[start + r];
            var src = block.AsSpan(row * dim, dim);
            var dst = buffer.Slice(r * dim, dim);
            switch (Binarization)
            {
                case Binarization.None:
                    src.CopyTo(dst);
                    break;
                case Binarization.StaticThreshold:
                    Binarizer.Threshold(src, dst);
                    break;
                case Binarization.StaticSample:
                    ExpandBits(_sampleMask!, row * dim, dst);
                    break;
                default:
                    src.CopyTo(dst);   // grey levels; sampled for the whole batch below
                    break;
            }
            _labels[r] = labels[row];
        }
        var images = size == _rows ? _full : _partial!;
        if (Binarization == Binarization.Dynamic)
        {
            using var _ = torch.no_grad();
            using var sample = torch.bernoulli(images, _generator);   // [size, Dim], one fresh draw per pixel
            images.copy_(sample);
        }
        return new Batch(images, _labels.AsMemory(0, size), _order.AsMemory(start, size), number);
    }

    private static void ExpandBits(ulong[] mask, int first, Span<float> destination)
    {
        for (int j = 0; j < destination.Length; j++)
        {
            int bit = first + j;
            destination[j] = (mask[bit >> 6] >> (bit & 63) & 1UL) != 0 ? 1f : 0f;
        }
    }

    private void CheckCurrent(int epoch)
    {
        if (epoch != Epoch)
            throw new InvalidOperationException(
                $"Epoch {epoch} of these batches was overtaken by epoch {Epoch}, which reuses the same buffer; " +
                "finish one epoch's enumeration before starting the next (or make a second Batches object).");
    }

    /// <summary>Enumerates one epoch; a struct so that enumerating allocates nothing.</summary>
    public struct Enumerator : IEnumerator<Batch>
    {
        private readonly Batches _owner;
        private readonly int _epoch;
        private int _next;
        private Batch _current;

        internal Enumerator(Batches owner, int epoch)
        {
            _owner = owner;
            _epoch = epoch;
            _next = 0;
            _current = default;
        }

        /// <summary>The current batch (valid until the next <see cref="MoveNext"/>).</summary>
        public readonly Batch Current => _current;

        readonly object IEnumerator.Current => _current;

        /// <summary>Fills the buffer with the next batch.</summary>
        public bool MoveNext()
        {
            _owner.CheckCurrent(_epoch);
            if (_next >= _owner.Count) return false;
            _current = _owner.Fill(_next++);
            return true;
        }

        /// <summary>Not supported: start a new epoch with another <c>foreach</c>.</summary>
        public readonly void Reset() =>
            throw new NotSupportedException("An epoch cannot be replayed; enumerate the Batches again to start a new epoch.");

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose() { }
    }
}
