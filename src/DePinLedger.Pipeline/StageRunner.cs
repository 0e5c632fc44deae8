using System.Diagnostics;
using DePinLedger.Worker.Contracts;
using Google.Protobuf;

namespace DePinLedger.Pipeline;

/// <summary>
/// One stage of a running job: the inputs it was given (kept for replay), the leaves it returned, its replicas, and the
/// step latency statistics that decide when a step is straggling.
/// </summary>
internal sealed class StageRunner : IDisposable
{
    private readonly List<StageReplica> _replicas;
    private readonly int[] _tokens;        // first stage: the token embedded at each position
    private readonly byte[] _hidden;       // other stages: the hidden vector received at each position (packed big-endian)
    private readonly byte[] _leaves;       // the stage's leaves, n per position
    private readonly Queue<double> _latencies = new();
    private double _computeMs;
    private int _computeSteps;
    private int _active;

    public StageRunner(int index, StageRoute route, PipelineJob job, PipelineOptions options, DataPathReachability dataPaths, int maxPositions, int layers, int dim, string modelId)
    {
        DataPaths = dataPaths;
        Index = index;
        Route = route;
        Job = job;
        Options = options;
        MaxPositions = maxPositions;
        Layers = layers;
        Dim = dim;
        ModelId = modelId;
        LeavesPerPosition = (route.LastLayer - route.FirstLayer + 1) + (IsFirst ? 1 : 0) + (IsLast ? 1 : 0);
        _tokens = IsFirst ? new int[maxPositions] : [];
        _hidden = IsFirst ? [] : new byte[(long)maxPositions * dim * 4];
        _leaves = new byte[(long)maxPositions * LeavesPerPosition * 32];
        _replicas = route.Endpoints.Select(e => new StageReplica(e, this)).ToList();
    }

    public int Index { get; }

    public StageRoute Route { get; }

    public PipelineJob Job { get; }

    public PipelineOptions Options { get; }

    public DataPathReachability DataPaths { get; }

    public int MaxPositions { get; }

    public int Layers { get; }

    public int Dim { get; }

    public string ModelId { get; }

    public bool IsFirst => Route.FirstLayer == 0;

    public bool IsLast => Route.LastLayer == Layers - 1;

    public int LeavesPerPosition { get; }

    public int Hedges { get; private set; }

    public int HedgeWins { get; private set; }

    public int Failovers { get; private set; }

    public StageReplica Active => _replicas[_active];

    public ReadOnlySpan<byte> Leaves(int positions) => _leaves.AsSpan(0, positions * LeavesPerPosition * 32);

    /// <summary>Keeps the inputs of positions [start, start + count) (tokens for the first stage, hidden bytes otherwise).</summary>
    public void Keep(int start, IReadOnlyList<int> tokens, ByteString hidden)
    {
        if (IsFirst) for (int i = 0; i < tokens.Count; i++) _tokens[start + i] = tokens[i];
        else hidden.Span.CopyTo(_hidden.AsSpan(start * Dim * 4));
    }

