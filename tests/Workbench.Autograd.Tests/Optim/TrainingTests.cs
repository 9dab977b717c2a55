using Workbench.Autograd.Nn;
using Workbench.Autograd.Optim;
using Workbench.Autograd.Tests.Nn;

namespace Workbench.Autograd.Tests.Optim;

public class TrainingTests
{
    private static readonly Tensor XorInputs = Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
    private static readonly Tensor XorTargets = Tensor.FromArray(new float[] { 0, 1, 1, 0 }, 4, 1);

    [Fact]
    public void MlpLearnsXorWithAdam()
    {
        var model = TestModels.Mlp(2, 8, 1, new Generator(42));
        var adam = new Adam(model.Parameters(), learningRate: 0.05);
        double first = double.NaN, loss = double.NaN;
        for (int step = 0; step < 300; step++)
        {
            adam.ZeroGrad();
            var l = TestModels.BceWithLogits(model.Forward(XorInputs), XorTargets);
            l.Backward();
            adam.Step();
            loss = l.Item();
            if (step == 0) first = loss;
        }
        // Chance level is log 2 = 0.693; a solved XOR drives the loss towards 0.
        Assert.True(first > 0.5, $"initial loss {first}");
        Assert.True(loss < 0.05, $"loss after 300 Adam steps is {loss}");

        using (Tensor.NoGrad())
        {
            var probabilities = model.Forward(XorInputs).Sigmoid().ToArray();
            var targets = XorTargets.ToArray();
            for (int i = 0; i < 4; i++)
                Assert.True(probabilities[i] > 0.5f == targets[i] > 0.5f, $"input {i}: p = {probabilities[i]}, target {targets[i]}");
        }
    }

    [Fact]
    public void StepChangesEveryParameter()
    {
        var model = TestModels.Mlp(2, 4, 1, new Generator(3));
        var before = TestModels.Snapshot(model);
        var adam = new Adam(model.Parameters(), learningRate: 0.01);
        TestModels.BceWithLogits(model.Forward(XorInputs), XorTargets).Backward();
        adam.Step();
        var after = model.Parameters().ToList();
        for (int i = 0; i < after.Count; i++)
            Assert.NotEqual(before[i].ToArray(), after[i].ToArray());
    }

    [Fact]
    public void ForwardUnderNoGradRecordsNothingAndChangesNothing()
    {
        var model = TestModels.Mlp(2, 4, 1, new Generator(3));
        var before = TestModels.Snapshot(model);
        var adam = new Adam(model.Parameters(), learningRate: 0.01);
        Tensor loss;
        using (Tensor.NoGrad())
        {
            var output = model.Forward(XorInputs);
            Assert.False(output.RequiresGrad);
            Assert.True(output.IsLeaf);
            loss = TestModels.BceWithLogits(output, XorTargets);
        }
        Assert.False(loss.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        adam.Step();
        var after = model.Parameters().ToList();
        for (int i = 0; i < after.Count; i++)
        {
            Assert.Null(after[i].Grad);
            Assert.Equal(before[i].ToArray(), after[i].ToArray());
        }
        Assert.Equal(0, adam.StepCount(0));
    }

    /// <summary>20 AdamW steps of an MLP with dropout on seeded random data; returns every parameter value.</summary>
    private static float[] Train(ulong seed)
    {
        var generator = new Generator(seed);
        var model = new Sequential(new Linear(6, 16, generator), new TanhLayer(), new Dropout(0.25, generator.Fork()), new Linear(16, 1, generator));
        var data = Tensor.Randn([32, 6], generator);
        var targets = Tensor.Bernoulli(Tensor.Full([32, 1], 0.5), generator);
        var opt = new AdamW(model.Parameters(), learningRate: 0.01);
        for (int step = 0; step < 20; step++)
        {
            opt.ZeroGrad();
            TestModels.BceWithLogits(model.Forward(data), targets).Backward();
            Grads.ClipGradNorm(model.Parameters(), 1.0);
            opt.Step();
        }
        return TestModels.Flatten(model);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalParameters()
    {
        var a = Train(11);
        var b = Train(11);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]), $"parameter element {i}: {a[i]:R} vs {b[i]:R}");
        Assert.NotEqual(a, Train(12));
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void StepAllocatesNothingAfterTheFirst(string kind)
    {
        // 50,250 elements (below the parallel threshold, so the loop runs on this thread). A moment buffer
        // allocated per step would cost 200 kB; the only allocation allowed is the NoGrad scope's bookkeeping.
        var g = new Generator(5);
        Tensor[] ps = [Tensor.Randn([200, 250], g).RequiresGrad_(), Tensor.Randn([250], g).RequiresGrad_()];
        foreach (var p in ps) p.Grad = Tensor.RandnLike(p, g);
        Optimizer opt = kind switch
        {
            "adam" => new Adam(ps, 1e-3, weightDecay: 0.1),
            "adamw" => new AdamW(ps),
            _ => new Sgd(ps, 1e-3, momentum: 0.9, weightDecay: 0.1, nesterov: true),
        };
        opt.Step();
        opt.Step();
        // The least over several rounds: the runtime's one-off work on this thread (tiering up the loop while
        // other processes load the machine) can land in any one round, a per-step buffer would be in all of them.
        long perStep = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                opt.ZeroGrad();
                opt.Step();
            }
            perStep = Math.Min(perStep, (GC.GetAllocatedBytesForCurrentThread() - before) / 10);
        }
        Assert.True(perStep <= 512, $"{kind}: {perStep} bytes allocated per step");
    }
}
