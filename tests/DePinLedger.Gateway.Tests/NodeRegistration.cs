using System.Numerics;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Tests;

namespace DePinLedger.Gateway.Tests;

/// <summary>The fixtures' one way to put a test node on-chain: its operator funded, the node registered and staked.</summary>
internal static class NodeRegistration
{
    /// <summary>The minimum stake every fixture node holds (1,000 tokens).</summary>
    public static readonly BigInteger Stake = 1_000 * BigInteger.Pow(10, 18);

    /// <summary>
    /// Mints <paramref name="mintTokens"/> to dev account <paramref name="operatorAccount"/>, which registers and stakes
    /// <paramref name="node"/> with <paramref name="endpoint"/> (by default one where nothing listens).
    /// </summary>
    public static async Task RegisterAndStakeAsync(this AnvilChain chain, int operatorAccount, TestNode node, int mintTokens = 2_000, string endpoint = "http://127.0.0.1:1")
    {
        await chain.MintAsync(AnvilChain.DevAddress(operatorAccount), mintTokens);
        NodeOperator op = await NodeOperator.CreateAsync(await chain.SenderAsync(operatorAccount), chain.Deployment, CancellationToken.None);
        var nodeKey = new NodeKey(node.PrivateKey);
        await op.RegisterAsync(nodeKey, endpoint, new Hardware(1024, 1000, 1000, 0), null, CancellationToken.None);
        await op.StakeAsync(nodeKey.Address, Stake, false, null, CancellationToken.None);
    }
}
