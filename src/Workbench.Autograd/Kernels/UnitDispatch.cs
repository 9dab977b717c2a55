using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Workbench.Autograd;

/// <summary>
/// Runs units [0, count) on the calling thread and on the helper threads (<see cref="Helpers"/>): every parallel
/// loop of the library (GEMM, element-wise maps, block sums, convolution chunks) goes through here. The caller starts
/// at once; a helper takes units only when it gets a core, and the caller waits only for units a helper has actually
/// taken. (Parallel.For also waits until every helper it queued has been picked up by a pool thread, even
/// when no work is left for it, which on a machine whose other core is busy costs a scheduling delay per call.)
/// <para>
/// On a machine shared with other work, a helper that takes a unit and is then descheduled makes the caller
/// wait for a whole time slice. When a call with helpers took longer than the caller alone would have
/// (estimated from the caller's own time per unit), the next calls run on the caller alone, for twice as many
/// calls each time this repeats (up to <see cref="MaxSerialStreak"/>); a call where helpers paid off resets
/// that. Which thread runs a unit never changes its result, so this changes only the speed.
/// </para>
/// </summary>
internal sealed class UnitDispatch
{
    /// <summary>Spins of the waiting caller before it blocks: a helper's last unit is usually about to finish.</summary>
    private const int SpinsBeforeBlocking = 50;

    /// <summary>Longest run of caller-only calls after helpers turned out slower than the caller alone.</summary>
    private const int MaxSerialStreak = 64;

    private static int s_serialCallsLeft;
    private static int s_serialStreak;

    private readonly Action<int> _body;
    private readonly int _count;
    private int _next;
    private int _unfinished;
    private Exception? _error;

    private UnitDispatch(Action<int> body, int count)
    {
        _body = body;
        _count = count;
        _unfinished = count;
    }

    public static void Run(Action<int> body, int count)
    {
        var dispatch = new UnitDispatch(body, count);
        int helpers = Math.Min(count, Environment.ProcessorCount) - 1;
        if (Volatile.Read(ref s_serialCallsLeft) > 0)
        {
            Interlocked.Decrement(ref s_serialCallsLeft);
            helpers = 0;
        }
        for (int h = 0; h < helpers; h++) Helpers.Post(dispatch);
        long start = Stopwatch.GetTimestamp();
        int own = dispatch.Drain();
        long drained = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref dispatch._unfinished) > 0)
        {
            var spin = new SpinWait();
            for (int i = 0; i < SpinsBeforeBlocking && Volatile.Read(ref dispatch._unfinished) > 0; i++) spin.SpinOnce(sleep1Threshold: -1);
            lock (dispatch)
            {
                while (Volatile.Read(ref dispatch._unfinished) > 0) Monitor.Wait(dispatch);
            }
        }
        if (helpers > 0 && own > 0) Judge(drained - start, Stopwatch.GetTimestamp() - start, own, count);
        // Rethrown only once no unit runs any more: the operands are pinned only until the caller returns.
        if (dispatch._error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>Did the helpers pay off? The caller alone would have taken about its time per unit times all units.</summary>
    private static void Judge(long ownTicks, long totalTicks, int ownUnits, int units)
    {
        if (ownUnits == units || totalTicks * ownUnits <= ownTicks * units)
        {
            // The caller did everything (no helper got a core in time, and nothing was waited for), or the
            // helpers made the call faster.
            if (ownUnits < units) Volatile.Write(ref s_serialStreak, 0);
            return;
        }
        int streak = Math.Clamp(2 * Volatile.Read(ref s_serialStreak), 1, MaxSerialStreak);
        Volatile.Write(ref s_serialStreak, streak);
        Volatile.Write(ref s_serialCallsLeft, streak);
    }

    /// <summary>Takes and runs units until none is left; returns how many this thread ran.</summary>
    private int Drain()
    {
        int unit, ran = 0;
        while ((unit = Interlocked.Increment(ref _next) - 1) < _count)
        {
            ran++;
            try
            {
                _body(unit);
            }
            catch (Exception e)
            {
                // Kept for the caller (an exception escaping a helper thread would end the process).
                Interlocked.CompareExchange(ref _error, e, null);
            }
            finally
            {
                if (Interlocked.Decrement(ref _unfinished) == 0)
                {
                    lock (this) Monitor.PulseAll(this);
                }
            }
        }
        return ran;
    }

    /// <summary>
    /// The helper threads: one per core but the caller's, started on first use, run for the life of the process
    /// (background threads). A helper that finds no work keeps looking for <see cref="SpinMicroseconds"/> before
    /// it sleeps: a training step issues dozens of parallel products and maps a few microseconds to a few hundred
    /// microseconds apart, and waking a sleeping thread for each costs tens of microseconds, which the thread pool's
    /// workers (which sleep almost at once) paid on nearly every call.
    /// </summary>
    private static class Helpers
    {
        private const int SpinMicroseconds = 200;

        private static readonly System.Collections.Concurrent.ConcurrentQueue<UnitDispatch> s_queue = new();
        private static readonly SemaphoreSlim s_wake = new(0);
        private static int s_sleepers;
        private static int s_started;

        public static void Post(UnitDispatch dispatch)
        {
            if (Volatile.Read(ref s_started) == 0) Start();
            s_queue.Enqueue(dispatch);
            // Enqueue before reading the sleeper count, as a helper counts itself before its last look at the queue:
            // one of the two always sees the other, so no work waits for a helper that went to sleep.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref s_sleepers) > 0) s_wake.Release();
        }

        private static void Start()
        {
            if (Interlocked.Exchange(ref s_started, 1) != 0) return;
            for (int i = 0; i < Environment.ProcessorCount - 1; i++)
                new Thread(Loop) { IsBackground = true, Name = $"Workbench compute {i + 1}" }.Start();
        }

        private static void Loop()
        {
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                if (s_queue.TryDequeue(out var dispatch))
                {
                    dispatch.Drain();
                    continue;
                }
                long idleSince = Stopwatch.GetTimestamp();
                while (s_queue.IsEmpty && Stopwatch.GetTimestamp() - idleSince < spinTicks) Thread.SpinWait(20);
                if (!s_queue.IsEmpty) continue;
                Interlocked.Increment(ref s_sleepers);
                if (s_queue.IsEmpty) s_wake.Wait();
                Interlocked.Decrement(ref s_sleepers);
            }
        }
    }
}
