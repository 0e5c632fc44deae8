using System.Numerics;
using System.Text.Json;
using DePinLedger.Chain.Tests.Support;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Hex.HexTypes;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace DePinLedger.Chain.Tests;

/// <summary>
/// Real engine steps sent to the real LayerStepVerifier deployed on anvil: the conformance vectors that
/// tests/run.sh writes with the C# engine (`depin conformance vectors`) are recomputed on-chain by eth_call.
/// </summary>
public class VerifierOnChainTests
{
    [Function("verifyLayerStep")]
    public sealed class VerifyLayerStep : FunctionMessage
    {
        [Parameter("bytes32", "_weightsRoot", 1)] public byte[] WeightsRoot { get; set; } = [];
        [Parameter("tuple", "_step", 2)] public LayerStepInput Step { get; set; } = new();
    }

    public sealed class LayerStepInput
    {
        [Parameter("uint32", "position", 1)] public uint Position { get; set; }
        [Parameter("uint16", "slot", 2)] public ushort Slot { get; set; }
        [Parameter("bytes", "config", 3)] public byte[] Config { get; set; } = [];
        [Parameter("bytes32[]", "configProof", 4)] public List<byte[]> ConfigProof { get; set; } = [];
        [Parameter("bytes", "layer", 5)] public byte[] Layer { get; set; } = [];
        [Parameter("bytes32[]", "layerProof", 6)] public List<byte[]> LayerProof { get; set; } = [];
        [Parameter("bytes32", "ropeRoot", 7)] public byte[] RopeRoot { get; set; } = [];
        [Parameter("bytes32[]", "ropeRootProof", 8)] public List<byte[]> RopeRootProof { get; set; } = [];
        [Parameter("bytes", "rotaryRow", 9)] public byte[] RotaryRow { get; set; } = [];
        [Parameter("bytes32[]", "rotaryProof", 10)] public List<byte[]> RotaryProof { get; set; } = [];
        [Parameter("bytes", "hidden", 11)] public byte[] Hidden { get; set; } = [];
        [Parameter("bytes", "kv", 12)] public byte[] Kv { get; set; } = [];
        [Parameter("bytes32", "kvRootPrev", 13)] public byte[] KvRootPrev { get; set; } = [];
    }

    [FunctionOutput]
    public sealed class LayerStepOutput : IFunctionOutputDTO
    {
        [Parameter("bytes32", "leaf_", 1)] public byte[] Leaf { get; set; } = [];
        [Parameter("bytes32", "hiddenInHash_", 2)] public byte[] HiddenInHash { get; set; } = [];
    }

    [Fact]
    public async Task RealLayerSteps_RecomputedByDeployedVerifier_MatchEngineLeaves()
    {
        string vectors = Path.Combine(AnvilChain.RepositoryRoot, "contracts", "test", "vectors", "generated");
        string index = Path.Combine(vectors, "index.json");
        Assert.True(File.Exists(index), $"no conformance vectors in {vectors}: run 'depin conformance vectors --model stories260K --out {vectors}' (tests/run.sh does)");
        string artifact = Path.Combine(AnvilChain.RepositoryRoot, "out", "LayerStepVerifier.sol", "LayerStepVerifier.json");
        Assert.True(File.Exists(artifact), $"no forge artifact {artifact}: run 'forge build' first");

        await using AnvilChain chain = await AnvilChain.StartAsync(deploy: false);
        var web3 = new Web3(new Account(AnvilChain.DevKey(0), 31337), chain.Rpc.ToString());
        using JsonDocument compiled = JsonDocument.Parse(await File.ReadAllTextAsync(artifact));
        string abi = compiled.RootElement.GetProperty("abi").GetRawText();
        string bytecode = compiled.RootElement.GetProperty("bytecode").GetProperty("object").GetString()!;
        var receipt = await web3.Eth.DeployContract.SendRequestAndWaitForReceiptAsync(abi, bytecode, AnvilChain.DevAddress(0), new HexBigInteger(20_000_000));
        Assert.Equal(BigInteger.One, receipt.Status.Value);

        // Stories260K layer steps at the first and last positions of the context, every block.
        using JsonDocument list = JsonDocument.Parse(await File.ReadAllTextAsync(index));
        string[] files = list.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)
            .Where(f => f.StartsWith("stories260K-layer-t000-", StringComparison.Ordinal) || f.StartsWith("stories260K-layer-t511-", StringComparison.Ordinal))
            .ToArray();
        Assert.Equal(10, files.Length);
        var handler = web3.Eth.GetContractQueryHandler<VerifyLayerStep>();
        foreach (string file in files)
        {
            using JsonDocument vector = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(vectors, file)));
            JsonElement v = vector.RootElement;
            var call = new VerifyLayerStep
            {
                WeightsRoot = Hex(v, "weightsRoot"),
                Step = new LayerStepInput
                {
                    Position = v.GetProperty("position").GetUInt32(),
                    Slot = v.GetProperty("slot").GetUInt16(),
                    Config = Hex(v, "config"),
                    ConfigProof = Proof(v, "configProof"),
                    Layer = Hex(v, "layer"),
                    LayerProof = Proof(v, "layerProof"),
                    RopeRoot = Hex(v, "ropeRoot"),
                    RopeRootProof = Proof(v, "ropeRootProof"),
                    RotaryRow = Hex(v, "rotaryRow"),
                    RotaryProof = Proof(v, "rotaryProof"),
                    Hidden = Hex(v, "hidden"),
                    Kv = Hex(v, "kv"),
                    KvRootPrev = Hex(v, "kvRootPrev"),
                },
                Gas = 30_000_000,
            };
            LayerStepOutput output = await handler.QueryDeserializingToObjectAsync<LayerStepOutput>(call, receipt.ContractAddress);
            Assert.Equal(Hex(v, "expectedLeaf"), output.Leaf);
            Assert.Equal(Hex(v, "expectedHiddenInHash"), output.HiddenInHash);
        }
    }

    private static byte[] Hex(JsonElement vector, string name) => vector.GetProperty(name).GetString()!.HexToByteArray();

    private static List<byte[]> Proof(JsonElement vector, string name) =>
        vector.GetProperty(name).EnumerateArray().Select(e => e.GetString()!.HexToByteArray()).ToList();
}
