using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using DePinLedger.Data;
using DePinLedger.Data.Staking;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace DePinLedger.Scheduler.Tests.Support;

/// <summary>A clock that says what the test says.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A migrated PostgreSQL database (see <see cref="TestDatabase"/>) with the context factory the scheduler takes, and node seeding.</summary>
internal sealed class SchedulerDatabase : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private SchedulerDatabase(TestDatabase database)
    {
        _database = database;
        Factory = new PooledDbContextFactory<DePinDbContext>(database.Options.Build());
    }

    public IDbContextFactory<DePinDbContext> Factory { get; }

    public DePinDbContext Context() => _database.Context();

    public static async Task<SchedulerDatabase> CreateAsync() => new(await TestDatabase.PostgresAsync());

    public async Task<NodeRecord> AddNodeAsync(string address, string? operatorAddress = null, decimal stake = 50_000, DateTimeOffset? registeredAt = null, ushort region = 1)
    {
        var node = new NodeRecord
        {
            Address = address,
            Operator = operatorAddress ?? address,
            Endpoint = "http://127.0.0.1:7001",
            MemoryMiB = 80 * 1024,
            ComputeGops = 200,
            RegionCode = region,
            ActiveStake = stake,
            RegisteredAt = registeredAt ?? Swarm.Now - TimeSpan.FromDays(60),
        };
        await using DePinDbContext db = Context();
        db.Nodes.Add(node);
        await db.SaveChangesAsync();
        return node;
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}

/// <summary>A worker key and heartbeat bodies exactly as the worker's HeartbeatService writes them (string values, keccak256-signed).</summary>
internal sealed class WorkerKey
{
    public const string ModelId = "0x1111111111111111111111111111111111111111111111111111111111111111";

    public NodeKey Key { get; } = new(RandomNumberGenerator.GetBytes(32));

    public string Address => AddressText.Normalize(Key.Address);

    public static byte[] Body(IDictionary<string, string> fields) => JsonSerializer.SerializeToUtf8Bytes(fields);

    public Dictionary<string, string> Fields(DateTimeOffset time, int firstLayer = 0, int lastLayer = 31) => new()
    {
        ["node"] = Key.Address,
        ["model_id"] = ModelId,
        ["first_layer"] = firstLayer.ToString(CultureInfo.InvariantCulture),
        ["last_layer"] = lastLayer.ToString(CultureInfo.InvariantCulture),
        ["open_sessions"] = "2",
        ["kv_used_bytes"] = "1048576",
        ["kv_budget_bytes"] = "1073741824",
        ["positions_per_second"] = "12.5",
        ["time"] = time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
    };

    public string Sign(byte[] body) => "0x" + Convert.ToHexStringLower(Key.Sign(Keccak.Hash(body)));
}
