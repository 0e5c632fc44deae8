namespace DePinLedger.Inference.Engine;

/// <summary>A unit of work split into parts; the same part index always covers the same data.</summary>
internal interface IParallelJob
{
    void Execute(int part, int parts);
}

/// <summary>
/// A fixed set of worker threads that run the parts of a job; the caller runs part 0. Workers spin
/// briefly between jobs (a decode step issues one job per matrix product, microseconds apart) and
/// sleep on a semaphore when idle. Nothing is allocated per job, which keeps the decode loop
/// allocation-free. How work is split never changes results: each output is computed whole by one thread.
/// </summary>
internal sealed class ParallelRunner : IDisposable
{
    // Spin iterations (each Thread.SpinWait(SpinUnit)) before an idle worker goes to sleep: ~50 µs.
    private const int SpinIterations = 2000, SpinUnit = 20;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private IParallelJob? _job;
    private int _parts;
    private int _generation;
    private int _pending;
    private volatile bool _stopping;
    private Exception? _workerFailure;

    public ParallelRunner(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int worker = i;
            _wake[i] = new SemaphoreSlim(0);
            _workers[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"depin-kernel-{i + 1}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs <paramref name="job"/> on min(parts, Threads) threads and waits for all of them.</summary>
    public void Run(IParallelJob job, int parts)
    {
        parts = Math.Clamp(parts, 1, Threads);
        if (parts == 1)
        {
            job.Execute(0, 1);
            return;
        }
        _job = job;
        _parts = parts;
        Volatile.Write(ref _pending, parts - 1);
        Interlocked.Increment(ref _generation);
        for (int i = 0; i < parts - 1; i++)
            if (Volatile.Read(ref _sleeping[i]) == 1) _wake[i].Release();

        Exception? failure = null;
        try
        {
            job.Execute(0, parts);
        }
        catch (Exception e)
        {
            failure = e;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        _job = null;
        if (failure is not null) throw failure;
        if (Interlocked.Exchange(ref _workerFailure, null) is { } workerFailure)
            throw new AggregateException("a kernel worker failed", workerFailure);
    }

    private void WorkerLoop(int worker)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_stopping)
            {
                if (spins++ < SpinIterations)
                {
                    Thread.SpinWait(SpinUnit);
                    continue;
                }
                // Announce sleep, then re-check: Run either sees the flag and wakes us, or we see its new generation.
                Volatile.Write(ref _sleeping[worker], 1);
                if (Volatile.Read(ref _generation) == seen && !_stopping) _wake[worker].Wait();
                Volatile.Write(ref _sleeping[worker], 0);
                spins = 0;
            }
            if (_stopping) return;
            seen = Volatile.Read(ref _generation);
            int part = worker + 1;
            if (part >= _parts) continue; // not needed for this job
            try
            {
                _job!.Execute(part, _parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _workerFailure, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (SemaphoreSlim s in _wake) s.Release();
        foreach (Thread t in _workers) t.Join();
        foreach (SemaphoreSlim s in _wake) s.Dispose();
    }
}
