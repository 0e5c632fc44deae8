using System.Diagnostics;

namespace DePinLedger.Inference.Engine;

/// <summary>A unit of work split into parts; the same part index always covers the same data.</summary>
internal interface IParallelJob
{
    void Execute(int part, int parts);
}

/// <summary>
/// A fixed set of worker threads that run the parts of a job; the caller runs part 0. Unlike
/// Parallel.For it allocates nothing per call, which keeps the decode loop allocation-free. How work
/// is split never changes results: each output element is computed whole by one thread.
/// <para>
/// A decode step hands work to the threads five times per block, tens of microseconds apart, so a
/// kernel-level wake-up per hand-off (a semaphore) costs as much as the arithmetic on many cores.
/// Idle workers therefore spin on a published generation number for <see cref="SpinBudget"/> before
/// they block; the caller spins on the count of parts still running. A call publishes the pair
/// (generation, parts) in one 64-bit word, so a worker never mixes one call's part count with
/// another's job.
/// </para>
/// </summary>
internal sealed class ParallelRunner : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps (longer than the gaps inside a decode step).</summary>
    private static readonly long SpinBudget = Stopwatch.Frequency / 5000; // 200 µs

    private readonly Thread[] _workers;
    private readonly object _sleep = new(); // a monitor: sleepers wait on it
    private long _state;          // generation << 16 | parts of the current call
    private int _pending;         // parts of the current call not finished yet (the caller's excluded)
    private int _sleepers;
    private IParallelJob? _job;
    private Exception? _workerFailure;
    private volatile bool _stopping;

    public ParallelRunner(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, ushort.MaxValue);
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int part = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(part)) { IsBackground = true, Name = $"depin-kernel-{part}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>When set, parallel calls are timed into <see cref="Profile"/> (benchmarks only: three clock reads per call).</summary>
    internal bool Profiling { get; set; }

    /// <summary>Time spent in parallel calls, and in those the time the caller waited for the last part after its own.</summary>
    internal (long Calls, TimeSpan Total, TimeSpan WaitingForLast) Profile => (_profiledCalls, Stopwatch.GetElapsedTime(0, _profiledTicks), Stopwatch.GetElapsedTime(0, _waitTicks));

    private long _profiledCalls, _profiledTicks, _waitTicks;

    internal void ResetProfile() => (_profiledCalls, _profiledTicks, _waitTicks) = (0, 0, 0);

    /// <summary>Runs <paramref name="job"/> on min(parts, Threads) threads and waits for all of them.</summary>
    public void Run(IParallelJob job, int parts)
    {
        parts = Math.Clamp(parts, 1, Threads);
        if (parts == 1)
        {
            job.Execute(0, 1);
            return;
        }
        long started = Profiling ? Stopwatch.GetTimestamp() : 0;
        _job = job;
        Volatile.Write(ref _pending, parts - 1);
        long generation = (Volatile.Read(ref _state) >> 16) + 1;
        Interlocked.Exchange(ref _state, generation << 16 | (long)parts); // full fence: job and count are visible first
        if (Volatile.Read(ref _sleepers) > 0) Wake();
        Exception? failure = null;
        try
        {
            job.Execute(0, parts);
        }
        catch (Exception e)
        {
            failure = e;
        }
        long ownDone = Profiling ? Stopwatch.GetTimestamp() : 0;
        var spinner = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (Profiling)
        {
            long now = Stopwatch.GetTimestamp();
            _profiledCalls++;
            _profiledTicks += now - started;
            _waitTicks += now - ownDone;
        }
        if (failure is not null) throw failure;
        if (_workerFailure is { } workerFailure)
        {
            _workerFailure = null;
            throw new AggregateException("a kernel worker failed", workerFailure);
        }
    }

    private void Wake()
    {
        lock (_sleep) Monitor.PulseAll(_sleep);
    }

    private void WorkerLoop(int part)
    {
        long seen = 0;
        while (true)
        {
            long state = AwaitNext(seen);
            if (_stopping) return;
            seen = state >> 16;
            // Only a participant reads the job: the next call cannot be published before it has finished this one.
            if (part >= (int)(state & 0xFFFF)) continue;
            try
            {
                _job!.Execute(part, (int)(state & 0xFFFF));
            }
            catch (Exception e)
            {
                _workerFailure = e;
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    /// <summary>Spins, then sleeps, until a call newer than <paramref name="seen"/> is published (or the runner stops).</summary>
    private long AwaitNext(long seen)
    {
        long started = Stopwatch.GetTimestamp();
        var spinner = new SpinWait();
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if (state >> 16 != seen || _stopping) return state;
            if (Stopwatch.GetTimestamp() - started < SpinBudget)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            lock (_sleep)
            {
                // Announce the sleep before the last look (both are full fences), so Run either sees the sleeper or we see its call.
                Interlocked.Increment(ref _sleepers);
                while (Volatile.Read(ref _state) >> 16 == seen && !_stopping) Monitor.Wait(_sleep);
                Interlocked.Decrement(ref _sleepers);
            }
            started = Stopwatch.GetTimestamp();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        foreach (Thread t in _workers) t.Join();
    }
}
