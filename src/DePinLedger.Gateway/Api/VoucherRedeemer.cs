using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Contracts.Errors;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Errors;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Gateway.Jobs;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Receipts;
using Microsoft.AspNetCore.Http;
using CreateJobForFunction = DePinLedger.Chain.Contracts.Jobs.CreateJobForFunction;

namespace DePinLedger.Gateway.Api;

/// <summary>
/// A client's EIP-712 <c>JobVoucher</c> as JSON: the JobMarket request fields (named as in the typed data), the client
/// and its 65-byte signature. <c>fee</c> is in the token's smallest unit, as a string or an integer.
/// </summary>
public sealed record VoucherBody(
    [property: JsonPropertyName("modelId")] string? ModelId,
    [property: JsonPropertyName("promptHash")] string? PromptHash,
    [property: JsonPropertyName("maxTokens")] uint? MaxTokens,
    [property: JsonPropertyName("temperature")] uint? Temperature,
    [property: JsonPropertyName("topP")] uint? TopP,
    [property: JsonPropertyName("seed")] ulong? Seed,
    [property: JsonPropertyName("replicas")] byte? Replicas,
    [property: JsonPropertyName("fee")] JsonElement? Fee,
    [property: JsonPropertyName("deadline")] ulong? Deadline,
    [property: JsonPropertyName("salt")] string? Salt,
    [property: JsonPropertyName("client")] string? Client,
    [property: JsonPropertyName("signature")] string? Signature);

/// <summary>
/// Pays a completion with a client's voucher: checks it off-chain first (well formed 400, signed by the client 401,
/// deadline ahead and prompt hashing to the signed hash 422, not redeemed yet 409, client able to pay 402), then has the
/// coordinator's account send <c>JobMarket.createJobFor</c>, which charges the client. Checking first keeps the
/// coordinator from paying gas for a transaction that would revert, and the client from paying for a job that cannot run.
/// </summary>
public sealed class VoucherRedeemer(CoordinatorChain chain, ChainIdentity identity, JobCoordinator coordinator, OnChainJobReader chainJobs)
{
    private static readonly BigInteger MaxFee = (BigInteger.One << 96) - 1;

