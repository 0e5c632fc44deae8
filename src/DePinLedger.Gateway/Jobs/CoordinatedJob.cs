using System.Threading.Channels;
using DePinLedger.Inference.Commitments;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Gateway.Jobs;

/// <summary>Where a job is in this coordinator.</summary>
public enum JobPhase
{
    Queued,
    Running,
    Submitting,
    Submitted,
    Failed,
}

/// <summary>What a stream subscriber receives: each served token, then one final event.</summary>
public abstract record JobEvent;

/// <summary>Token <paramref name="Index"/> of the served replica (0 = the first generated one) and its text.</summary>
public sealed record TokenEvent(int Index, int Token, string Text) : JobEvent;

/// <summary>The job finished (submitted on-chain, or failed): its final state.</summary>
public sealed record FinalEvent(CoordinatedJob Job) : JobEvent;

/// <summary>
/// One job this coordinator runs: the on-chain request, the prompt, the tokens streamed so far, the replicas' results
/// and the submission. Thread-safe: the runner appends while any number of subscribers read.
/// </summary>
public sealed class CoordinatedJob(OnChainJob onChain, string promptText, int[] prompt, JobRoutes routes)
{
    private readonly Lock _lock = new();
    private readonly List<TokenEvent> _tokens = [];
    private readonly List<Channel<JobEvent>> _subscribers = [];

    public Bytes32 Id => OnChain.JobId;

    public OnChainJob OnChain { get; } = onChain;

    public string PromptText { get; } = promptText;

    public IReadOnlyList<int> Prompt { get; } = prompt;

    /// <summary>The pipelines the job runs on.</summary>
    public JobRoutes Routes { get; } = routes;

    public DateTimeOffset AcceptedAt { get; } = DateTimeOffset.UtcNow;

    public JobPhase Phase { get; private set; } = JobPhase.Queued;

    public string? Error { get; private set; }

    /// <summary>Replica 0 (served) and, for a verified job, replica 1.</summary>
    public IReadOnlyList<PipelineResult> Results { get; private set; } = [];

    public string? SubmissionTransaction { get; private set; }

    /// <summary>
    /// The first position whose committed leaves differ between the two replicas (the leaves the stages returned during
    /// the run, kept even when a worker is gone): where a bisection opens. Null when the trace roots agree or the job ran once.
    /// </summary>
    public int? FirstDifferingPosition(int layers)
    {
        IReadOnlyList<PipelineResult> results = Results;
        if (results.Count < 2 || results[0].TraceRoot == results[1].TraceRoot) return null;
        IReadOnlyList<Hash32> first = results[0].Leaves, second = results[1].Leaves;
        int common = Math.Min(first.Count, second.Count), index = 0;
        while (index < common && first[index] == second[index]) index++;
        return index / (layers + 2);
    }

    /// <summary>For a verified job whose replicas disagreed: the dispute the coordinator played (set after submission).</summary>
    public DisputeReport? Dispute { get; private set; }

    /// <summary>Completes once the job needs nothing more from the coordinator: submitted and, when disputed, resolved (a pending bisection: once the bisection job has resolved it).</summary>
    public Task Settled => _settled.Task;

    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Records the dispute's report. A pending bisection's report (the bisection job plays it on) is replaced by the
    /// verdict later; a verdict is never replaced. Returns whether <paramref name="report"/> was recorded.
    /// </summary>
    public bool Disputed(DisputeReport report)
    {
        lock (_lock)
        {
            if (Dispute is { Pending: false }) return false;
            Dispute = report;
            return true;
        }
    }

    /// <summary>Marks the job settled (after submission and any dispute, or after a failure).</summary>
    public void Settle() => _settled.TrySetResult();

    public IReadOnlyList<TokenEvent> Tokens
    {
        get { lock (_lock) return [.. _tokens]; }
    }

    public bool Finished => Phase is JobPhase.Submitted or JobPhase.Failed;

    public void Start() => Set(JobPhase.Running);

    public void AddToken(int token, string text)
    {
        lock (_lock)
        {
            var added = new TokenEvent(_tokens.Count, token, text);
            _tokens.Add(added);
            foreach (Channel<JobEvent> subscriber in _subscribers) subscriber.Writer.TryWrite(added);
        }
    }

    public void Computed(IReadOnlyList<PipelineResult> results)
    {
        Results = results;
        Set(JobPhase.Submitting);
    }

    public void Submitted(string transaction)
    {
        SubmissionTransaction = transaction;
        Finish(JobPhase.Submitted);
    }

    public void Fail(string error)
    {
        Error = error;
        Finish(JobPhase.Failed);
    }

    /// <summary>Every token so far, then the live ones, then the final event; completes when the job has finished.</summary>
    public ChannelReader<JobEvent> Subscribe()
    {
        var channel = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            foreach (TokenEvent token in _tokens) channel.Writer.TryWrite(token);
            if (Finished)
            {
                channel.Writer.TryWrite(new FinalEvent(this));
                channel.Writer.TryComplete();
            }
            else _subscribers.Add(channel);
        }
        return channel.Reader;
    }

    /// <summary>Stops sending to a subscriber that went away.</summary>
    public void Unsubscribe(ChannelReader<JobEvent> reader)
    {
        lock (_lock) _subscribers.RemoveAll(c => c.Reader == reader);
    }

    private void Set(JobPhase phase)
    {
        lock (_lock) Phase = phase;
    }

    private void Finish(JobPhase phase)
    {
        lock (_lock)
        {
            Phase = phase;
            foreach (Channel<JobEvent> subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(new FinalEvent(this));
                subscriber.Writer.TryComplete();
            }
            _subscribers.Clear();
        }
    }
}
