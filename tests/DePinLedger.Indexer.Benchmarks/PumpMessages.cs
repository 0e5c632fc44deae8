using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace DePinLedger.Indexer.Benchmarks;

[Function("setUp")]
internal sealed class SetUpFunction : FunctionMessage
{
    [Parameter("address", "token", 1)]
    public string Token { get; set; } = "";

    [Parameter("address", "stakeManager", 2)]
    public string StakeManager { get; set; } = "";
}

[Function("pump")]
internal sealed class PumpFunction : FunctionMessage
{
    [Parameter("address", "stakeManager", 1)]
    public string StakeManager { get; set; } = "";

    [Parameter("uint256", "n", 2)]
    public int N { get; set; }
}