    /// <summary>The job id of the created job, or the problem that stopped it.</summary>
    /// <param name="voucher">The voucher as posted.</param>
    /// <param name="prompt">The prompt, which must hash to the voucher's prompt hash.</param>
    /// <param name="mismatch">The caller's check of the request against the rest of its body (sampling fields), or null when it agrees.</param>
    /// <param name="cancellation">Cancels the reads and the transaction.</param>
    public async Task<(Bytes32 JobId, IResult? Problem)> RedeemAsync(VoucherBody voucher, string prompt, Func<JobRequest, IResult?> mismatch, CancellationToken cancellation)
    {
        if (Parse(voucher) is not ({ } request, { } client, { } signature))
            return (default, Invalid(voucher));
        var domain = Eip712Domain.For(identity.ChainId, identity.JobMarket);
        string? signer = JobVoucher.Signer(request, domain, signature);
        if (signer is null || !string.Equals(signer, client, StringComparison.OrdinalIgnoreCase))
            return (default, JobEndpoints.Problem(StatusCodes.Status401Unauthorized, "Invalid voucher signature", signer is null
                ? "the voucher signature is not a 65-byte low-s ECDSA signature (r, s, v)"
                : $"the voucher is signed by {signer}, not by its client {client}"));
        Bytes32 jobId = request.JobId(client);
        if (request.Deadline <= (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds())
            return (jobId, JobEndpoints.Problem(StatusCodes.Status422UnprocessableEntity, "Voucher expired",
                $"the voucher's deadline {DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(request.Deadline, long.MaxValue / 1000)):u} has passed"));
        if (mismatch(request) is { } different) return (jobId, different);
        coordinator.CheckRequest(jobId, request, prompt);
        if (coordinator.Find(jobId) is not null || await chainJobs.ReadAsync(jobId, cancellation) is not null)
            return (jobId, Replayed(jobId));
        if (await ShortfallAsync(client, request.Fee, cancellation) is { } shortfall)
            return (jobId, JobEndpoints.Problem(StatusCodes.Status402PaymentRequired, "Client cannot pay", shortfall));
        try
        {
            await chain.Submitter.SendAsync(chain.JobMarket, new CreateJobForFunction
            {
                Client = client,
                Request = JobClient.ChainRequest(request),
                Signature = signature,
            }, $"create job {jobId} with the voucher of {client}", null, cancellation);
            return (jobId, null);
        }
        catch (ContractRevertedException e)
        {
            return (jobId, Reverted(jobId, e));
        }
    }

    /// <summary>What the client lacks to pay <paramref name="fee"/> (balance, or allowance to JobMarket), or null.</summary>
    private async Task<string?> ShortfallAsync(string client, BigInteger fee, CancellationToken cancellation)
    {
        string token = chain.Deployment.Token;
        BigInteger balance = await chain.Connection.QueryAsync<BalanceOfFunction, BigInteger>(token, new BalanceOfFunction { Account = client }, cancellation);
        if (balance < fee) return $"client {client} holds {balance} token units, the voucher's fee is {fee}";
        BigInteger allowance = await chain.Connection.QueryAsync<AllowanceFunction, BigInteger>(token, new AllowanceFunction { Owner = client, Spender = chain.JobMarket }, cancellation);
        return allowance < fee ? $"client {client} allows JobMarket {chain.JobMarket} {allowance} token units, the voucher's fee is {fee}: approve it first" : null;
    }

    private static IResult Replayed(Bytes32 jobId) =>
        JobEndpoints.Problem(StatusCodes.Status409Conflict, "Voucher already redeemed", $"job {jobId} already exists: a voucher pays for one job");

    /// <summary>A revert the off-chain checks did not foresee (a race with another redemption, a deadline beyond the market's limit).</summary>
    private static IResult Reverted(Bytes32 jobId, ContractRevertedException e) => e switch
    {
        ContractRevertedException<JobMarketJobExistsError> => Replayed(jobId),
        ContractRevertedException<JobMarketInvalidVoucherError> => JobEndpoints.Problem(StatusCodes.Status401Unauthorized, "Invalid voucher signature", e.Message),
        ContractRevertedException<ERC20InsufficientAllowanceError> or ContractRevertedException<ERC20InsufficientBalanceError> =>
            JobEndpoints.Problem(StatusCodes.Status402PaymentRequired, "Client cannot pay", e.Message),
        _ => JobEndpoints.Problem(StatusCodes.Status422UnprocessableEntity, "Voucher refused by JobMarket", e.Message),
    };

    private static (JobRequest?, string?, byte[]?) Parse(VoucherBody v)
    {
        if (!Bytes32.TryParse(v.ModelId, out Bytes32 model) || !Bytes32.TryParse(v.PromptHash, out Bytes32 promptHash) || !Bytes32.TryParse(v.Salt, out Bytes32 salt)
            || v.MaxTokens is not { } maxTokens || v.Temperature is not { } temperature || v.TopP is not { } topP || v.Seed is not { } seed
            || v.Replicas is not { } replicas || v.Deadline is not { } deadline || Fee(v.Fee) is not { } fee || !AddressText.IsValid(v.Client)
            || Signature(v.Signature) is not { } signature)
            return (null, null, null);
        return (new JobRequest(model, promptHash, maxTokens, temperature, topP, seed, replicas, fee, deadline, salt), AddressText.Checksum(v.Client!), signature);
    }

    /// <summary>The 400 naming the first field that is missing or malformed.</summary>
    private static IResult Invalid(VoucherBody v)
    {
        string field =
            !Bytes32.TryParse(v.ModelId, out _) ? "modelId (0x + 64 hex digits)"
            : !Bytes32.TryParse(v.PromptHash, out _) ? "promptHash (0x + 64 hex digits)"
            : !Bytes32.TryParse(v.Salt, out _) ? "salt (0x + 64 hex digits)"
            : v.MaxTokens is null ? "maxTokens"
            : v.Temperature is null ? "temperature (Q16.16)"
            : v.TopP is null ? "topP (Q16.16)"
            : v.Seed is null ? "seed"
            : v.Replicas is null ? "replicas"
            : v.Deadline is null ? "deadline (unix seconds)"
            : Fee(v.Fee) is null ? "fee (token units, a positive integer below 2^96)"
            : !AddressText.IsValid(v.Client) ? "client (an address)"
            : "signature (0x + 130 hex digits)";
        return JobEndpoints.Problem(StatusCodes.Status400BadRequest, "Invalid voucher", $"the voucher needs a valid {field}");
    }

    private static BigInteger? Fee(JsonElement? fee)
    {
        string? text = fee switch
        {
            { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            _ => null,
        };
        return BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out BigInteger value) && value > 0 && value <= MaxFee ? value : null;
    }

    private static byte[]? Signature(string? hex)
    {
        if (hex is not { Length: 132 } || !hex.StartsWith("0x", StringComparison.Ordinal)) return null;
        try
        {
            return Convert.FromHexString(hex.AsSpan(2));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