    /// <summary>
    /// Runs a step on the active replica. A step slower than mean + 2σ (and the floor) is also sent to another live
    /// replica, which first replays what it lacks; the first answer wins and its replica becomes the active one. A
    /// failing replica is replaced by the next live one, which replays the kept inputs from position 0.
    /// </summary>
    public async Task<ForwardReply> StepAsync(int start, int count, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            StageReplica primary = Active;
            Task<ForwardReply> first = primary.RunAsync(start, count, cancellation);
            try
            {
                (ForwardReply reply, StageReplica winner) = await RaceAsync(primary, first, start, count, cancellation);
                if (count == 1)
                {
                    Record(clock.Elapsed.TotalMilliseconds);
                    _computeMs += reply.ComputeMicros / 1000.0;
                    _computeSteps++;
                }
                Accept(start, count, reply, winner.Endpoint);
                return reply;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                if (cancellation.IsCancellationRequested) throw;
                int next = _replicas.FindIndex(r => !r.Dead);
                if (next < 0) throw new PipelineException($"stage {Index} (layers {Route.FirstLayer}-{Route.LastLayer}): no live worker left; last error: {e.Message}", e);
                Failovers++;
                _active = next;
            }
        }
    }

    private async Task<(ForwardReply, StageReplica)> RaceAsync(StageReplica primary, Task<ForwardReply> first, int start, int count, CancellationToken cancellation)
    {
        TimeSpan? threshold = HedgeThreshold();
        StageReplica? spare = threshold is null ? null : _replicas.FirstOrDefault(r => r != primary && !r.Dead);
        if (spare is null) return (await first, primary);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task delay = Task.Delay(threshold!.Value, timer.Token);
        if (await Task.WhenAny(first, delay) == first)
        {
            await timer.CancelAsync();
            return (await first, primary);
        }
        Hedges++;
        Task<ForwardReply> second = spare.RunAsync(start, count, cancellation);
        var pending = new List<Task<ForwardReply>> { first, second };
        while (pending.Count > 0)
        {
            Task<ForwardReply> done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                // The loser keeps running: it stays in step, so either replica can serve the next step.
                foreach (Task<ForwardReply> loser in pending) _ = loser.ContinueWith(t => t.Exception, TaskScheduler.Default);
                if (done == second)
                {
                    HedgeWins++;
                    _active = _replicas.IndexOf(spare);
                    return (done.Result, spare);
                }
                return (done.Result, primary);
            }
            if (pending.Count == 0) await done; // both failed: surface the error
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>max(mean + 2σ, floor) over the recent decode steps, or null before there are enough of them.</summary>
    public TimeSpan? HedgeThreshold()
    {
        if (!Options.Hedging || _latencies.Count < Options.HedgeMinSamples || _replicas.Count < 2) return null;
        (double mean, double sd) = MeanAndDeviation();
        return TimeSpan.FromMilliseconds(Math.Max(mean + 2 * sd, Options.HedgeFloor.TotalMilliseconds));
    }

    public StageStats Stats()
    {
        (double mean, double sd) = _latencies.Count > 0 ? MeanAndDeviation() : (0, 0);
        return new StageStats(Index, _latencies.Count, mean, sd, _computeSteps > 0 ? _computeMs / _computeSteps : 0, Hedges, HedgeWins, Failovers, Active.Endpoint,
            Active.UsesDataPath, Active.DataPathUnavailable);
    }

    private (double Mean, double Sd) MeanAndDeviation()
    {
        double mean = _latencies.Average();
        double variance = _latencies.Sum(x => (x - mean) * (x - mean)) / _latencies.Count;
        return (mean, Math.Sqrt(variance));
    }

    private void Record(double milliseconds)
    {
        _latencies.Enqueue(milliseconds);
        while (_latencies.Count > Options.HedgeWindow) _latencies.Dequeue();
    }

    /// <summary>Stores a step's leaves after checking their count.</summary>
    private void Accept(int start, int count, ForwardReply reply, Uri from)
    {
        CheckShape(count, reply, from);
        reply.Leaves.Span.CopyTo(_leaves.AsSpan(start * LeavesPerPosition * 32));
    }

    private void CheckShape(int count, ForwardReply reply, Uri from)
    {
        if (reply.Leaves.Length != count * LeavesPerPosition * 32)
            throw new PipelineException($"worker {from} returned {reply.Leaves.Length / 32} leaves for {count} positions; {count * LeavesPerPosition} expected");
        if (!IsLast && reply.Hidden.Length != count * Dim * 4)
            throw new PipelineException($"worker {from} returned {reply.Hidden.Length} hidden bytes for {count} positions");
    }

    /// <summary>A replay must reproduce the recorded leaves bit for bit (and, on the last stage, the sampled tokens).</summary>
    public void CheckReplay(int start, int count, ForwardReply reply, Uri from)
    {
        CheckShape(count, reply, from);
        if (!reply.Leaves.Span.SequenceEqual(_leaves.AsSpan(start * LeavesPerPosition * 32, count * LeavesPerPosition * 32)))
            throw new PipelineException($"worker {from} replayed positions {start}..{start + count - 1} of stage {Index} to different leaves");
    }

    /// <summary>The largest reply a Forward of <paramref name="count"/> positions can be: hidden vectors, leaves, a token and a time.</summary>
    public int MaxReplyBytes(int count) => checked(count * (Dim * 4 + LeavesPerPosition * 32) + 1024);

    /// <summary>How many kept positions from <paramref name="start"/> one replay call may carry.</summary>
    public int ReplayChunk(int start, int remaining)
    {
        int chunk = Math.Min(remaining, Options.MaxBatch);
        if (!IsLast) return chunk;
        // The head samples only at a batch's last position: positions that sampled replay one at a time.
        int forcedUntil = Job.Prompt.Count - 1; // positions < P − 1 have forced head leaves
        return start < forcedUntil ? Math.Min(chunk, forcedUntil - start + 1) : 1;
    }

    /// <summary>The Forward request for kept positions [start, start + count).</summary>
    public ForwardRequest BuildRequest(int start, int count)
    {
        var request = new ForwardRequest { StartPosition = start, Count = count };
        if (IsFirst) request.Tokens.Add(_tokens.AsSpan(start, count).ToArray());
        else request.Hidden = ByteString.CopyFrom(_hidden.AsSpan(start * Dim * 4, count * Dim * 4));
        if (IsLast)
        {
            int prompt = Job.Prompt.Count;
            for (int t = start; t < start + count && t < prompt - 1; t++) request.ForcedNext.Add(Job.Prompt[t + 1]);
        }
        return request;
    }

    public void CheckInfo(InfoReply info, Uri from)
    {
        if (info.FirstLayer != Route.FirstLayer || info.EndLayer != Route.LastLayer + 1 || info.Layers != Layers || info.Dim != Dim || info.ModelId != ModelId)
            throw new PipelineException($"worker {from} serves layers {info.FirstLayer}-{info.EndLayer - 1} of model {info.ModelId}, not layers {Route.FirstLayer}-{Route.LastLayer} of {ModelId}");
    }

    public IEnumerable<StageReplica> Others => _replicas.Where(r => r != Active);

    public void Dispose()
    {
        foreach (StageReplica replica in _replicas) replica.Dispose();
    }
}
