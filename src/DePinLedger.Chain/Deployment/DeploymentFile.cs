using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using DePinLedger.Chain.Errors;
using DePinLedger.Chain.Rpc;

namespace DePinLedger.Chain.Deployment;

/// <summary>Parameters a deployment was made with (token amounts as decimal strings: they exceed 2^53).</summary>
public sealed record DeploymentParams
{
    public string MinStake { get; init; } = "0";
    public ulong UnbondingDelay { get; init; }
    public ulong ChallengeWindow { get; init; }
    public ulong MaxDisputeDuration { get; init; }
    public ulong MaxJobDuration { get; init; }
    public ushort SlashRewardBps { get; init; }
    public ushort ProtocolFeeBps { get; init; }
    public string ChallengerBond { get; init; } = "0";
    public string SlashAmount { get; init; } = "0";
    public ulong ClockDuration { get; init; }
    public ulong ClockExtension { get; init; }
}

/// <summary>
/// deploy/addresses/&lt;chainId&gt;.json as contracts/script/DeployDePin.s.sol writes it: where the contracts are, the
/// block to index from and the parameters.
/// </summary>
public sealed record DeploymentFile
{
    /// <summary>Environment variable naming the deployment file.</summary>
    public const string PathVariable = "DEPIN_DEPLOYMENT";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    public ulong ChainId { get; init; }
    public ulong StartBlock { get; init; }
    public string Deployer { get; init; } = "";
    public string Token { get; init; } = "";
    public string ModelRegistry { get; init; } = "";
    public string StakeManager { get; init; } = "";
    public string JobMarket { get; init; } = "";
    public string DisputeGame { get; init; } = "";
    public string StepProver { get; init; } = "";
    public string StepVerifier { get; init; } = "";
    public string Treasury { get; init; } = "";
    public DeploymentParams Params { get; init; } = new();

    /// <summary>The contracts the indexer follows and the chain client checks.</summary>
    [JsonIgnore]
    public IReadOnlyList<(string Name, string Address)> Contracts =>
        [("token", Token), ("modelRegistry", ModelRegistry), ("stakeManager", StakeManager), ("jobMarket", JobMarket)];

    public static DeploymentFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"deployment file not found: {path} (deploy the contracts or pass --deployment)", path);
        try
        {
            return JsonSerializer.Deserialize<DeploymentFile>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a deployment file: {e.Message}", e);
        }
    }

    /// <summary>$DEPIN_DEPLOYMENT, else deploy/addresses/&lt;chainId&gt;.json under the current folder.</summary>
    public static string DefaultPath(BigInteger chainId) =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path
            ? path
            : Path.Combine("deploy", "addresses", $"{chainId}.json");

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>
    /// Checks that <paramref name="chain"/> is the chain this deployment is for and that every contract has code:
    /// a wrong endpoint or a stale file fails here with a clear message instead of as an odd revert later.
    /// </summary>
    public async Task VerifyAsync(ChainConnection chain, CancellationToken cancellation)
    {
        if (chain.ChainId != ChainId)
            throw new ChainMismatchException($"{chain.Options.Rpc} serves chain {chain.ChainId}, but the deployment is for chain {ChainId}");
        foreach ((string name, string address) in Contracts)
        {
            if (!await chain.HasCodeAsync(address, cancellation))
                throw new ChainMismatchException($"no contract at {address} ({name}) on chain {ChainId} at {chain.Options.Rpc}: the deployment file is stale or the chain was reset");
        }
    }
}
