using System.Collections;
using System.Numerics;
using System.Reflection;
using DePinLedger.Chain.Contracts;
using DePinLedger.Chain.Events;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Tests.Support;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Chain.Tests;

/// <summary>The generated bindings against the deployed contracts: selectors and event decoding.</summary>
public sealed class BindingsTests : IAsyncLifetime
{
    private AnvilChain _anvil = null!;

    public async Task InitializeAsync() => _anvil = await AnvilChain.StartAsync();

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Fact]
    public async Task EveryFunctionSelector_IsInTheDeployedCode()
    {
        var contracts = new Dictionary<string, string>
        {
            ["DePinLedger.Chain.Contracts.Token"] = _anvil.Deployment.Token,
            ["DePinLedger.Chain.Contracts.Models"] = _anvil.Deployment.ModelRegistry,
            ["DePinLedger.Chain.Contracts.Staking"] = _anvil.Deployment.StakeManager,
            ["DePinLedger.Chain.Contracts.Jobs"] = _anvil.Deployment.JobMarket,
        };
        int checkedFunctions = 0;
        foreach ((string ns, string address) in contracts)
        {
            string code = await _anvil.Deployer.Web3.Eth.GetCode.SendRequestAsync(address);
            foreach (Type type in typeof(IAbiFunction).Assembly.GetTypes().Where(t => t.Namespace == ns && typeof(IAbiFunction).IsAssignableFrom(t)))
            {
                var function = (IAbiFunction)Activator.CreateInstance(type)!;
                // The dispatcher compares the call's selector with PUSH4 <selector>.
                Assert.True(code.Contains("63" + AbiSelector.Of(function.AbiSignature)[2..], StringComparison.Ordinal), $"{function.AbiSignature} not in {ns}");
                checkedFunctions++;
            }
        }
        Assert.True(checkedFunctions > 60);
        Assert.Equal("0x2f8b5526", AbiSelector.Of(new Contracts.Jobs.FinalizeFunction().AbiSignature)); // cast sig
    }

    [Fact]
    public async Task GeneratedEventDecoders_AgreeWithNethereum()
    {
        string me = AnvilChain.DevAddress(1);
        await _anvil.MintAsync(me, 5_000);
        NodeOperator op = await NodeOperator.CreateAsync(await _anvil.SenderAsync(1), _anvil.Deployment, default);
        await op.RegisterAsync(null, "https://a", new Hardware(1, 2, 3, 4), null, default);
        await op.StakeAsync(me, 1_500 * BigInteger.Pow(10, 18), false, null, default);
        await op.UnbondAsync(me, 7, null, default);
        await _anvil.WarpAsync(TimeSpan.FromDays(15));
        await op.WithdrawAsync(me, null, default);
        FilterLog[] logs = await _anvil.Deployer.Web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
        {
            FromBlock = new BlockParameter(new HexBigInteger(0)),
            ToBlock = BlockParameter.CreateLatest(),
            Address = [_anvil.Deployment.Token, _anvil.Deployment.StakeManager],
        });

        var names = new HashSet<string>();
        foreach (FilterLog log in logs)
        {
            ContractKind kind = string.Equals(log.Address, _anvil.Deployment.Token, StringComparison.OrdinalIgnoreCase) ? ContractKind.Token : ContractKind.StakeManager;
            string[] topics = [.. log.Topics.Select(t => t.ToString()!)];
            DecodedEvent fast = ContractEvents.Decode(kind, topics, log.Data)!;
            DecodedEvent slow = ContractEvents.DecodeWithNethereum(kind, topics, log.Data)!;
            names.Add(fast.Name);
            foreach (PropertyInfo p in fast.Event.GetType().GetProperties())
                Assert.True(Same(p.GetValue(fast.Event), p.GetValue(slow.Event)), $"{fast.Name}.{p.Name}");
        }
        Assert.Superset(new HashSet<string> { "Transfer", "Approval", "Staked", "UnbondRequested", "Withdrawn", "NodeRegistered" }, names);
    }

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.Equals(x, y, StringComparison.OrdinalIgnoreCase),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (IList x, IList y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => Same(x[i], y[i])),
        (not null, not null) when a.GetType().Namespace?.StartsWith("DePinLedger", StringComparison.Ordinal) == true =>
            a.GetType().GetProperties().All(p => Same(p.GetValue(a), p.GetValue(b))),
        _ => Equals(a, b),
    };
}
