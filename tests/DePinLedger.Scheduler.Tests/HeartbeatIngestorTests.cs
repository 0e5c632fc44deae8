using DePinLedger.Data;
using DePinLedger.Scheduler.Catalog;
using DePinLedger.Scheduler.Planning;
using DePinLedger.Scheduler.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace DePinLedger.Scheduler.Tests;

/// <summary>Signed heartbeats on PostgreSQL: accepted once from a registered node's own key; every bad field, signer, time and replay refused with its reason.</summary>
public sealed class HeartbeatIngestorTests : IAsyncLifetime
{
    private readonly FixedClock _clock = new(Swarm.Now);
    private readonly WorkerKey _worker = new();
    private SchedulerDatabase _db = null!;
    private HeartbeatIngestor _ingestor = null!;

    public async Task InitializeAsync()
    {
        _db = await SchedulerDatabase.CreateAsync();
        _ingestor = new HeartbeatIngestor(_db.Factory, _clock, new HeartbeatPolicy());
        await _db.AddNodeAsync(_worker.Address);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<HeartbeatResult> Send(byte[] body, string? signature = null, int? rtt = 12_000) =>
        _ingestor.IngestAsync(body, signature ?? _worker.Sign(body), _ => rtt, CancellationToken.None);

    [Theory]
    [InlineData(0.2, 5)]
    [InlineData(5.0, 5)]
    [InlineData(5.1, 10)]
    [InlineData(12.0, 15)]
    [InlineData(0.0, 5)]
    public void MeasuredRtts_ArePlannedInFiveMillisecondSteps_RoundedUp(double measured, double planned)
    {
        Assert.Equal(planned, new CatalogPolicy().PlannedRttMs(measured));
        Assert.Equal(measured, new CatalogPolicy { RttResolutionMs = 0 }.PlannedRttMs(measured));
    }

    [Fact]
    public async Task SignedHeartbeat_IsStoredWithEveryField_AndMakesTheNodeAvailable()
    {
        byte[] body = WorkerKey.Body(_worker.Fields(Swarm.Now - TimeSpan.FromSeconds(2), firstLayer: 8, lastLayer: 15));

        HeartbeatResult result = await Send(body);

        Assert.True(result.Accepted, result.Message);
        await using DePinDbContext db = _db.Context();
        var stored = await db.Heartbeats.SingleAsync();
        Assert.Equal((_worker.Address, WorkerKey.ModelId, 8, 15, 2, 1_048_576L, 1L << 30, 12.5, 12_000), (stored.Node, stored.ModelId, stored.FirstLayer, stored.LastLayer, stored.OpenSessions, stored.KvUsedBytes, stored.KvBudgetBytes, stored.PositionsPerSecond, stored.LatencyMicros));
        Assert.Equal(Swarm.Now - TimeSpan.FromSeconds(2), stored.ReportedAt);

        var catalog = new NodeCatalog(_db.Factory, new CatalogPolicy());
        NodeState node = Assert.Single(await catalog.LoadAsync(WorkerKey.ModelId, Swarm.Now, CancellationToken.None));
        Assert.True(new SchedulingPolicy().IsEligible(node, Swarm.Now));
        // The measured 12 ms is planned as 15 ms: RTTs count in 5 ms steps, rounded up.
        Assert.Equal((8, 15, (1L << 30) - 1_048_576, 15.0), (node.FirstLayer, node.LastLayer, node.KvFreeBytes, node.RttMs));
        var exact = new NodeCatalog(_db.Factory, new CatalogPolicy { RttResolutionMs = 0 });
        Assert.Equal(12.0, Assert.Single(await exact.LoadAsync(WorkerKey.ModelId, Swarm.Now, CancellationToken.None)).RttMs);

        // Two minutes later without a new heartbeat the node is unavailable.
        NodeState later = Assert.Single(await catalog.LoadAsync(WorkerKey.ModelId, Swarm.Now + TimeSpan.FromMinutes(2), CancellationToken.None));
        Assert.False(new SchedulingPolicy().IsEligible(later, Swarm.Now + TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task SignedHeartbeats_ThroughTheCatalog_GiveTheRoute_WithoutSlashedOrSilentNodes()
    {
        // The fixture's worker serves 0-39; three more: a fast 40-79, a faster but slashed 40-79, a silent 40-79.
        WorkerKey fast = new(), slashed = new(), silent = new();
        foreach (WorkerKey w in new[] { fast, slashed, silent }) await _db.AddNodeAsync(w.Address);
        await using (DePinDbContext db = _db.Context())
        {
            db.Slashes.Add(new Data.Staking.Slash { TxHash = "0x01", Node = slashed.Address, InfractionTime = Swarm.Now - TimeSpan.FromDays(3) });
            await db.SaveChangesAsync();
        }
        foreach ((WorkerKey w, int first, int last, int rtt) in new[] { (_worker, 0, 39, 20_000), (fast, 40, 79, 30_000), (slashed, 40, 79, 1_000) })
        {
            byte[] body = WorkerKey.Body(w.Fields(Swarm.Now - TimeSpan.FromSeconds(5), first, last));
            Assert.True((await _ingestor.IngestAsync(body, w.Sign(body), _ => rtt, CancellationToken.None)).Accepted);
        }
        byte[] old = WorkerKey.Body(silent.Fields(Swarm.Now - TimeSpan.FromSeconds(60), 40, 79));
        Assert.True((await _ingestor.IngestAsync(old, silent.Sign(old), _ => 500, CancellationToken.None)).Accepted);

        // Two minutes on, only the silent node has not reported again.
        _clock.Now = Swarm.Now + TimeSpan.FromMinutes(2);
        foreach ((WorkerKey w, int first, int last, int rtt) in new[] { (_worker, 0, 39, 20_000), (fast, 40, 79, 30_000), (slashed, 40, 79, 1_000) })
        {
            byte[] body = WorkerKey.Body(w.Fields(_clock.Now, first, last));
            Assert.True((await _ingestor.IngestAsync(body, w.Sign(body), _ => rtt, CancellationToken.None)).Accepted);
        }
        IReadOnlyList<NodeState> nodes = await new NodeCatalog(_db.Factory, new CatalogPolicy()).LoadAsync(WorkerKey.ModelId, _clock.Now, CancellationToken.None);
        Route? route = new Router(Swarm.Model, new SchedulingPolicy()).Route(nodes, Swarm.Job, _clock.Now);

        Assert.NotNull(route);
        Assert.Equal([_worker.Address, fast.Address], route.Stages.Select(s => s.Node.Address));
        Assert.True(nodes.Single(n => n.Address == slashed.Address).Slashed);
        // 12.5 positions/s through each span (80 ms) plus the measured RTTs.
        Assert.Equal(80 + 20 + 80 + 30, route.PredictedMs, 6);
    }

    [Fact]
    public async Task SameBodyTwice_IsAReplay_AndAnOlderTimeToo()
    {
        byte[] body = WorkerKey.Body(_worker.Fields(Swarm.Now));
        Assert.True((await Send(body)).Accepted);

        Assert.Equal(HeartbeatRejection.Replay, (await Send(body)).Rejection);
        Assert.Equal(HeartbeatRejection.Replay, (await Send(WorkerKey.Body(_worker.Fields(Swarm.Now - TimeSpan.FromSeconds(30))))).Rejection);
        Assert.True((await Send(WorkerKey.Body(_worker.Fields(Swarm.Now + TimeSpan.FromSeconds(1))))).Accepted);
    }

    [Fact]
    public async Task StaleAndFutureTimes_AreRefused()
    {
        Assert.Equal(HeartbeatRejection.Stale, (await Send(WorkerKey.Body(_worker.Fields(Swarm.Now - TimeSpan.FromSeconds(91))))).Rejection);
        Assert.Equal(HeartbeatRejection.FromTheFuture, (await Send(WorkerKey.Body(_worker.Fields(Swarm.Now + TimeSpan.FromSeconds(31))))).Rejection);
    }

    [Fact]
    public async Task OtherKeysAndUnknownNodes_AreRefused()
    {
        byte[] body = WorkerKey.Body(_worker.Fields(Swarm.Now));
        var stranger = new WorkerKey();
        HeartbeatResult wrong = await Send(body, stranger.Sign(body));
        Assert.Equal(HeartbeatRejection.WrongSigner, wrong.Rejection);
        Assert.Contains(stranger.Address, wrong.Message);

        byte[] strangerBody = WorkerKey.Body(stranger.Fields(Swarm.Now));
        Assert.Equal(HeartbeatRejection.UnknownNode, (await Send(strangerBody, stranger.Sign(strangerBody))).Rejection);
    }

    [Theory]
    [InlineData(null, "missing")]
    [InlineData("", "missing")]
    [InlineData("0x1234", "130 hex digits")]
    [InlineData("0xzz", "130 hex digits")]
    public async Task BadSignatureHeaders_AreRefused(string? header, string fragment)
    {
        HeartbeatResult result = await _ingestor.IngestAsync(WorkerKey.Body(_worker.Fields(Swarm.Now)), header, null, CancellationToken.None);
        Assert.Equal(HeartbeatRejection.BadSignature, result.Rejection);
        Assert.Contains(fragment, result.Message);
    }

    [Theory]
    [InlineData('0', "1b")]
    [InlineData('f', "1c")]
    [InlineData('7', "1b")]
    public async Task GarbageSignatures_AreRefused_NeverThrown(char digit, string v)
    {
        HeartbeatResult result = await Send(WorkerKey.Body(_worker.Fields(Swarm.Now)), "0x" + new string(digit, 128) + v);
        Assert.False(result.Accepted);
        Assert.Contains(result.Rejection, new[] { HeartbeatRejection.BadSignature, HeartbeatRejection.WrongSigner });
    }

    [Fact]
    public async Task HighSTwinOfAValidSignature_IsRefused()
    {
        byte[] body = WorkerKey.Body(_worker.Fields(Swarm.Now));
        byte[] signature = Convert.FromHexString(_worker.Sign(body).AsSpan(2));
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        // (r, n − s, the other v) recovers the same key: the malleated twin must not count as a second valid signature.
        byte[] highS = new byte[32];
        (n - s).TryWriteBytes(highS, out int written, isUnsigned: true, isBigEndian: true);
        byte[] twin = [.. signature[..32], .. new byte[32 - written], .. highS[..written], (byte)(55 - signature[64])];
        HeartbeatResult result = await Send(body, "0x" + Convert.ToHexStringLower(twin));
        Assert.Equal(HeartbeatRejection.BadSignature, result.Rejection);
        Assert.Contains("malleated", result.Message);
    }

    [Fact]
    public async Task SignatureWithAnotherV_IsRefused()
    {
        byte[] body = WorkerKey.Body(_worker.Fields(Swarm.Now));
        string signature = _worker.Sign(body)[..^2] + "1f";
        HeartbeatResult result = await Send(body, signature);
        Assert.Equal(HeartbeatRejection.BadSignature, result.Rejection);
        Assert.Contains("v is 31", result.Message);
    }

    [Theory]
    [InlineData("node", "0x12", "'node' is not an address")]
    [InlineData("model_id", "0xabc", "'model_id' is not 0x and 64 hex digits")]
    [InlineData("first_layer", "-1", "'first_layer' is not an integer")]
    [InlineData("first_layer", "40", "before first_layer")]
    [InlineData("last_layer", "70000", "'last_layer' is not an integer in 0..65535")]
    [InlineData("open_sessions", "1e3", "'open_sessions' is not an integer")]
    [InlineData("kv_used_bytes", "2000000000", "exceeds kv_budget_bytes")]
    [InlineData("kv_budget_bytes", "0", "kv_budget_bytes must be positive")]
    [InlineData("positions_per_second", "NaN", "'positions_per_second' is not a non-negative decimal")]
    [InlineData("positions_per_second", "-3.0", "'positions_per_second' is not a non-negative decimal")]
    [InlineData("time", " 17", "'time' is not an integer")]
    [InlineData("extra", "1", "'extra' is not part of a heartbeat")]
    public async Task EveryFieldIsValidated(string field, string value, string fragment)
    {
        Dictionary<string, string> fields = _worker.Fields(Swarm.Now);
        fields[field] = value;
        HeartbeatResult result = await Send(WorkerKey.Body(fields));
        Assert.Equal(HeartbeatRejection.Malformed, result.Rejection);
        Assert.Contains(fragment, result.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"node\": 5}", "'node' is not a string")]
    [InlineData("{\"node\": \"a\", \"node\": \"b\"}", "appears twice")]
    [InlineData("{\"node\": \"a\"", "not valid JSON")]
    [InlineData("{\"node\": \"a\"} {}", "not valid JSON")]
    public async Task NonHeartbeatBodies_AreMalformed(string text, string fragment)
    {
        HeartbeatResult result = await Send(System.Text.Encoding.UTF8.GetBytes(text), "0x" + new string('1', 128) + "1b");
        Assert.Equal(HeartbeatRejection.Malformed, result.Rejection);
        Assert.Contains(fragment, result.Message);
    }

    [Fact]
    public async Task MissingField_IsNamed()
    {
        Dictionary<string, string> fields = _worker.Fields(Swarm.Now);
        fields.Remove("kv_used_bytes");
        HeartbeatResult result = await Send(WorkerKey.Body(fields));
        Assert.Equal(HeartbeatRejection.Malformed, result.Rejection);
        Assert.Contains("'kv_used_bytes' is missing", result.Message);
    }
}
