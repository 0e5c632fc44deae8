using DePinLedger.Data;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Pipeline;

namespace DePinLedger.Gateway.Hosting;

/// <summary>Everything the coordinator is configured with.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>Address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (the host reports the bound address).</summary>
    public int Port { get; init; }

    /// <summary>
    /// A fixed pipeline for replica 0, the one served to clients; null = the scheduler chooses each job's pipelines from
    /// the node catalog (which needs <see cref="Database"/>).
    /// </summary>
    public IReadOnlyList<StageRoute>? ServedRoute { get; init; }

    /// <summary>The pipeline of replica 1 for verified jobs (no worker in common with the served one); null = verified jobs are refused.</summary>
    public IReadOnlyList<StageRoute>? CheckRoute { get; init; }

    /// <summary>
    /// The coordinator's database (migrated at start). With one, the coordinator also follows the chain into it (the
    /// indexer), takes the workers' signed heartbeats and serves the node list; null = neither.
    /// </summary>
    public DatabaseOptions? Database { get; init; }

    /// <summary>The served model's short name (e.g. stories260K), accepted as <c>model</c> in OpenAI-style requests besides its id.</summary>
    public string? ModelName { get; init; }

    /// <summary>Largest request body; larger requests get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Requests one client address may make per minute; more get 429.</summary>
    public int RequestsPerMinute { get; init; } = 120;

    /// <summary>Jobs computed at the same time; the rest wait in the queue.</summary>
    public int MaxConcurrentJobs { get; init; } = 4;

    /// <summary>Finished jobs kept in memory for GET /v1/jobs/{id} and their streams; the oldest finished go first.</summary>
    public int RetainedJobs { get; init; } = 10_000;

    /// <summary>Longest prompt accepted, in characters (the token limit is the model's context).</summary>
    public int MaxPromptCharacters { get; init; } = 16 * 1024;

    public PipelineOptions Pipeline { get; init; } = new();

    /// <summary>
    /// How often (with a database) the finalizer pays the stage operators of jobs whose challenge window has closed;
    /// it also runs at start-up and after each submission's window. A whole number of seconds dividing a minute,
    /// minutes dividing an hour, or hours dividing a day.
    /// </summary>
    public TimeSpan FinalizeInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often (with a database) the bisection job advances the disputes this coordinator opened by bisection: its
    /// moves, and the win once the defender's clock has run out. Far below the game's clock extension; a whole number of
    /// seconds dividing a minute (or minutes dividing an hour, hours dividing a day).
    /// </summary>
    public TimeSpan BisectionInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The shorter of the finalize and bisection intervals: how promptly Hangfire must pick their passes up.</summary>
    public TimeSpan ShortestPassInterval => FinalizeInterval < BisectionInterval ? FinalizeInterval : BisectionInterval;

    /// <summary>
    /// How long (with a database) a settled job stays in the coordinator's journal after its submission; the journal
    /// pruner deletes it after that (a job that can still be disputed is never deleted). Default: the workers' default
    /// trace retention, so an audit finds the journal as long as it finds the traces.
    /// </summary>
    public TimeSpan JournalRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often the dispute defender looks for moves to answer and timeouts to claim (far below the game's clock extension).</summary>
    public TimeSpan DefenderPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "a port is 0..65535");
        if (!System.Net.IPAddress.TryParse(Host, out _)) throw new ArgumentException($"the host must be an IP address, got '{Host}'");
        if (ServedRoute is null && Database is null) throw new ArgumentException("without fixed routes the scheduler routes jobs, which needs a database");
        if (ServedRoute is { Count: 0 }) throw new ArgumentException("the served route has no stages");
        if (CheckRoute is not null && ServedRoute is null) throw new ArgumentException("a check route needs a served route");
        if (CheckRoute is { Count: 0 }) throw new ArgumentException("the check route has no stages");
        if (MaxRequestBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), "at least 1 KiB");
        if (RequestsPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(RequestsPerMinute));
        if (MaxConcurrentJobs < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentJobs));
        if (MaxPromptCharacters < 1) throw new ArgumentOutOfRangeException(nameof(MaxPromptCharacters));
        if (RetainedJobs < 1) throw new ArgumentOutOfRangeException(nameof(RetainedJobs));
        if (JobFinalizer.TryCron(FinalizeInterval) is null)
            throw new ArgumentOutOfRangeException(nameof(FinalizeInterval), FinalizeInterval, "the finalize interval must be whole seconds dividing a minute, minutes dividing an hour, or hours dividing a day");
        if (JobFinalizer.TryCron(BisectionInterval) is null)
            throw new ArgumentOutOfRangeException(nameof(BisectionInterval), BisectionInterval, "the bisection interval must be whole seconds dividing a minute, minutes dividing an hour, or hours dividing a day");
        if (DefenderPollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DefenderPollInterval), "the defender must poll at a positive interval");
        if (JournalRetention < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(JournalRetention), "a retention cannot be negative");
    }
}
