using System.Diagnostics;
using System.Globalization;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Events;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Data.Tests.Support;
using DePinLedger.Indexer.Benchmarks;
using DePinLedger.Indexer.Sync;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

// Indexer throughput benchmark (not a test): usage
//   DEPIN_TEST_POSTGRES="Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres" \
//   dotnet run -c Release --project tests/DePinLedger.Indexer.Benchmarks -- [EVENTS=50000] [STAKES_PER_TX=250]
int events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
int perTx = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 250;

await using AnvilChain anvil = await AnvilChain.StartAsync(extraArguments: "--gas-limit 100000000");
TransactionSender sender = await anvil.SenderAsync(0);
string bytecode = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "EventPump.bin")).Trim();
string pump = await ContractDeployer.DeployAsync(anvil.Deployer, sender.Address, new ContractArtifact("EventPump", "[]", bytecode), default);
await anvil.MintAsync(pump, 1);
await sender.SendAsync(pump, new SetUpFunction { Token = anvil.Deployment.Token, StakeManager = anvil.Deployment.StakeManager }, "set up", null, default);

// Each stake of 1 unit emits StakeManager.Staked and the token's Transfer: two events.
var produce = Stopwatch.StartNew();
int transactions = (events + 2 * perTx - 1) / (2 * perTx);
for (int i = 0; i < transactions; i++)
    await sender.SendAsync(pump, new PumpFunction { StakeManager = anvil.Deployment.StakeManager, N = perTx }, "pump", null, default);
produce.Stop();
long head = (long)await anvil.Deployer.GetBlockNumberAsync(default);

await using TestDatabase db = await TestDatabase.PostgresAsync();
var indexer = new ChainIndexer(anvil.Deployer, anvil.Deployment, db.Options, new IndexerOptions { Confirmations = 0, InitialBlockRange = 1_000_000, MaxBlockRange = 1_000_000, TargetLogsPerBatch = 1_000_000 });
var index = Stopwatch.StartNew();
SyncReport report = await indexer.SyncAsync(default);
index.Stop();

// Where the time goes: the same eth_getLogs alone, and decoding alone.
var rpc = Stopwatch.StartNew();
FilterLog[] logs = await anvil.Deployer.Web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
{
    FromBlock = new BlockParameter(new HexBigInteger(anvil.Deployment.StartBlock)),
    ToBlock = new BlockParameter(new HexBigInteger(head)),
    Address = [anvil.Deployment.Token, anvil.Deployment.ModelRegistry, anvil.Deployment.StakeManager, anvil.Deployment.JobMarket],
});
rpc.Stop();
// The same request as raw HTTP: anvil's share of eth_getLogs (the rest is JSON parsing into FilterLog objects).
using var http = new HttpClient();
string body = $$"""{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x{{anvil.Deployment.StartBlock:x}}","toBlock":"0x{{head:x}}","address":["{{anvil.Deployment.Token}}","{{anvil.Deployment.StakeManager}}"]}]}""";
var raw = Stopwatch.StartNew();
using HttpResponseMessage response = await http.PostAsync(anvil.Rpc, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
long bytes = (await response.Content.ReadAsByteArrayAsync()).Length;
raw.Stop();
var decode = Stopwatch.StartNew();
foreach (FilterLog log in logs)
{
    ContractKind kind = string.Equals(log.Address, anvil.Deployment.Token, StringComparison.OrdinalIgnoreCase) ? ContractKind.Token : ContractKind.StakeManager;
    ContractEvents.Decode(kind, [.. log.Topics.Select(t => t.ToString()!)], log.Data);
}
decode.Stop();

double perSecond = report.Events / index.Elapsed.TotalSeconds;
Console.WriteLine($"produced   {logs.Length} events in {transactions} transactions / {head - (long)anvil.Deployment.StartBlock} blocks ({produce.Elapsed.TotalSeconds:F1} s)");
Console.WriteLine($"indexed    {report.Events} events in {report.Batches} batch(es), {index.Elapsed.TotalSeconds:F2} s cold into PostgreSQL: {perSecond:F0} events/s");
Console.WriteLine($"breakdown  eth_getLogs {rpc.Elapsed.TotalSeconds:F2} s (anvil answering {bytes / 1e6:F1} MB: {raw.Elapsed.TotalSeconds:F2} s; the rest JSON parsing), ABI decoding {decode.Elapsed.TotalSeconds:F2} s, " +
                  $"database + projection {(index.Elapsed - rpc.Elapsed - decode.Elapsed).TotalSeconds:F2} s (rest)");
return report.Events >= events ? 0 : 1;
