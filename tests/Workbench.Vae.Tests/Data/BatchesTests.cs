using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using Workbench.Vae.Data;
using static Workbench.Vae.Tests.Data.ImageDatasetTests;

namespace Workbench.Vae.Tests.Data;

public class BatchesTests
{
    /// <summary>Row order of one epoch, and a copy of every batch's pixels.</summary>
    private static (int[] Order, float[][] Pixels, int[] Sizes) RunEpoch(Batches batches)
    {
        var order = new List<int>();
        var pixels = new List<float[]>();
        var sizes = new List<int>();
        foreach (var batch in batches)
        {
            order.AddRange(batch.Indices.ToArray());
            pixels.Add(batch.Images.Floats());
            sizes.Add(batch.Size);
        }
        return (order.ToArray(), pixels.ToArray(), sizes.ToArray());
    }

    [Fact]
    public void EveryIndexExactlyOncePerEpochWithMatchingRows()
    {
        var ds = Synthetic(103);
        var batches = new Batches(ds, 10, shuffle: true, new Generator(1));
        Assert.Equal(11, batches.Count);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            foreach (var batch in batches)
            {
                var images = batch.Images.Floats().AsSpan();
                var labels = batch.Labels.Span;
                var indices = batch.Indices.Span;
                Assert.Equal(new[] { batch.Size, ds.Dim }, batch.Images.Dims());
                Assert.Equal(ScalarType.Float32, batch.Images.dtype);
                for (int r = 0; r < batch.Size; r++)
                {
                    Assert.True(ds.Image(indices[r]).SequenceEqual(images.Slice(r * ds.Dim, ds.Dim)));
                    Assert.Equal(ds.Labels[indices[r]], labels[r]);
                }
                seen.AddRange(indices.ToArray());
            }
            Assert.Equal(Enumerable.Range(0, 103), seen.Order());
        }
        Assert.Equal(3, batches.Epoch);
    }

    [Fact]
    public void SameSeedSameBatchesDifferentSeedDifferentOrder()
    {
        var ds = Synthetic(64);
        var a = new Batches(ds, 8, shuffle: true, new Generator(7));
        var b = new Batches(ds, 8, shuffle: true, new Generator(7));
        var c = new Batches(ds, 8, shuffle: true, new Generator(8));
        var a1 = RunEpoch(a); var a2 = RunEpoch(a);
        var b1 = RunEpoch(b); var b2 = RunEpoch(b);
        var c1 = RunEpoch(c);
        Assert.Equal(a1.Order, b1.Order);
        Assert.Equal(a2.Order, b2.Order);
        Assert.Equal(a1.Pixels, b1.Pixels);
        Assert.NotEqual(a1.Order, a2.Order);   // each epoch draws a new order
        Assert.NotEqual(a1.Order, c1.Order);
    }

    [Fact]
    public void TheShuffleIsTorchRandpermOfTheGenerator()
    {
        var ds = Synthetic(64);
        var expected = torch.randperm(64, generator: new Generator(7)).data<long>().ToArray().Select(i => (int)i);
        Assert.Equal(expected, RunEpoch(new Batches(ds, 8, shuffle: true, new Generator(7))).Order);
    }

    [Fact]
    public void DynamicDrawsAreTorchBernoulliOfTheBatchGreyLevels()
    {
        // Unshuffled, the first batch's draw is the generator's first: torch.bernoulli over the batch's [8, Dim] grey levels.
        var ds = Synthetic(50, 28, 28);
        var grey = torch.tensor(ds.Pixels[..(8 * ds.Dim)].ToArray(), [8, ds.Dim]);
        var expected = torch.bernoulli(grey, new Generator(9)).Floats();
        var first = new Batches(ds, 8, shuffle: false, new Generator(9), Binarization.Dynamic).First().Images.Floats();
        Assert.Equal(expected, first);
    }

    [Fact]
    public void BatchesOutliveTheDisposeScopeTheyWereMadeIn()
    {
        // The reused batch tensor is detached from every dispose scope: a training step's scope must not free it.
        var ds = Synthetic(12);
        Batches batches;
        using (torch.NewDisposeScope()) batches = new Batches(ds, 4, shuffle: true, new Generator(1), Binarization.Dynamic);
        foreach (var batch in batches)
        {
            using (var scope = torch.NewDisposeScope())
            {
                var doubled = batch.Images * 2;
                Assert.Equal(batch.Size, doubled.shape[0]);
            }
            Assert.False(batch.Images.IsInvalid);
            Assert.Equal(batch.Size * ds.Dim, batch.Images.Floats().Length);
        }
        Assert.False(ds.Images.IsInvalid);
    }

    [Fact]
    public void WithoutShuffleRowsComeInOrder()
    {
        var ds = Synthetic(10);
        var run = RunEpoch(new Batches(ds, 4, shuffle: false, generator: null));
        Assert.Equal(Enumerable.Range(0, 10), run.Order);
        Assert.Equal(ds.Pixels.ToArray(), run.Pixels.SelectMany(p => p).ToArray());
    }

    [Fact]
    public void PartialLastBatchIsKeptOrDropped()
    {
        var ds = Synthetic(23);
        var kept = RunEpoch(new Batches(ds, 5, shuffle: true, new Generator(2)));
        Assert.Equal(new[] { 5, 5, 5, 5, 3 }, kept.Sizes);
        Assert.Equal(3 * ds.Dim, kept.Pixels[^1].Length);

        var dropped = new Batches(ds, 5, shuffle: true, new Generator(2), dropLast: true);
        Assert.Equal(4, dropped.Count);
        var run = RunEpoch(dropped);
        Assert.Equal(new[] { 5, 5, 5, 5 }, run.Sizes);
        Assert.Equal(20, run.Order.Distinct().Count());

        // A batch bigger than the data set: one batch of everything, or nothing to serve at all.
        Assert.Equal(new[] { 23 }, RunEpoch(new Batches(ds, 100, shuffle: false, null)).Sizes);
        var e = Assert.Throws<ArgumentException>(() => new Batches(ds, 100, shuffle: false, null, dropLast: true));
        Assert.Contains("would yield no batch at all", e.Message);
    }

    [Fact]
    public void EpochAllocatesNothingPerBatch()
    {
        // 2,000 images of 784 floats: 6.3 MB copied through batches per epoch, 2,000 batches of 1.
        var ds = Synthetic(2000, 28, 28);
        foreach (var mode in Enum.GetValues<Binarization>())
        {
            var batches = new Batches(ds, 1, shuffle: true, new Generator(3), mode);
            Consume(batches);   // warm up (JIT, first-call allocations)
            long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            long before = GC.GetAllocatedBytesForCurrentThread();
            double sum = Consume(batches);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(sum > 0);
            // No native tensor outlives its batch: the count of live tensors is where it was before the epoch.
            Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            if (mode == Binarization.Dynamic)
                // Each batch's Bernoulli draw makes a tensor (its managed wrapper is a few hundred bytes), but no
                // pixel array: one image is 3,136 bytes, so 2,000 of them would be over 6 MB.
                Assert.True(allocated < 2000 * 1024, $"{mode}: an epoch of 2,000 batches allocated {allocated} bytes.");
            else
                // Copied straight into the reused tensor's memory: even 8 bytes per batch would be 16 KB.
                Assert.True(allocated < 1024, $"{mode}: an epoch of 2,000 batches allocated {allocated} bytes.");
        }

        static double Consume(Batches batches)
        {
            double sum = 0;
            foreach (var batch in batches) sum += MemoryMarshal.Cast<byte, float>(batch.Images.bytes)[0] + batch.Labels.Span[0];
            return sum;
        }
    }

    [Fact]
    public void BatchTensorIsReusedAcrossBatches()
    {
        var batches = new Batches(Synthetic(9), 3, shuffle: false, null);
        var seen = new List<Tensor>();
        foreach (var batch in batches) seen.Add(batch.Images);
        Assert.Same(seen[0], seen[1]);
        Assert.Same(seen[1], seen[2]);
    }

    [Fact]
    public void StaticThresholdBatchesAreExact()
    {
        var ds = Synthetic(40);
        var expected = ds.Binarize(Binarization.StaticThreshold).Pixels.ToArray();
        var run = RunEpoch(new Batches(ds, 7, shuffle: false, null, Binarization.StaticThreshold));
        Assert.Equal(expected, run.Pixels.SelectMany(p => p).ToArray());
        Assert.Equal(ds.Pixels.ToArray().Select(v => v > 0.5f ? 1f : 0f), expected);
    }

    [Fact]
    public void StaticSampleIsFixedAcrossEpochsAndMatchesBinarize()
    {
        var ds = Synthetic(50, 28, 28);
        var batches = new Batches(ds, 8, shuffle: true, new Generator(4), Binarization.StaticSample);
        var first = ImagesByRow(batches, ds);
        var second = ImagesByRow(batches, ds);
        Assert.Equal(first, second);
        Assert.All(first.SelectMany(r => r), v => Assert.True(v == 0f || v == 1f));

        // Unshuffled, the draw is the same one ImageDataset.Binarize makes from a generator in the same state.
        var unshuffled = RunEpoch(new Batches(ds, 8, shuffle: false, new Generator(4), Binarization.StaticSample));
        var binarized = ds.Binarize(Binarization.StaticSample, new Generator(4)).Pixels.ToArray();
        Assert.Equal(binarized, unshuffled.Pixels.SelectMany(p => p).ToArray());
    }

    [Fact]
    public void DynamicDrawsAfreshEachEpochButRepeatsWithTheSeed()
    {
        var ds = Synthetic(50, 28, 28);
        var a = new Batches(ds, 8, shuffle: true, new Generator(9), Binarization.Dynamic);
        var b = new Batches(ds, 8, shuffle: true, new Generator(9), Binarization.Dynamic);
        var a1 = ImagesByRow(a, ds); var a2 = ImagesByRow(a, ds);
        var b1 = ImagesByRow(b, ds); var b2 = ImagesByRow(b, ds);
        Assert.NotEqual(a1, a2);
        Assert.Equal(a1, b1);
        Assert.Equal(a2, b2);
        Assert.All(a1.SelectMany(r => r), v => Assert.True(v == 0f || v == 1f));
        // Pixels with grey level 0 or 1 are certain; the others vary between epochs.
        for (int i = 0; i < ds.Count; i++)
            for (int j = 0; j < ds.Dim; j++)
            {
                float p = ds.Image(i)[j];
                if (p == 0f || p == 1f) Assert.Equal(p, a1[i][j]);
            }
    }

    /// <summary>One epoch's served pixels, arranged by dataset row so epochs with different orders compare.</summary>
    private static float[][] ImagesByRow(Batches batches, ImageDataset ds)
    {
        var rows = new float[ds.Count][];
        foreach (var batch in batches)
            for (int r = 0; r < batch.Size; r++)
                rows[batch.Indices.Span[r]] = batch.Images[r].Floats();
        return rows;
    }

    [Fact]
    public void StartingANewEpochInvalidatesTheOldOne()
    {
        var batches = new Batches(Synthetic(20), 5, shuffle: true, new Generator(1));
        var old = batches.GetEnumerator();
        Assert.True(old.MoveNext());
        var fresh = batches.GetEnumerator();
        Assert.True(fresh.MoveNext());
        var e = Assert.Throws<InvalidOperationException>(() => old.MoveNext());
        Assert.Contains("overtaken by epoch 2", e.Message);
    }

    [Fact]
    public void BadArgumentsAreExplained()
    {
        var ds = Synthetic(10);
        Assert.Contains("at least 1",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Batches(ds, 0, shuffle: false, null)).Message);
        Assert.Contains("pass a Generator",
            Assert.Throws<ArgumentNullException>(() => new Batches(ds, 2, shuffle: true, null)).Message);
        Assert.Contains("pass a Generator",
            Assert.Throws<ArgumentNullException>(() => new Batches(ds, 2, shuffle: false, null, Binarization.Dynamic)).Message);
    }
}
