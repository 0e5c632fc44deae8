using System.Diagnostics;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Transactions;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.Output;
using DePinLedger.Data;
using DePinLedger.Disputes.Client;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Protocol.Tokens;
using DePinLedger.Scheduler.Planning;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Web3.Accounts;
using Jobs = DePinLedger.Chain.Contracts.Jobs;
using RefundReason = DePinLedger.Data.Jobs.RefundReason;

namespace DePinLedger.Cli.Devnet;

/// <summary>What the devnet is started with.</summary>
internal sealed record DevnetSettings(IntegerModel Model, string ModelArgument, string Anvil, string Artifacts, string WorkDirectory, int Jobs, int MaxTokens, bool Fault)
{
    /// <summary>A running chain to use instead of starting anvil (its funded accounts must be the devnet mnemonic's); null = start anvil.</summary>
    public Uri? Rpc { get; init; }

    /// <summary>The coordinator's database; null = a SQLite file in the work directory.</summary>
    public DatabaseOptions? Database { get; init; }

    /// <summary>
    /// JobMarket's challenge window. Disputes must open inside it (the coordinator opens them seconds after the
    /// submission), and StakeManager's unbonding delay (14 days) stays longer than it plus the longest dispute (7 days).
    /// </summary>
    public int ChallengeWindowSeconds { get; init; } = DefaultChallengeWindowSeconds;

    public const int DefaultChallengeWindowSeconds = 30;
}

/// <summary>What one operator was paid, read from the chain: the StagePaid events of its nodes and its JobMarket credit.</summary>
internal sealed record DevnetPayout(string Operator, IReadOnlyList<string> Nodes, int StagesPaid, BigInteger Paid, BigInteger Credit);

/// <summary>A refunded job, from its JobRefunded event.</summary>
internal sealed record DevnetRefund(Bytes32 JobId, string Client, BigInteger Amount, string Reason);

/// <summary>How the jobs were settled on-chain once their challenge windows closed.</summary>
internal sealed record DevnetSettlement(int Jobs, int Finalized, int Refunded, int NeverSubmitted, IReadOnlyList<DevnetPayout> Payouts, IReadOnlyList<DevnetRefund> Refunds, BigInteger TreasuryCredit);

/// <summary>One job the devnet's client ran.</summary>
internal sealed record DevnetJob(Bytes32 JobId, string Prompt, int Replicas, string Status, int Tokens, string Text, string? Divergence, string? Error)
{
    /// <summary>How the dispute over a disagreeing verified job went (null when there was none).</summary>
    public string? Dispute { get; init; }
}

/// <summary>What the load run measured.</summary>
internal sealed record LoadReport(int Clients, int Completed, int Errors, int Tokens, TimeSpan Elapsed, double FirstTokenP50Ms, double FirstTokenP95Ms, string? FirstError)
{
    public double TokensPerSecond => Tokens / Elapsed.TotalSeconds;
}

/// <summary>A registered node at the end of the run.</summary>
internal sealed record DevnetNode(string Node, string Operator, string Span, ushort Region, bool Faulty, BigInteger Stake)
{
    /// <summary>The coordinator's reputation score (GET /v1/nodes); null until the recompute job has scored the node.</summary>
    public double? Reputation { get; init; }
}

/// <summary>
/// The one-machine network: anvil, the contracts, the model registered, six operators each staking one node, six
/// workers (two per span of three; with <see cref="DevnetSettings.Fault"/> one of them adds noise), the coordinator in
/// this process (SQLite; its scheduler routes each job from the indexed, heartbeating nodes), and a client paying for
/// jobs (every second one verified on two operator-disjoint pipelines) and streaming them.
/// Everything it starts is stopped when it is disposed.
/// </summary>
internal sealed class DevnetRunner(DevnetSettings settings, Action<string> report) : IAsyncDisposable
{
    /// <summary>Anvil's and the devnet's mnemonic: well known, for local use only.</summary>
    public const string Mnemonic = "test test test test test test test test test test test junk";

    private const string NodePassphrase = "devnet node key";

