using Workbench.Autograd;
using static Workbench.Autograd.Tests.TestUtil;

namespace Workbench.Autograd.Tests.Ops;

public class ReductionAndShapeTests
{
    private readonly Generator _g = new(2);

    [Fact]
    public void ReductionsMatchFiniteDifferences()
    {
        var x = Rand64(_g, 2, 3, 4);
        AssertGrad(t => t[0].Sum(), x);
        AssertGrad(t => t[0].Mean(), x);
        for (int d = -3; d < 3; d++)
        {
            int dim = d;
            AssertGrad(t => t[0].Sum(dim), x);
            AssertGrad(t => t[0].Mean(dim, keepDim: true), x);
            AssertGrad(t => t[0].Max(dim), x);
            AssertGrad(t => t[0].Min(dim, keepDim: true), x);
            AssertGrad(t => t[0].LogSumExp(dim), x);
            AssertGrad(t => t[0].Softmax(dim), x);
            AssertGrad(t => t[0].LogSoftmax(dim), x);
        }
        AssertGrad(t => t[0].Max(), x);
    }

    [Fact]
    public void ReductionValuesAreRight()
    {
        var x = Tensor.FromArray(new double[] { 1, 5, 3, 4, 2, 6 }, 2, 3);
        Assert.Equal(new double[] { 5, 7, 9 }, x.Sum(0).ToDoubleArray());
        Assert.Equal(new double[] { 9, 12 }, x.Sum(1).ToDoubleArray());
        Assert.Equal(new[] { 2, 1 }, x.Sum(1, keepDim: true).ShapeArray());
        Assert.Equal(new double[] { 5, 6 }, x.Max(1).ToDoubleArray());
        Assert.Equal(new[] { 1, 2 }, x.Argmax(1));
        Assert.Equal(3.5, x.Mean().Item());
        // log(e^1 + e^5 + e^3) = 5 + log(1 + e^-4 + e^-2)
        Assert.Equal(5 + Math.Log(1 + Math.Exp(-4) + Math.Exp(-2)), x.LogSumExp(1).ToDoubleArray()[0], 14);
    }

    [Fact]
    public void LogSumExpNeitherOverflowsNorTurnsInfinityIntoNaN()
    {
        var big = Tensor.FromArray(new float[] { 1000, 1000 });
        Assert.Equal(1000 + Math.Log(2), big.LogSumExp(0).Item(), 3);
        var empty = Tensor.FromArray(new float[] { float.NegativeInfinity, float.NegativeInfinity });
        Assert.Equal(double.NegativeInfinity, empty.LogSumExp(0).Item());
        var sm = Tensor.FromArray(new float[] { 1000, 0 }).Softmax(0).ToArray();
        Assert.Equal(1f, sm[0]);
        Assert.Equal(0f, sm[1]);
    }

    [Fact]
    public void ShapeOpsMatchFiniteDifferences()
    {
        var x = Rand64(_g, 3, 4);
        var y = Rand64(_g, 2, 4);
        AssertGrad(t => t[0].Reshape(2, -1, 3), x);
        AssertGrad(t => t[0].T(), x);
        AssertGrad(t => t[0].Reshape(3, 2, 2).Permute(2, 0, 1), x);
        AssertGrad(t => t[0].Slice(1, 3), x);
        AssertGrad(t => t[0].Narrow(1, 1, 2), x);
        AssertGrad(t => t[0].IndexSelect([2, 0, 2]), x);
        AssertGrad(t => t[0].Gather(1, [3, 0, 1, 1, 2, 2], 3, 2), x);
        AssertGrad(t => Tensor.Cat([t[0], t[1]], 0), x, y);
        AssertGrad(t => Tensor.Cat([t[0].T(), t[1].T()], 1), x, y);
        AssertGrad(t => Tensor.Stack([t[0].Slice(0, 2), t[1]], 1), x, y);
        AssertGrad(t => t[0].Chunk(3, 1)[1], x);
        AssertGrad(t => t[0].Unsqueeze(1).BroadcastTo([3, 5, 4]), x);
    }

    [Fact]
    public void DTypeConversionPassesGradientsBackInTheLeafsType()
    {
        var x = Rand64(_g, 3);
        x.To(DType.Float32).Mul(2).Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal(new double[] { 2, 2, 2 }, x.Grad.ToDoubleArray());
    }

    [Fact]
    public void ShapeOpValuesAreRight()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, x.T().ToArray());
        Assert.Equal(new float[] { 3, 4, 5 }, x.Slice(1, 2).ToArray());
        Assert.Equal(new float[] { 1, 2, 4, 5 }, x.Narrow(1, 1, 2).ToArray());
        Assert.Equal(new float[] { 3, 4, 5, 0, 1, 2, 3, 4, 5 }, x.IndexSelect([1, 0, 1]).ToArray());
        Assert.Equal(new float[] { 2, 0, 4, 4 }, x.Gather(1, [2, 0, 1, 1], 2, 2).ToArray());
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5 }, Tensor.Cat([x, x], 1).ToArray());
        Assert.Equal(new[] { 2, 2, 3 }, Tensor.Stack([x, x]).ShapeArray());
        var chunks = Tensor.Arange(5).Chunk(2);
        Assert.Equal(new float[] { 0, 1, 2 }, chunks[0].ToArray());
        Assert.Equal(new float[] { 3, 4 }, chunks[1].ToArray());
        Assert.Equal(new[] { 2, 1, 3 }, x.Unsqueeze(1).ShapeArray());
        Assert.Equal(new[] { 2, 3 }, x.Unsqueeze(1).Squeeze(1).ShapeArray());
        Assert.Equal(new[] { 6 }, x.Flatten().ShapeArray());
    }

    [Fact]
    public void ReshapeAndSliceShareStorage()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var row = x.Slice(1, 2);
        row.Fill_(9);
        Assert.Equal(new float[] { 0, 1, 2, 9, 9, 9 }, x.ToArray());
        Assert.Same(x.Storage, x.Reshape(3, 2).Storage);
    }

    [Fact]
    public void BadShapeRequestsSayWhatWasWrong()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Contains("Cannot reshape [2, 3]", Assert.Throws<ArgumentException>(() => x.Reshape(4, 2)).Message);
        Assert.Contains("only one dimension can be -1", Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1)).Message);
        Assert.Contains("out of range", Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2)).Message);
        Assert.Contains("outside dim 0", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 3)).Message);
        Assert.Contains("row 5", Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect([5])).Message);
        Assert.Contains("differ outside dim", Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Tensor.Zeros(2, 2)], 0)).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => x.Permute(0, 0)).Message);
    }
}
