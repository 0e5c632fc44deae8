using System.Collections.Concurrent;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Hosting;
using DePinLedger.Worker.Traces;

namespace DePinLedger.Worker.Sessions;

/// <summary>
/// The node's state: the model span it serves, its key, the open sessions and the KV memory they hold (never more
/// than the budget), measured throughput, and the fault schedule.
/// </summary>
public sealed class WorkerNode(IntegerModel model, NodeKey key, WorkerOptions options, TraceStore traces)
{
    private readonly ConcurrentDictionary<string, StageSession> _sessions = new();
    private readonly Lock _budget = new();
    private long _kvUsed;
    private long _steps;
    private double _positionsPerSecond;

    public IntegerModel Model { get; } = model;

    public NodeKey Key { get; } = key;

    public WorkerOptions Options { get; } = options;

    public TraceStore Traces { get; } = traces;

    public long KvUsedBytes => Interlocked.Read(ref _kvUsed);

    public int OpenSessions => _sessions.Count;

    /// <summary>Positions through the whole span per second, an exponential mean over recent calls.</summary>
    public double PositionsPerSecond => Volatile.Read(ref _positionsPerSecond);

    /// <summary>Opens a session, or refuses it with <see cref="BudgetExceededException"/> when its KV cache does not fit.</summary>
    public StageSession Open(SessionSpec spec)
    {
        long bytes = StageSession.KvBytes(Model.Config, Options.LayerCount, spec.MaxPositions);
        lock (_budget)
        {
            if (_kvUsed + bytes > Options.KvBudgetBytes)
                throw new BudgetExceededException(
                    $"KV memory budget exceeded: the session needs {bytes} bytes ({spec.MaxPositions} positions × {Options.LayerCount} layers), " +
                    $"{_kvUsed} of {Options.KvBudgetBytes} bytes are held by {_sessions.Count} open sessions");
            _kvUsed += bytes;
        }
        try
        {
            var session = new StageSession(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), spec, Model, Options, Traces);
            _sessions[session.Id] = session;
            return session;
        }
        catch
        {
            Release(bytes);
            throw;
        }
    }

    public StageSession? Find(string id) => _sessions.GetValueOrDefault(id);

    /// <summary>Removes a session and frees its memory.</summary>
    public void Remove(StageSession session)
    {
        if (!_sessions.TryRemove(session.Id, out _)) return;
        Release(StageSession.KvBytes(Model.Config, Options.LayerCount, session.Spec.MaxPositions));
        session.Dispose();
    }

    /// <summary>Drops sessions idle for longer than the timeout.</summary>
    public int DropIdle(DateTime now)
    {
        int dropped = 0;
        foreach (StageSession session in _sessions.Values)
        {
            if (now - session.LastUsed < Options.SessionIdleTimeout || !session.Gate.Wait(0)) continue;
            try
            {
                Remove(session);
                dropped++;
            }
            finally
            {
                session.Gate.Release();
            }
        }
        return dropped;
    }

    /// <summary>Counts a Forward call (from 1) for the fault schedule.</summary>
    public long NextStep() => Interlocked.Increment(ref _steps);

    public void Measured(int positions, TimeSpan compute)
    {
        if (compute <= TimeSpan.Zero) return;
        double rate = positions / compute.TotalSeconds;
        double previous = Volatile.Read(ref _positionsPerSecond);
        Volatile.Write(ref _positionsPerSecond, previous == 0 ? rate : 0.9 * previous + 0.1 * rate);
    }

    private void Release(long bytes)
    {
        lock (_budget) _kvUsed -= bytes;
    }
}

/// <summary>A session that does not fit the KV memory budget: RESOURCE_EXHAUSTED.</summary>
public sealed class BudgetExceededException(string message) : Exception(message);
