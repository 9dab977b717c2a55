namespace Workbench.Autograd.Tests.Kernels;

public class UnitDispatchTests
{
    [Fact]
    public void EveryUnitRunsExactlyOnce()
    {
        for (int count = 1; count <= 40; count++)
        {
            var runs = new int[count];
            UnitDispatch.Run(u => Interlocked.Increment(ref runs[u]), count);
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void ManyCallersAtOnceEachGetAllTheirUnits()
    {
        // Callers on several threads share the helpers' queue; each must see all of its own units done on return.
        const int callers = 6, calls = 200, units = 8;
        var failures = 0;
        var threads = Enumerable.Range(0, callers).Select(_ => new Thread(() =>
        {
            for (int c = 0; c < calls; c++)
            {
                var done = new int[units];
                UnitDispatch.Run(u => { Thread.SpinWait(50); done[u] = 1; }, units);
                if (done.Sum() != units) Interlocked.Increment(ref failures);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a caller did not return"));
        Assert.Equal(0, failures);
    }

    [Fact]
    public void AUnitMayDispatchAgain()
    {
        // A product inside a parallel map: the inner call runs on whichever thread took the outer unit.
        var sums = new long[4];
        UnitDispatch.Run(outer => UnitDispatch.Run(inner => Interlocked.Add(ref sums[outer], inner + 1), 10), 4);
        Assert.All(sums, s => Assert.Equal(55, s));
    }

    [Fact]
    public void AFailingUnitIsRethrownAfterTheOthersFinish()
    {
        var finished = 0;
        var ex = Assert.Throws<InvalidOperationException>(() => UnitDispatch.Run(u =>
        {
            if (u == 3) throw new InvalidOperationException("unit 3 failed");
            Thread.SpinWait(1000);
            Interlocked.Increment(ref finished);
        }, 16));
        Assert.Equal("unit 3 failed", ex.Message);
        Assert.Equal(15, Volatile.Read(ref finished));
        // The dispatcher still works afterwards.
        var after = new int[8];
        UnitDispatch.Run(u => after[u] = 1, 8);
        Assert.Equal(8, after.Sum());
    }
}