    /// <summary>Funded accounts: 0 deployer, 1-6 operators, 9 submitter, 10 the client, 20 and up the load clients.</summary>
    public const int Accounts = 20 + MaxLoadClients;

    public const int MaxLoadClients = 200;
    private static readonly BigInteger Token = BigInteger.Pow(10, 18);
    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Lily wanted to", "One day, a cat", "Tom and Sue went", "The sun was"];

    private readonly List<ChildProcess> _children = [];
    private readonly HdWallet _wallet = HdWallet.Import(Mnemonic);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private WebApplication? _coordinator;
    private DeploymentFile _deployment = null!;
    private Uri _rpc = null!;
    private Uri? _heartbeats;

    public Uri? CoordinatorAddress { get; private set; }

    public Uri Rpc => _rpc;

    public IReadOnlyList<DevnetNode> Nodes { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellation)
    {
        if (settings.Rpc is { } rpc)
        {
            _rpc = rpc;
            Say($"using the chain at {_rpc}");
        }
        else
        {
            int anvilPort = ChildProcess.FreePort();
            (ChildProcess anvil, _) = await ChildProcess.StartAsync("anvil", settings.Anvil,
                ["--host", "127.0.0.1", "--port", anvilPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--accounts", Accounts.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mnemonic", Mnemonic,
                 // Transactions mine at once, and an empty block follows every second, so the indexer's confirmations arrive while nobody sends.
                 "--block-time", "1", "--mixed-mining"],
                "Listening on ", TimeSpan.FromSeconds(30), cancellation);
            _children.Add(anvil);
            _rpc = new Uri($"http://127.0.0.1:{anvilPort}");
            Say($"anvil listening on {_rpc} (pid {anvil.Pid})");
        }

        var deployer = new Account(_wallet.PrivateKey(0), 31337);
        ChainConnection chain = await ChainConnection.ConnectAsync(new ChainOptions { Rpc = _rpc }, deployer, cancellation);
        _deployment = await ContractDeployer.DeployAsync(chain, deployer.Address, settings.Artifacts,
            new DeploymentSettings { ChallengeWindow = (ulong)settings.ChallengeWindowSeconds, DeployDisputeGame = true }, cancellation);
        _deployment.Save(Path.Combine(settings.WorkDirectory, "deployment.json"));
        Say($"contracts deployed: JobMarket {_deployment.JobMarket}, StakeManager {_deployment.StakeManager}, DisputeGame {_deployment.DisputeGame}; challenge window {settings.ChallengeWindowSeconds} s");
        TransactionSender owner = await SenderAsync(0, cancellation);
        await ModelRegistration.RegisterAsync(owner, _deployment, settings.Model, _deployment.StepVerifier, "devnet", cancellation);
        Say($"model {settings.Model.ModelId} registered ({settings.Model.Config.Layers} layers)");

        // The coordinator's port is fixed up front so that the workers can send it their heartbeats from the start.
        int coordinatorPort = ChildProcess.FreePort();
        _heartbeats = new Uri($"http://127.0.0.1:{coordinatorPort}/v1/heartbeats");

        // Six operators (accounts 1-6) each stake one node (keys 101-106), two per span, in two regions (the scheduler
        // puts a verified job's replicas on other operators, other regions where it can).
        (int First, int Last)[] spans = Spans(settings.Model.Config.Layers);
        var nodes = new List<DevnetNode>();
        var starting = new List<Task<(ChildProcess, string)>>();
        for (int i = 0; i < 6; i++)
        {
            (int first, int last) = spans[i % 3];
            ushort region = (ushort)(100 + i / 3);
            bool faulty = settings.Fault && i == 4;
            // The faulty node declares four times the compute of its twin: before any job is measured the scheduler then
            // serves the first (verified) job's replica 0 through it, so the dispute proves the streamed result wrong and
            // the client is refunded.
            uint computeGops = faulty ? 4000u : 1000u;
            var nodeKey = new NodeKey(_wallet.PrivateKey(101 + i));
            int port = ChildProcess.FreePort();
            await MintAsync(owner, AddressOf(1 + i), 2_000, cancellation);
            NodeOperator op = await NodeOperator.CreateAsync(await SenderAsync(1 + i, cancellation), _deployment, cancellation);
            await op.RegisterAsync(nodeKey, $"http://127.0.0.1:{port}", new Hardware(4096, computeGops, 1000, region), null, cancellation);
            await op.StakeAsync(nodeKey.Address, 1_000 * Token, false, null, cancellation);
            nodes.Add(new DevnetNode(nodeKey.Address, op.Operator, $"{first}-{last}", region, faulty, 1_000 * Token));
            starting.Add(StartWorkerAsync(i, nodeKey, first, last, port, faulty, cancellation));
        }
        Nodes = nodes;
        Say("six operators registered and staked 1,000 DPIN each");
        var workers = new List<Uri>();
        foreach (Task<(ChildProcess Child, string Ready)> task in starting)
        {
            (ChildProcess child, string ready) = await task;
            _children.Add(child);
            workers.Add(new Uri(ready.Split(' ')[0]));
        }
        Say($"six workers listening on {string.Join(", ", workers)}" + (settings.Fault ? $" (worker {workers[4]}, layers {spans[1].First}-{spans[1].Last}, injects noise)" : ""));

        TransactionSender submitter = await SenderAsync(9, cancellation);
        await MintAsync(owner, submitter.Address, 1_000, cancellation); // the coordinator challenges wrong replicas: it posts the bonds
        _coordinator = await CoordinatorHost.StartAsync(settings.Model, new CoordinatorChain(submitter.Chain, submitter, _deployment), new CoordinatorOptions
        {
            ModelName = Path.GetFileNameWithoutExtension(settings.ModelArgument),
            Port = coordinatorPort,
            // Every devnet client is 127.0.0.1: the per-address limit would throttle the load run, not an abuser.
            RequestsPerMinute = 1_000_000,
            Database = settings.Database
                ?? new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(settings.WorkDirectory, "coordinator.db")};Pooling=False" },
            // Jobs settle seconds after their short window: a pass every 5 s besides the one scheduled at each window's end.
            FinalizeInterval = TimeSpan.FromSeconds(5),
        }, cancellation);
        CoordinatorAddress = CoordinatorHost.Address(_coordinator);
        Say($"coordinator listening on {CoordinatorAddress} (API description at {CoordinatorAddress}scalar)");
        // The scheduler routes from the catalog: wait until the indexer has the six nodes and each has sent a heartbeat
        // carrying the round trip the coordinator measured (a node's first heartbeat has none yet, and a node planned at
        // the default RTT beside measured ones would be routed around).
        var waited = Stopwatch.StartNew();
        (int staked, int reporting, int measured) = (0, 0, 0);
        while ((staked, reporting, measured) != (6, 6, 6))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(90))
                throw new IOException($"the coordinator sees {staked} staked nodes, {reporting} reporting heartbeats, {measured} with a measured round trip, after {waited.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(500, cancellation);
            (_, staked, reporting, measured) = await CoordinatorNodesAsync(cancellation);
        }
        Say("the coordinator indexed the six nodes from the chain and has their signed heartbeats and round trips: the scheduler routes every job");
    }

    /// <summary>The client (account 10) pays for and streams the jobs, one after another; every second one, from the first, is verified.</summary>
    public async Task<IReadOnlyList<DevnetJob>> RunJobsAsync(Action<Bytes32, string> onText, Func<DevnetJob, CancellationToken, Task> onFinished, CancellationToken cancellation)
    {
        const int client = 10;
        await MintAsync(await SenderAsync(0, cancellation), AddressOf(client), 1_000, cancellation);
        var jobs = new JobClient(await SenderAsync(client, cancellation), _deployment);
        using var http = new HttpClient { BaseAddress = CoordinatorAddress, Timeout = TimeSpan.FromMinutes(10) };
        JobCoordinator coordinator = _coordinator!.Services.GetRequiredService<JobCoordinator>();
        var results = new List<DevnetJob>();
        bool slashed = false;
        for (int k = 0; k < settings.Jobs; k++)
        {
            string prompt = Prompts[k % Prompts.Length];
            // Every second job, from the first, is verified, until a dispute slashed a node: then a span may have one honest
            // node left, too few for two operator-disjoint pipelines, and the later jobs run once, routed around the cheater.
            byte replicas = (byte)(k % 2 == 0 && !slashed ? 2 : 1);
            int[] tokens = settings.Model.Tokenizer.Encode(prompt, bos: true, eos: false);
            var request = new JobRequest(new Bytes32(settings.Model.ModelId.AsSpan()), JobConventions.PromptHash(tokens), (uint)settings.MaxTokens,
                JobConventions.Q16FromMilli(800), JobConventions.Q16FromMilli(950), (ulong)(1000 + k), replicas, 2 * Token,
                (ulong)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            (Bytes32 jobId, _) = await jobs.CreateAsync(request, null, cancellation);
            Say($"job {Short(jobId)} paid ({(replicas == 2 ? "verified, 2 replicas" : "1 replica")}): \"{prompt}\"");
            using (HttpResponseMessage posted = await http.PostAsJsonAsync("/v1/jobs", new { job_id = jobId.ToString(), prompt }, cancellation))
                if (!posted.IsSuccessStatusCode) throw new IOException($"the coordinator refused job {jobId}: HTTP {(int)posted.StatusCode} {await posted.Content.ReadAsStringAsync(cancellation)}");
            CoordinatedJob job = coordinator.Find(jobId) ?? throw new IOException($"the coordinator lost job {jobId}");
            Say($"job {Short(jobId)} routed by the scheduler: replica 0 on {Ports(job.Routes.Served)}" + (job.Routes.Check is { } check ? $", replica 1 on {Ports(check)}" : ""));
            var reader = job.Subscribe();
            await foreach (JobEvent e in reader.ReadAllAsync(cancellation))
                if (e is TokenEvent t) onText(jobId, t.Text);
            string? divergence = Divergence(job);
            string text = string.Concat(job.Tokens.Select(t => t.Text));
            Say($"job {Short(jobId)} {job.Phase.ToString().ToLowerInvariant()}: {job.Tokens.Count} tokens" +
                (replicas == 2 ? divergence is null ? "; the replicas agree leaf for leaf" : $"; the replicas DISAGREE from {divergence}" : "") +
                (job.SubmissionTransaction is { } tx ? $"; result on-chain in {Short(tx)}" : $"; {job.Error}"));
            await job.Settled.WaitAsync(cancellation);
            if (job.Dispute is { } dispute)
            {
                slashed |= dispute.Error is null && dispute.Outcome == "ChallengerWon";
                string wrong = dispute.DefenderReplica == 0 ? "the served replica 0 (the client is refunded, replica 1 paid from the slash)" : "replica 1";
                Say(dispute.Error is null
                    ? $"job {Short(jobId)}: the coordinator disputed {wrong} at (position {dispute.Position}, slot {dispute.Slot}): dispute {dispute.DisputeId}, " +
                      $"one step recomputed on-chain, {dispute.Outcome}; {dispute.Gas:N0} gas in all"
                    : $"job {Short(jobId)}: the dispute could not be played: {dispute.Error}");
                if (slashed)
                {
                    foreach (DevnetNode slashedNode in (await NodeStakesAsync(cancellation)).Where(n => n.Stake < 1_000 * Token))
                    {
                        Say($"node {slashedNode.Node} (layers {slashedNode.Span}) slashed: active stake now {slashedNode.Stake / Token} DPIN");
                        await WaitIndexedAsync(slashedNode.Node, cancellation);
                    }
                    Say("the coordinator's catalog has the slash: later jobs are routed around that node");
                }
            }
            var finished = new DevnetJob(jobId, prompt, replicas, job.Phase.ToString().ToLowerInvariant(), job.Tokens.Count, text, divergence, job.Error)
            {
                Dispute = job.Dispute is { Error: null } d ? $"{d.Outcome} (dispute {d.DisputeId}, replica {d.DefenderReplica} wrong)" : job.Dispute?.Error,
            };
            results.Add(finished);
            await onFinished(finished, cancellation);
        }
        return results;
    }

    /// <summary>
    /// The load run: <paramref name="clients"/> clients at once (accounts 20 and up), each paying for one job, posting it
    /// and streaming it through the API; time to first token from the POST, tokens per second over the whole run.
    /// </summary>
    public async Task<LoadReport> RunLoadAsync(int clients, CancellationToken cancellation)
    {
        if (clients is < 1 or > MaxLoadClients) throw new ArgumentOutOfRangeException(nameof(clients), $"1..{MaxLoadClients} load clients");
        TransactionSender owner = await SenderAsync(0, cancellation);
        var paid = new List<(Bytes32 JobId, string Prompt)>();
        for (int c = 0; c < clients; c++)
        {
            await MintAsync(owner, AddressOf(20 + c), 10, cancellation);
            string prompt = Prompts[c % Prompts.Length];
            int[] tokens = settings.Model.Tokenizer.Encode(prompt, bos: true, eos: false);
            var request = new JobRequest(new Bytes32(settings.Model.ModelId.AsSpan()), JobConventions.PromptHash(tokens), (uint)settings.MaxTokens, 0, JobRequest.Q16One,
                (ulong)c, 1, Token, (ulong)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            (Bytes32 jobId, _) = await new JobClient(await SenderAsync(20 + c, cancellation), _deployment).CreateAsync(request, null, cancellation);
            paid.Add((jobId, prompt));
        }
        Say($"load: {clients} clients paid for one job each; posting and streaming them all at once");
        using var http = new HttpClient { BaseAddress = CoordinatorAddress, Timeout = TimeSpan.FromMinutes(10) };
        var clock = Stopwatch.StartNew();
        (double? FirstTokenMs, int Tokens, string? Error)[] outcomes = await Task.WhenAll(paid.Select(p => OneClientAsync(http, p.JobId, p.Prompt, cancellation)));
        TimeSpan elapsed = clock.Elapsed;
        double[] ttft = [.. outcomes.Where(o => o.FirstTokenMs is not null).Select(o => o.FirstTokenMs!.Value).Order()];
        var report = new LoadReport(clients, outcomes.Count(o => o.Error is null), outcomes.Count(o => o.Error is not null), outcomes.Sum(o => o.Tokens), elapsed,
            Percentile(ttft, 0.50), Percentile(ttft, 0.95), outcomes.Select(o => o.Error).OfType<string>().FirstOrDefault());
        Say($"load: {report.Completed}/{clients} completed, {report.Errors} errors, {report.Tokens} tokens in {elapsed.TotalSeconds:F1} s = {report.TokensPerSecond:F1} tok/s; " +
            $"time to first token p50 {report.FirstTokenP50Ms:F0} ms, p95 {report.FirstTokenP95Ms:F0} ms");
        return report;
    }

    private static async Task<(double? FirstTokenMs, int Tokens, string? Error)> OneClientAsync(HttpClient http, Bytes32 jobId, string prompt, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using (HttpResponseMessage posted = await http.PostAsJsonAsync("/v1/jobs", new { job_id = jobId.ToString(), prompt }, cancellation))
                if (!posted.IsSuccessStatusCode) return (null, 0, $"POST: HTTP {(int)posted.StatusCode}");
            using HttpResponseMessage response = await http.GetAsync($"/v1/jobs/{jobId}/stream", HttpCompletionOption.ResponseHeadersRead, cancellation);
            double? first = null;
            int tokens = 0;
            await foreach ((string name, _) in ServerSentEvents.ReadAsync(await response.Content.ReadAsStreamAsync(cancellation), cancellation))
            {
                if (name == "token")
                {
                    first ??= clock.Elapsed.TotalMilliseconds;
                    tokens++;
                }
                else if (name == "failed") return (first, tokens, $"job {jobId} failed");
            }
            return (first, tokens, null);
        }
        catch (HttpRequestException e)
        {
            return (null, 0, e.Message);
        }
    }

    /// <summary>
    /// Waits until every job submitted on-chain is settled — finalized by the coordinator's finalizer once its challenge
    /// window closed, or refunded by a dispute — then reads from the chain what each operator was paid (StagePaid, and
    /// its JobMarket credit) and who was refunded (JobRefunded). Jobs never submitted (a failed run) are counted apart.
    /// </summary>
    public async Task<DevnetSettlement> WaitSettledAsync(CancellationToken cancellation)
    {
        TransactionSender reader = await SenderAsync(0, cancellation);
        ChainConnection chain = reader.Chain;
        string market = _deployment.JobMarket;
        var jobMarket = new JobClient(reader, _deployment);
        Bytes32[] jobs = [.. (await jobMarket.EventsAsync<Jobs.JobCreatedEvent>(null, cancellation)).Select(e => new Bytes32(e.JobId))];
        TimeSpan patience = TimeSpan.FromSeconds(settings.ChallengeWindowSeconds) + TimeSpan.FromMinutes(2);
        var waited = Stopwatch.StartNew();
        int reported = -1;
        OnChainStatus[] statuses;
        while (true)
        {
            statuses = new OnChainStatus[jobs.Length];
            for (int j = 0; j < jobs.Length; j++)
                statuses[j] = (OnChainStatus)(await chain.QueryOutputAsync<Jobs.GetJobFunction, Jobs.GetJobOutput>(market, new Jobs.GetJobFunction { JobId = jobs[j].ToArray() }, cancellation)).Job.Status;
            int waiting = statuses.Count(s => s == OnChainStatus.Submitted);
            int settled = statuses.Count(s => s is OnChainStatus.Finalized or OnChainStatus.Refunded);
            if (settled != reported)
            {
                Say($"settlement: {settled} of {jobs.Length} jobs settled on-chain ({statuses.Count(s => s == OnChainStatus.Finalized)} finalized, " +
                    $"{statuses.Count(s => s == OnChainStatus.Refunded)} refunded); {waiting} waiting for their {settings.ChallengeWindowSeconds} s challenge window");
                reported = settled;
            }
            if (waiting == 0) break;
            if (waited.Elapsed > patience) throw new IOException($"{waiting} submitted job(s) were not settled within {patience.TotalSeconds:F0} s (challenge window {settings.ChallengeWindowSeconds} s)");
            await Task.Delay(1000, cancellation);
        }

        IReadOnlyList<Jobs.StagePaidEvent> paid = await jobMarket.EventsAsync<Jobs.StagePaidEvent>(null, cancellation);
        var payouts = new List<DevnetPayout>();
        foreach (string op in Nodes.Select(n => n.Operator).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            Jobs.StagePaidEvent[] mine = [.. paid.Where(p => string.Equals(p.Operator, op, StringComparison.OrdinalIgnoreCase))];
            payouts.Add(new DevnetPayout(op, [.. Nodes.Where(n => string.Equals(n.Operator, op, StringComparison.OrdinalIgnoreCase)).Select(n => n.Node)], mine.Length,
                mine.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Amount), await CreditAsync(chain, op, cancellation)));
        }
        DevnetRefund[] refunds = [.. (await jobMarket.EventsAsync<Jobs.JobRefundedEvent>(null, cancellation)).Select(e => new DevnetRefund(new Bytes32(e.JobId), e.Client, e.Amount, ((RefundReason)e.Reason).ToString()))];
        string treasury = await chain.QueryAsync<Jobs.TreasuryFunction, string>(market, new Jobs.TreasuryFunction(), cancellation);
        var settlement = new DevnetSettlement(jobs.Length, statuses.Count(s => s == OnChainStatus.Finalized), statuses.Count(s => s == OnChainStatus.Refunded),
            statuses.Count(s => s == OnChainStatus.Open), payouts, refunds, await CreditAsync(chain, treasury, cancellation));
        Say($"settled: {settlement.Finalized} jobs finalized, the stage operators paid {TokenAmount.Dpin(payouts.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Paid))}; " +
            $"{settlement.Refunded} refunded" + (settlement.NeverSubmitted > 0 ? $"; {settlement.NeverSubmitted} never submitted" : ""));
        return settlement;
    }

    private Task<BigInteger> CreditAsync(ChainConnection chain, string account, CancellationToken cancellation) =>
        chain.QueryAsync<Jobs.CreditOfFunction, BigInteger>(_deployment.JobMarket, new Jobs.CreditOfFunction { Account = account }, cancellation);


    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>
    /// Waits until the coordinator's node list shows <paramref name="node"/> slashed (the indexer) and rated again (the
    /// reputation job the dispute scheduled), so the scheduler stops choosing it.
    /// </summary>
    private async Task WaitIndexedAsync(string node, CancellationToken cancellation)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            JsonElement? mine = (await NodeListAsync(cancellation)).Cast<JsonElement?>()
                .FirstOrDefault(n => string.Equals(n!.Value.GetProperty("address").GetString(), node, StringComparison.OrdinalIgnoreCase));
            if (mine is { } n && n.GetProperty("slashes").GetInt32() > 0 && n.GetProperty("reputation") is { ValueKind: JsonValueKind.Number } reputation)
            {
                Say($"node {node}: slash indexed, reputation recomputed to {reputation.GetDouble():F2} (the scheduling threshold is {new SchedulingPolicy().ReputationThreshold:F2})");
                return;
            }
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new IOException($"the coordinator's catalog did not record the slash of {node} and its reputation within 60 s");
            await Task.Delay(500, cancellation);
        }
    }

    /// <summary>How many nodes the coordinator's node list shows, how many with their stake indexed, and how many sent a heartbeat.</summary>
    public async Task<(int Listed, int Staked, int Reporting, int Measured)> CoordinatorNodesAsync(CancellationToken cancellation)
    {
        JsonElement[] nodes = await NodeListAsync(cancellation);
        // Staked once its stake is indexed too (registration and stake are two transactions; the indexer may be between them).
        int staked = nodes.Count(n => n.GetProperty("activeStake").GetDecimal() > 0);
        int reporting = nodes.Count(n => n.GetProperty("lastHeartbeatAt").ValueKind == JsonValueKind.String);
        int measured = nodes.Count(n => n.GetProperty("rttMs").ValueKind == JsonValueKind.Number);
        return (nodes.Length, staked, reporting, measured);
    }

    /// <summary>The coordinator's GET /v1/nodes.</summary>
    private async Task<JsonElement[]> NodeListAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = CoordinatorAddress, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return [.. JsonDocument.Parse(await http.GetStringAsync("/v1/nodes", cancellation)).RootElement.EnumerateArray()];
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"the coordinator's node list failed: {e.Message}", e);
        }
    }

    /// <summary>Each node's active stake as StakeManager holds it now.</summary>
    public async Task<IReadOnlyList<DevnetNode>> NodeStakesAsync(CancellationToken cancellation)
    {
        NodeOperator reader = await NodeOperator.CreateAsync(await SenderAsync(0, cancellation), _deployment, cancellation);
        var nodes = new List<DevnetNode>();
        foreach (DevnetNode node in Nodes) nodes.Add(node with { Stake = (await reader.StatusAsync(node.Node, cancellation)).ActiveStake });
        return nodes;
    }

    /// <summary>Each node's active stake (from the chain) and reputation (from the coordinator's node list).</summary>
    public async Task<IReadOnlyList<DevnetNode>> NodeStandingsAsync(CancellationToken cancellation)
    {
        Dictionary<string, double> reputations = (await NodeListAsync(cancellation))
            .Where(n => n.GetProperty("reputation").ValueKind == JsonValueKind.Number)
            .ToDictionary(n => n.GetProperty("address").GetString() ?? "", n => n.GetProperty("reputation").GetDouble(), StringComparer.OrdinalIgnoreCase);
        return [.. (await NodeStakesAsync(cancellation)).Select(n => n with { Reputation = reputations.TryGetValue(n.Node, out double r) ? r : null })];
    }

    /// <summary>Where the two replicas' traces first differ, as (position, slot); null when they agree or the job had one replica.</summary>
    private static string? Divergence(CoordinatedJob job)
    {
        if (job.Results.Count < 2) return null;
        IReadOnlyList<Hash32> a = job.Results[0].Leaves, b = job.Results[1].Leaves;
        int slots = job.OnChain.LayerCount + 2;
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
            if (a[i] != b[i]) return $"leaf {i} (position {i / slots}, slot {i % slots})";
        return a.Count == b.Count ? null : $"leaf {Math.Min(a.Count, b.Count)} (one trace is longer)";
    }

    private async Task<(ChildProcess, string)> StartWorkerAsync(int index, NodeKey key, int first, int last, int port, bool faulty, CancellationToken cancellation)
    {
        string keystore = Path.Combine(settings.WorkDirectory, $"node{index}");
        new Keystore(keystore).Save(key.ExportPrivateKey(), NodePassphrase, scryptN: 1024);
        string pass = Path.Combine(keystore, "passphrase.txt");
        await File.WriteAllTextAsync(pass, NodePassphrase + "\n", cancellation);
        (string file, string[] prefix) = ChildProcess.Depin();
        string[] fault = faulty ? ["--fault-noise", $"3:{first}"] : [];
        return await ChildProcess.StartAsync($"worker {index} ({first}-{last})", file,
            [.. prefix, "worker", "--model", settings.ModelArgument, "--layers", $"{first}-{last}", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--host", "127.0.0.1", "--keystore", keystore, "--passphrase-file", pass, "--trace-dir", Path.Combine(settings.WorkDirectory, $"traces{index}"),
             "--rpc", _rpc.ToString(), "--heartbeat-url", _heartbeats!.ToString(), "--heartbeat-seconds", "2", .. fault],
            "worker listening on ", TimeSpan.FromSeconds(60), cancellation);
    }

    private Task MintAsync(TransactionSender owner, string to, int tokens, CancellationToken cancellation) =>
        owner.SendAsync(_deployment.Token, new MintFunction { To = to, Amount = tokens * Token }, $"mint {tokens} DPIN", null, cancellation);

    private async Task<TransactionSender> SenderAsync(int index, CancellationToken cancellation)
    {
        var account = new Account(_wallet.PrivateKey(index), 31337);
        ChainConnection connection = await ChainConnection.ConnectAsync(new ChainOptions { Rpc = _rpc }, account, cancellation);
        return new TransactionSender(connection, account, new TransactionOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
    }

    private string AddressOf(int index) => new Account(_wallet.PrivateKey(index)).Address;

    /// <summary>Three contiguous spans as even as the layer count allows (fewer when the model has fewer layers).</summary>
    internal static (int First, int Last)[] Spans(int layers)
    {
        int count = Math.Min(3, layers);
        var spans = new (int, int)[count];
        int first = 0;
        for (int s = 0; s < count; s++)
        {
            int length = layers / count + (s < layers % count ? 1 : 0);
            spans[s] = (first, first + length - 1);
            first += length;
        }
        return spans;
    }

    /// <summary>A route as the ports of its workers, e.g. ":41883 → :35741 → :46223" (spares in brackets).</summary>
    private static string Ports(IReadOnlyList<StageRoute> route) =>
        string.Join(" → ", route.Select(s => $":{s.Endpoints[0].Port}" + (s.Endpoints.Count > 1 ? $" [{string.Join(", ", s.Endpoints.Skip(1).Select(e => $":{e.Port}"))}]" : "")));

    private void Say(string line) => report($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {line}");

    private static string Short(Bytes32 id) => id.ToString()[..10] + "…";

    private static string Short(string hash) => hash.Length > 12 ? hash[..10] + "…" : hash;

    public async ValueTask DisposeAsync()
    {
        if (_coordinator is not null)
        {
            await _coordinator.StopAsync(CancellationToken.None);
            await _coordinator.DisposeAsync();
        }
        // Workers first, anvil last.
        for (int i = _children.Count - 1; i >= 0; i--) _children[i].Dispose();
        _children.Clear();
    }
}
