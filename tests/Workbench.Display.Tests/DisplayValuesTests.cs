using System.Buffers.Binary;
using TorchSharp;
using Workbench.Vae;
using Workbench.Vae.Data;
using Workbench.Vae.Training;

namespace Workbench.Display.Tests;

public class DisplayValuesTests
{
    private static (int Width, int Height) Size(string base64)
    {
        var png = Convert.FromBase64String(base64);
        Assert.True(PngImage.IsPng(png));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void ImageAndBatchTensorsShowAsAPngGrid()
    {
        // [N, 1, H, W]: a grid of N tiles (2 px padding, scale 2), beside the usual text; [1, H, W]: one tile.
        var batch = Formatter.Format(torch.rand(12, 1, 28, 28));
        Assert.Equal(Experiments.Charts.ImageGrid.Size(12, 28, 28, columns: 10, padding: 2, scale: 2), Size(batch.GetText(MimeBundle.Png)!));
        Assert.Contains("shape=[12, 1, 28, 28]", batch.GetText(MimeBundle.PlainText));
        var one = Formatter.Format(torch.rand(1, 16, 20));
        Assert.Equal(Experiments.Charts.ImageGrid.Size(1, 16, 20, columns: 1, padding: 2, scale: 2), Size(one.GetText(MimeBundle.Png)!));
        // Not images: a matrix, three channels, tiny tiles.
        Assert.Null(Formatter.Format(torch.rand(28, 28)).GetText(MimeBundle.Png));
        Assert.Null(Formatter.Format(torch.rand(2, 3, 28, 28)).GetText(MimeBundle.Png));
        Assert.Null(Formatter.Format(torch.rand(5, 1, 4, 4)).GetText(MimeBundle.Png));
    }

    [Fact]
    public void AFlattenedBatchIsDrawnAtTheSizeAskedAndOutOfRangeValuesAreStretched()
    {
        var counts = torch.arange(2 * 64, dtype: torch.float32).reshape(2, 64);   // 0..127
        var png = ImageTensors.Grid(counts, 8, 8, columns: 2, scale: 1);
        Assert.Equal(Experiments.Charts.ImageGrid.Size(2, 8, 8, columns: 2, padding: 2, scale: 1), (png.Width, png.Height));
        // 0..127 is stretched to 0..1: the same picture as the grey levels 0/127 .. 127/127 drawn as they are.
        Assert.Equal(ImageTensors.Grid(counts / 127, 8, 8, columns: 2, scale: 1).Bytes, png.Bytes);
        Assert.NotEqual(ImageTensors.Grid(counts / 255, 8, 8, columns: 2, scale: 1).Bytes, png.Bytes);
        Assert.Contains("not a batch of 8 x 8 images", Assert.Throws<ArgumentException>(() => ImageTensors.Grid(torch.zeros(3, 10), 8, 8)).Message);
    }

    [Fact]
    public void AProgressBarShowsItsFractionInHtmlAndText()
    {
        var bar = new ProgressBar("training", 1.5, 4, "epoch 2/4, loss 120.31");
        var bundle = Formatter.Format(bar);
        Assert.Contains("<progress value=\"0.375\" max=\"1\"", bundle.GetText(MimeBundle.Html));
        Assert.Contains("training 38% epoch 2/4, loss 120.31", bundle.GetText(MimeBundle.Html));
        Assert.Equal("training [########------------]  38% epoch 2/4, loss 120.31", bundle.GetText(MimeBundle.PlainText));
        Assert.Equal(1, new ProgressBar("x", 9, 4).Fraction);
        Assert.Equal(0, new ProgressBar("x", 1, 0).Fraction);
    }

    [Fact]
    public void FollowingATrainerRedrawsAtMostEveryIntervalAndAtEveryEpochsEnd()
    {
        var data = new TrainingData(Synthetic(256), Synthetic(64));
        var config = new VaeConfig(InputShape: [1, 8, 8], Hidden: [16], LatentDim: 2);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 32, Seed: 3);

        var every = new List<ProgressBar>();
        var trainer = new Trainer();
        ProgressBar.Follow(trainer, options.Epochs, v => every.Add((ProgressBar)v!), interval: TimeSpan.Zero);
        trainer.Run(config, data, options);
        Assert.Equal(2 * 8 + 2, every.Count);   // each of 8 steps per epoch, and each epoch's end
        Assert.Equal(0.125, every[0].Done);
        Assert.Equal(2, every[^1].Done);
        Assert.Contains("test loss", every[^1].Detail);
        Assert.All(every.Zip(every.Skip(1)), p => Assert.True(p.Second.Done >= p.First.Done));

        var throttled = new List<ProgressBar>();
        trainer = new Trainer();
        ProgressBar.Follow(trainer, options.Epochs, v => throttled.Add((ProgressBar)v!), interval: TimeSpan.FromHours(1));
        trainer.Run(config, data, options);
        Assert.Equal([0.125, 1, 2], throttled.Select(b => b.Done));   // the first step, then only the epochs' ends
    }

    private static ImageDataset Synthetic(int count)
    {
        var random = new Random(count);
        var pixels = new float[count * 64];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.NextSingle();
        return new ImageDataset("synthetic", Split.Train, pixels, new byte[count], 8, 8);
    }
}
