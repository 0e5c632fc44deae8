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

    /// <summary>
    /// Also deploy the LayerStepVerifier and the DisputeGame and set the game in the StakeManager, as the forge script
    /// does. Off by default: tests that stand in for the game (a mock set once) need the setter still unused.
    /// </summary>
    public bool DeployDisputeGame { get; init; }

    public BigInteger ChallengerBond { get; init; } = BigInteger.Pow(10, 20); // 100 tokens, a tenth of the minimum stake

    /// <summary>Most stake slashed per wrong node; 2^256 − 1 takes everything slashable.</summary>
    public BigInteger SlashAmount { get; init; } = BigInteger.Pow(2, 256) - 1;

    /// <summary>The dispute game's chess-clock extension; 0 = the script's default, maxDisputeDuration / 168.</summary>
    public ulong ClockExtension { get; init; }

    /// <summary>Each side's clock; 0 = the script's default, (maxDisputeDuration − 2 × 33 × extension) / 2.</summary>
    public ulong ClockDuration { get; init; }

    /// <summary>(clock, extension) as DeployDePin.s.sol derives them (DisputeGame.MAX_ROUNDS = 33).</summary>
    public (ulong Clock, ulong Extension) Clocks()
    {
        ulong extension = ClockExtension != 0 ? ClockExtension : MaxDisputeDuration / 168;
        ulong extensions = 2 * 33 * extension;
        ulong clock = ClockDuration != 0 ? ClockDuration : MaxDisputeDuration > extensions ? (MaxDisputeDuration - extensions) / 2 : 0;
        return (clock, extension);
    }
}

/// <summary>
/// Deploys DePinToken, ModelRegistry, StakeManager, JobMarket, the LayerStepVerifier and the DisputeGame (set once in
/// the StakeManager; it creates its StepProver) from the forge artifacts with the connection's
/// account (the local devnet and the tests; production uses the forge script) and returns the deployment file
/// DeployDePin.s.sol would write.
/// </summary>
public static class ContractDeployer
{
    private const string Zero = "0x0000000000000000000000000000000000000000";

    public static async Task<DeploymentFile> DeployAsync(ChainConnection chain, string deployer, string outDirectory, DeploymentSettings settings, CancellationToken cancellation)
    {
        ulong startBlock = await chain.GetBlockNumberAsync(cancellation);
        string token = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "DePinToken"), cancellation, "DePin Token", "DPIN");
        string registry = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "ModelRegistry"), cancellation);
        string stakeManager = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "StakeManager"), cancellation,
            token, settings.MinStake, settings.UnbondingDelay, settings.ChallengeWindow, settings.MaxDisputeDuration, settings.SlashRewardBps);
        string jobMarket = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "JobMarket"), cancellation,
            token, registry, stakeManager, deployer, settings.ProtocolFeeBps, settings.MaxJobDuration);
        (ulong clock, ulong extension) = settings.Clocks();
        string verifier = Zero, game = Zero, prover = Zero;
        if (settings.DeployDisputeGame)
        {
            verifier = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "LayerStepVerifier"), cancellation);
            game = await DeployAsync(chain, deployer, ContractArtifact.Load(outDirectory, "DisputeGame"), cancellation,
                jobMarket, settings.ChallengerBond, settings.SlashAmount, clock, extension);
            await SetDisputeGameAsync(chain, deployer, stakeManager, game, cancellation);
            prover = AddressText.Checksum(await chain.QueryAsync<Contracts.Game.StepProverFunction, string>(game, new(), cancellation));
        }
        return new DeploymentFile
        {
            ChainId = (ulong)chain.ChainId,
            StartBlock = startBlock,
            Deployer = AddressText.Checksum(deployer),
            Token = token,
            ModelRegistry = registry,
            StakeManager = stakeManager,
            JobMarket = jobMarket,
            DisputeGame = game,
            StepProver = prover,
            StepVerifier = verifier,
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
                ChallengerBond = settings.ChallengerBond.ToString(System.Globalization.CultureInfo.InvariantCulture),
                SlashAmount = settings.SlashAmount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ClockDuration = clock,
                ClockExtension = extension,
            },
        };
    }

    /// <summary>StakeManager.setDisputeGame(game), signed by the deployer (the one-time setter).</summary>
    private static async Task SetDisputeGameAsync(ChainConnection chain, string deployer, string stakeManager, string game, CancellationToken cancellation)
    {
        var call = new Contracts.Staking.SetDisputeGameFunction { Game = game, FromAddress = deployer, Gas = 200_000 };
        TransactionReceipt receipt = await chain.ReadAsync(() => chain.Web3.Eth.GetContractTransactionHandler<Contracts.Staking.SetDisputeGameFunction>()
            .SendRequestAndWaitForReceiptAsync(stakeManager, call), cancellation);
        if (receipt.Status?.Value != 1) throw new InvalidOperationException($"StakeManager.setDisputeGame failed in transaction {receipt.TransactionHash}");
    }

    /// <summary>Deploys one artifact with constructor arguments and returns its address.</summary>
    public static async Task<string> DeployAsync(ChainConnection chain, string deployer, ContractArtifact artifact, CancellationToken cancellation, params object[] arguments)
    {
        TransactionReceipt receipt = await chain.ReadAsync(() => chain.Web3.Eth.DeployContract.SendRequestAndWaitForReceiptAsync(
            artifact.Abi, artifact.Bytecode, deployer, new HexBigInteger(15_000_000), null, arguments), cancellation);
        if (receipt.Status?.Value != 1 || receipt.ContractAddress is null)
            throw new InvalidOperationException($"deploying {artifact.Name} failed in transaction {receipt.TransactionHash}");
        return AddressText.Checksum(receipt.ContractAddress);
    }
}
