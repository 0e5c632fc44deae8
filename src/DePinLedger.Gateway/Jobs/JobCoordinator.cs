using System.Collections.Concurrent;
using System.Threading.Channels;
using DePinLedger.Chain.Errors;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Telemetry;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Gateway.Jobs;

/// <summary>A request the coordinator refuses: an HTTP status (4xx, or 503 when it lacks capacity) and why.</summary>
public sealed class JobRefusedException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}

/// <summary>
/// Accepts jobs that were created and paid on-chain once their prompt matches the on-chain prompt hash, runs them
/// through the pipelines the planner chooses (replica 0 served and streamed; replica 1 too for a verified job), then submits the signed
/// results to JobMarket. Jobs run in the background, at most <see cref="CoordinatorOptions.MaxConcurrentJobs"/> at once.
/// </summary>
public sealed class JobCoordinator(
    IntegerModel model, CoordinatorOptions options, OnChainJobReader chainJobs, ResultSubmitter submitter, ChainIdentity chain, IRoutePlanner planner,
    DisputeWatcher disputes, FinalizationSchedule finalization, CoordinatorJournal journal, GatewayMetrics metrics, ILogger<JobCoordinator> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<Bytes32, CoordinatedJob> _jobs = new();
    private readonly Channel<CoordinatedJob> _queue = Channel.CreateUnbounded<CoordinatedJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PipelineRunner _runner = new(options.Pipeline);
    private readonly Bytes32 _modelId = new(model.ModelId.AsSpan());

    public CoordinatedJob? Find(Bytes32 jobId) => _jobs.GetValueOrDefault(jobId);

    /// <summary>The served model's id (ModelRegistry key).</summary>
    public Bytes32 ModelId => _modelId;

    /// <summary>The served model's short name (e.g. stories260K), when configured; OpenAI-style requests may name it.</summary>
    public string? ModelName => options.ModelName;

    /// <summary>Checks a job against the chain and queues it; throws <see cref="JobRefusedException"/> when it cannot run.</summary>
    public async Task<CoordinatedJob> AcceptAsync(Bytes32 jobId, string promptText, CancellationToken cancellation)
    {
        if (_jobs.ContainsKey(jobId)) throw new JobRefusedException(StatusCodes.Status409Conflict, "Job already accepted", $"job {jobId} was already posted to this coordinator");
        OnChainJob job = await chainJobs.ReadAsync(jobId, cancellation)
            ?? throw new JobRefusedException(StatusCodes.Status404NotFound, "Unknown job", $"JobMarket has no job {jobId}: create and pay it on-chain first");
        if (job.Status != OnChainStatus.Open)
            throw new JobRefusedException(StatusCodes.Status409Conflict, "Job not open", $"job {jobId} is {job.Status.ToString().ToLowerInvariant()}, not open");
        if (job.Deadline <= DateTimeOffset.UtcNow)
            throw new JobRefusedException(StatusCodes.Status409Conflict, "Job expired", $"job {jobId} passed its deadline {job.Deadline:u}");
        int[] prompt = CheckRequest(jobId, job.Request, promptText);
        JobRoutes routes = await planner.PlanAsync(job, prompt.Length, cancellation);

        var accepted = new CoordinatedJob(job, promptText, prompt, routes);
        ForgetOldestFinished();
        if (!_jobs.TryAdd(jobId, accepted)) throw new JobRefusedException(StatusCodes.Status409Conflict, "Job already accepted", $"job {jobId} was already posted to this coordinator");
        metrics.Queued(); // before the runner can start it
        await _queue.Writer.WriteAsync(accepted, cancellation);
        return accepted;
    }

    /// <summary>
    /// Checks a request against what this coordinator serves: its model, and the prompt's tokens against the prompt hash
    /// (422 otherwise). Returns the prompt's tokens. Voucher-paid requests are checked here before the job is created.
    /// </summary>
    public int[] CheckRequest(Bytes32 jobId, JobRequest request, string promptText)
    {
        if (request.ModelId != _modelId)
            throw new JobRefusedException(StatusCodes.Status422UnprocessableEntity, "Other model", $"job {jobId} is for model {request.ModelId}; this coordinator serves {_modelId}");
        int[] prompt = model.Tokenizer.Encode(promptText, bos: true, eos: false);
        Bytes32 promptHash = JobConventions.PromptHash(prompt);
        if (promptHash != request.PromptHash)
            throw new JobRefusedException(StatusCodes.Status422UnprocessableEntity, "Prompt mismatch",
                $"the prompt's tokens hash to {promptHash}, but job {jobId} committed to {request.PromptHash}");
        if (prompt.Length >= model.Config.SeqLen)
            throw new JobRefusedException(StatusCodes.Status422UnprocessableEntity, "Prompt too long", $"the prompt has {prompt.Length} tokens; the context holds {model.Config.SeqLen}");
        return prompt;
    }

    /// <summary>Keeps memory bounded: beyond the retention limit, the oldest finished jobs are dropped (their results are on-chain).</summary>
    private void ForgetOldestFinished()
    {
        int excess = _jobs.Count - options.RetainedJobs + 1;
        if (excess <= 0) return;
        foreach (CoordinatedJob old in _jobs.Values.Where(j => j.Finished).OrderBy(j => j.AcceptedAt).Take(excess).ToList())
            _jobs.TryRemove(old.Id, out _);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(options.MaxConcurrentJobs);
        var running = new List<Task>();
        try
        {
            await foreach (CoordinatedJob job in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await slots.WaitAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await RunAsync(job, stoppingToken);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: running jobs see the same token.
        }
        await Task.WhenAll(running);
    }

    private async Task RunAsync(CoordinatedJob job, CancellationToken cancellation)
    {
        job.Start();
        metrics.Started();
        JobRequest request = job.OnChain.Request;
        var sampling = new SamplingParams(JobConventions.TemperatureMilli(request), JobConventions.TopPMilli(request), new Hash32(JobConventions.Seed(request).Span));
        var pipelineJob = new PipelineJob(new Hash32(job.Id.Span), 0, job.Prompt, (int)Math.Min(request.MaxTokens, int.MaxValue), sampling, chain.ChainId, chain.JobMarket);
        int previous = job.Prompt[^1]; // a piece's leading space is kept after any token but BOS
        bool first = true;
        void OnToken(int token)
        {
            job.AddToken(token, token is Tokenizer.Bos or Tokenizer.Eos ? "" : model.Tokenizer.Decode(previous, token));
            metrics.TokenServed(job, first);
            first = false;
            previous = token;
        }
        try
        {
            IReadOnlyList<PipelineResult> results = request.Replicas == 2
                ? await RunVerifiedAsync(job.Routes, pipelineJob, OnToken, cancellation)
                : [await _runner.RunAsync(job.Routes.Served, pipelineJob, OnToken, cancellation)];
            job.Computed(results);
            // Journaled before the result goes on-chain: a restarted coordinator can still defend or dispute every result it submitted.
            await journal.RecordAsync(job, job.FirstDifferingPosition(model.Config.Layers), cancellation);
            string transaction = await submitter.SubmitAsync(job.Id, results, cancellation);
            job.Submitted(transaction);
            finalization.AfterWindow();
            GatewayLog.JobSubmitted(logger, job.Id.ToString(), results[0].OutputTokens.Count, transaction);
            // A pending bisection frees the job's slot here; the bisection job records the verdict and settles the job.
            if (await disputes.CheckAsync(job, cancellation) is { } dispute && job.Disputed(dispute) && !dispute.Pending) metrics.Disputed(dispute);
            // Checked: a restarted coordinator must not dispute it again (DisputeCatchUp takes only unchecked disagreements).
            await journal.MarkDisputeCheckedAsync(job.Id, cancellation);
        }
        catch (Exception e) when (e is PipelineException or ChainException or ArgumentException or Grpc.Core.RpcException or HttpRequestException or InvalidDataException
                                     or Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException)
        {
            job.Fail(e.Message);
            GatewayLog.JobFailed(logger, job.Id.ToString(), e.Message);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            job.Fail("the coordinator shut down before the job finished");
        }
        finally
        {
            if (job.Dispute is not { Pending: true }) job.Settle();
            metrics.Settled();
        }
    }

    private async Task<IReadOnlyList<PipelineResult>> RunVerifiedAsync(JobRoutes routes, PipelineJob job, Action<int> onToken, CancellationToken cancellation)
    {
        (PipelineResult served, PipelineResult check) = await _runner.RunVerifiedAsync(routes.Served, routes.Check!, job, onToken, cancellation);
        return [served, check];
    }
}

/// <summary>The chain and JobMarket the coordinator serves (the receipts' EIP-712 domain).</summary>
public sealed record ChainIdentity(ulong ChainId, string JobMarket);
