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
/// </summary>
internal sealed class ParallelRunner : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private IParallelJob? _job;
    private int _parts;
    private volatile bool _stopping;

    public ParallelRunner(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _start = new SemaphoreSlim[threads - 1];
        _done = new CountdownEvent(1);
        for (int i = 0; i < _workers.Length; i++)
        {
            int part = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _workers[i] = new Thread(() => WorkerLoop(part)) { IsBackground = true, Name = $"depin-kernel-{part}" };
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
        _done.Reset(parts - 1);
        for (int i = 0; i < parts - 1; i++) _start[i].Release();
        Exception? failure = null;
        try
        {
            job.Execute(0, parts);
        }
        catch (Exception e)
        {
            failure = e;
        }
        _done.Wait();
        _job = null;
        if (failure is not null) throw failure;
        if (_workerFailure is { } workerFailure)
        {
            _workerFailure = null;
            throw new AggregateException("a kernel worker failed", workerFailure);
        }
    }

    private Exception? _workerFailure;

    private void WorkerLoop(int part)
    {
        SemaphoreSlim start = _start[part - 1];
        while (true)
        {
            start.Wait();
            if (_stopping) return;
            try
            {
                _job!.Execute(part, _parts);
            }
            catch (Exception e)
            {
                _workerFailure = e;
            }
            finally
            {
                _done.Signal();
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (SemaphoreSlim s in _start) s.Release();
        foreach (Thread t in _workers) t.Join();
        foreach (SemaphoreSlim s in _start) s.Dispose();
        _done.Dispose();
    }
}
