using System.Numerics;
using DePinLedger.Chain.Rpc;
using DePinLedger.Protocol.Encoding;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;

namespace DePinLedger.Chain.Deployment;

/// <summary>Parameters of a fresh deployment; the defaults are DeployDePin.s.sol's.</summary>
public sealed record DeploymentSettings
{
    public BigInteger MinStake { get; init; } = BigInteger.Pow(10, 21); // 1 000 tokens
    public ulong UnbondingDelay { get; init; } = 14 * 86_400;
    public ulong ChallengeWindow { get; init; } = 86_400;
    public ulong MaxDisputeDuration { get; init; } = 7 * 86_400;
    public ulong MaxJobDuration { get; init; } = 86_400;
    public ushort SlashRewardBps { get; init; } = 5_000;
    public ushort ProtocolFeeBps { get; init; } = 500;
}

/// <summary>
/// Deploys DePinToken, ModelRegistry, StakeManager and JobMarket from the forge artifacts with the connection's
/// account (the local devnet and the tests; production uses the forge script) and returns the deployment file
/// DeployDePin.s.sol would write.
/// </summary>
public static class ContractDeployer
{
    public static async Task<DeploymentFile> DeployAsync(ChainConnection chain, string deployer, string outDirectory, DeploymentSettings settings, CancellationToken cancellation)
    {
        ulong startBlock = await chain.GetBlockNumberAsync(cancellation);
        string token = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "DePinToken"), cancellation, "DePin Token", "DPIN");
        string registry = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "ModelRegistry"), cancellation);
        string stakeManager = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "StakeManager"), cancellation,
            token, settings.MinStake, settings.UnbondingDelay, settings.ChallengeWindow, settings.MaxDisputeDuration, settings.SlashRewardBps);
        string jobMarket = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "JobMarket"), cancellation,
            token, registry, stakeManager, deployer, settings.ProtocolFeeBps, settings.MaxJobDuration);
        return new DeploymentFile
        {
            ChainId = (ulong)chain.ChainId,
            StartBlock = startBlock,
            Deployer = AddressText.Checksum(deployer),
            Token = token,
            ModelRegistry = registry,
            StakeManager = stakeManager,
            JobMarket = jobMarket,
            DisputeGame = "0x0000000000000000000000000000000000000000",
            Treasury = AddressText.Checksum(deployer),
            Params = new DeploymentParams
            {
                MinStake = settings.MinStake.ToString(System.Globalization.CultureInfo.InvariantCulture),
                UnbondingDelay = settings.UnbondingDelay,
                ChallengeWindow = settings.ChallengeWindow,
                MaxDisputeDuration = settings.MaxDisputeDuration,
                MaxJobDuration = settings.MaxJobDuration,
                SlashRewardBps = settings.SlashRewardBps,
                ProtocolFeeBps = settings.ProtocolFeeBps,
            },
        };
    }

    /// <summary>Deploys one artifact with constructor arguments and returns its address.</summary>
    public static async Task<string> DeployAsync(ChainConnection chain, string deployer, ContractArtifact artifact, CancellationToken cancellation, params object[] arguments)
    {
        TransactionReceipt receipt = await chain.ReadAsync(() => chain.Web3.Eth.DeployContract.SendRequestAndWaitForReceiptAsync(
            artifact.Abi, artifact.Bytecode, deployer, new HexBigInteger(8_000_000), null, arguments), cancellation);
        if (receipt.Status?.Value != 1 || receipt.ContractAddress is null)
            throw new InvalidOperationException($"deploying {artifact.Name} failed in transaction {receipt.TransactionHash}");
        return AddressText.Checksum(receipt.ContractAddress);
    }
}
