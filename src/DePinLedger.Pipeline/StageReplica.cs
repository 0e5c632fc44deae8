using DePinLedger.Worker.Contracts;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DePinLedger.Pipeline;

/// <summary>
/// One worker serving a stage's span for this job: its channel, its session, and how many positions it holds. Calls
/// on it are serialized; before it runs a step it replays the stage's kept inputs it has not seen (a replacement after
/// a failure, or a replica brought in to hedge), so that its KV cache is exactly the one the step needs.
/// </summary>
internal sealed class StageReplica(Uri endpoint, StageRunner stage) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _abandon = new();
    private Worker.Contracts.Worker.WorkerClient? _client;
    private DataPathConnection? _dataPath;
    private string? _session;

    public Uri Endpoint { get; } = endpoint;

    public bool Dead { get; private set; }

    /// <summary>Positions this replica's session holds.</summary>
    public int Length { get; private set; }

    public bool HasSession => _session is not null;

    /// <summary>Whether Forward calls go over the worker's direct data path (false: gRPC).</summary>
    public bool UsesDataPath => _dataPath is not null;

    /// <summary>Why the data path is not used although the worker offers it (it could not be reached), or null.</summary>
    public string? DataPathUnavailable { get; private set; }

    /// <summary>Runs positions [start, start + count) here, first replaying whatever it lacks; a failure marks it dead.</summary>
    public async Task<ForwardReply> RunAsync(int start, int count, CancellationToken cancellation)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _abandon.Token);
        await _gate.WaitAsync(linked.Token);
        try
        {
            if (Dead) throw new PipelineException($"worker {Endpoint} is down");
            if (_session is null) await OpenAsync(linked.Token);
            if (Length > start) throw new PipelineException($"worker {Endpoint} already holds position {start}");
            while (Length < start)
            {
                int chunk = stage.ReplayChunk(Length, start - Length);
                ForwardReply replay = await ForwardAsync(Length, chunk, linked.Token);
                stage.CheckReplay(Length, chunk, replay, Endpoint);
                Length += chunk;
            }
            ForwardReply reply = await ForwardAsync(start, count, linked.Token);
            Length += count;
            return reply;
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException or PipelineException && !cancellation.IsCancellationRequested)
        {
            Dead = true;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the session and returns the signed receipt.</summary>
    public async Task<CloseSessionReply> CloseAsync(CancellationToken cancellation)
    {
        await _gate.WaitAsync(cancellation);
        try
        {
            var reply = await Client.CloseSessionAsync(new CloseSessionRequest { SessionId = _session }, deadline: Deadline(), cancellationToken: cancellation);
            _session = null;
            return reply;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops waiting on this replica (a hedge that lost, a slow node) and frees its session, best effort.</summary>
    public async Task AbandonAsync()
    {
        await _abandon.CancelAsync();
        if (_session is null || Dead) return;
        try
        {
            await Client.CloseSessionAsync(new CloseSessionRequest { SessionId = _session }, deadline: DateTime.UtcNow.AddSeconds(5));
        }
        catch (RpcException)
        {
            // Best effort: an abandoned session also expires on the worker.
        }
    }

    public async Task<InfoReply> InfoAsync(CancellationToken cancellation) =>
        await Client.InfoAsync(new InfoRequest(), deadline: Deadline(), cancellationToken: cancellation);

    private Worker.Contracts.Worker.WorkerClient Client => _client ??= new Worker.Contracts.Worker.WorkerClient(_channel);

    private DateTime Deadline() => DateTime.UtcNow + stage.Options.CallTimeout;

    private async Task OpenAsync(CancellationToken cancellation)
    {
        InfoReply info = await InfoAsync(cancellation);
        stage.CheckInfo(info, Endpoint);
        PipelineJob job = stage.Job;
        OpenSessionReply opened = await Client.OpenSessionAsync(new OpenSessionRequest
        {
            JobId = ByteString.CopyFrom(job.JobId.AsSpan()),
            Replica = job.Replica,
            Stage = (uint)stage.Index,
            MaxPositions = stage.MaxPositions,
            TemperatureMilli = job.Sampling.TemperatureMilli,
            TopPMilli = job.Sampling.TopPMilli,
            Seed = ByteString.CopyFrom(job.Sampling.Seed.AsSpan()),
            ChainId = job.ChainId,
            JobMarket = job.JobMarket,
        }, deadline: Deadline(), cancellationToken: cancellation);
        _session = opened.SessionId;
        Length = 0;
        if (stage.Options.DirectDataPath && info.DataPort > 0 && _dataPath is null)
        {
            string host = Endpoint.IdnHost; // an IPv6 literal without its brackets
            if (!stage.DataPaths.ShouldTry(host, info.DataPort))
            {
                DataPathUnavailable ??= $"port {info.DataPort} was unreachable recently; retried after {stage.Options.DataPathRetryAfter.TotalMinutes:F0} min";
                return;
            }
            try
            {
                _dataPath = await DataPathConnection.ConnectAsync(host, info.DataPort, stage.Options.DataPathConnectTimeout, cancellation);
                stage.DataPaths.Reached(host, info.DataPort);
                DataPathUnavailable = null;
            }
            catch (IOException e)
            {
                // A firewall or a port mapping that only forwards gRPC: the job still runs, a little slower per hop.
                stage.DataPaths.Failed(host, info.DataPort);
                DataPathUnavailable = e.Message;
            }
        }
    }

    private async Task<ForwardReply> ForwardAsync(int start, int count, CancellationToken cancellation)
    {
        ForwardRequest request = stage.BuildRequest(start, count);
        request.SessionId = _session;
        if (_dataPath is null) return await Client.ForwardAsync(request, deadline: Deadline(), cancellationToken: cancellation);
        try
        {
            return await _dataPath.ForwardAsync(request, stage.MaxReplyBytes(count), stage.Options.CallTimeout, cancellation);
        }
        catch (Exception e) when (e is not RpcException)
        {
            // Cut off mid-call, the connection's position in its stream is unknown: never reuse it.
            _dataPath.Dispose();
            _dataPath = null;
            throw;
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _dataPath?.Dispose();
        _abandon.Dispose();
    }
}
