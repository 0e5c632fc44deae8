using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Chain.Contracts.Token;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Receipts;
using Nethereum.Hex.HexTypes;
using Nethereum.Web3.Accounts;
using ProtocolRequest = DePinLedger.Protocol.Jobs.JobRequest;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// Completions paid by a client's EIP-712 voucher: the coordinator checks it, creates the job on-chain with
/// createJobFor (charging the client) and runs it; every bad voucher is a 4xx problem document and costs nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class VoucherTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Prompt = "Once upon a time";

    private VoucherClient _client = null!;

    public async Task InitializeAsync() => _client = await VoucherClient.CreateAsync(fixture);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TheVoucherDigest_IsJobMarkets()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 4);
        byte[] onChain = await fixture.Chain.Deployer.QueryAsync<JobVoucherDigestFunction, byte[]>(fixture.Chain.Deployment.JobMarket,
            new JobVoucherDigestFunction { Request = JobClient.ChainRequest(request) }, CancellationToken.None);
        Assert.Equal(JobVoucher.Digest(request, _client.Domain), new Bytes32(onChain));
    }

    [Fact]
    public async Task AVoucherPaidCompletion_Streams_LandsOnChain_AndChargesTheClient()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 6);
        BigInteger before = await _client.BalanceAsync();
        using HttpResponseMessage response = await Post(new { prompt = Prompt, stream = true, max_tokens = 6, voucher = _client.Voucher(request) });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] data = [.. body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..])];
        Assert.Equal("[DONE]", data[^1]);
        JsonElement[] chunks = [.. data[..^1].Select(d => JsonDocument.Parse(d).RootElement)];
        Bytes32 jobId = request.JobId(_client.Address);
        Assert.All(chunks, c => Assert.Equal("cmpl-" + jobId.ToString()[2..], c.GetProperty("id").GetString()));
        Assert.Equal(7, chunks.Length); // 6 tokens, then the chunk with the finish reason

        JobInfo job = await fixture.OnChainAsync(jobId);
        Assert.Equal(_client.Address, job.Client, StringComparer.OrdinalIgnoreCase);
        Assert.Equal((byte)2, job.Status); // submitted: the stream ends once the result is on-chain
        Assert.Equal(request.Fee, before - await _client.BalanceAsync());
        Assert.Equal((uint)6, (await fixture.ReplicaAsync(jobId, 0)).TokenCount);
    }

    [Fact]
    public async Task AReplayedVoucher_Is409_AndCostsTheClientNothing()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2);
        object voucher = _client.Voucher(request);
        using (HttpResponseMessage first = await Post(new { prompt = Prompt, voucher }))
            Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        BigInteger before = await _client.BalanceAsync();
        await ExpectProblem(HttpStatusCode.Conflict, "Voucher already redeemed", "a voucher pays for one job", new { prompt = Prompt, voucher });
        Assert.Equal(before, await _client.BalanceAsync());
    }

    [Fact]
    public async Task ASignatureNotTheClients_Is401()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2);
        var stranger = new NodeKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await ExpectProblem(HttpStatusCode.Unauthorized, "Invalid voucher signature", $"signed by {stranger.Address}",
            new { prompt = Prompt, voucher = _client.Voucher(request, JobVoucher.Sign(request, _client.Domain, stranger)) });

        // A request changed after signing recovers a stranger too.
        object tampered = _client.Voucher(request with { Fee = request.Fee + 1 }, _client.Sign(request));
        await ExpectProblem(HttpStatusCode.Unauthorized, "Invalid voucher signature", "not by its client", new { prompt = Prompt, voucher = tampered });

        // The malleable twin (r, n - s, v ^ 1) of the client's own signature is refused, as JobMarket refuses it.
        byte[] signature = _client.Sign(request);
        var n = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        byte[] high = (n - new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true)).ToByteArray(isUnsigned: true, isBigEndian: true);
        high.CopyTo(signature, 32 + 32 - high.Length);
        signature[64] ^= 1;
        await ExpectProblem(HttpStatusCode.Unauthorized, "Invalid voucher signature", "low-s", new { prompt = Prompt, voucher = _client.Voucher(request, signature) });
    }

    [Fact]
    public async Task APromptNotMatchingTheSignedHash_Is422()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2);
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, "Prompt mismatch", "committed to", new { prompt = "Twice upon a time", voucher = _client.Voucher(request) });
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, "Not the paid job", "max_tokens 3 differs", new { prompt = Prompt, max_tokens = 3, voucher = _client.Voucher(request) });
        Assert.Equal((byte)0, (await fixture.OnChainAsync(request.JobId(_client.Address))).Status); // nothing was created
    }

    [Fact]
    public async Task AnExpiredVoucher_Is422()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2) with { Deadline = (ulong)DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds() };
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, "Voucher expired", "has passed", new { prompt = Prompt, voucher = _client.Voucher(request) });
    }

    [Fact]
    public async Task AClientThatCannotPay_Is402()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2) with { Fee = 1_000_000 * GatewayFixture.Token };
        await ExpectProblem(HttpStatusCode.PaymentRequired, "Client cannot pay", "holds", new { prompt = Prompt, voucher = _client.Voucher(request) });
    }

    [Fact]
    public async Task MalformedOrOversizeRequests_Are400And413()
    {
        ProtocolRequest request = _client.Request(Prompt, maxTokens: 2);
        await ExpectProblem(HttpStatusCode.BadRequest, "Malformed JSON", "not a valid request", Raw("{\"prompt\": \"x\", \"voucher\": {"));
        await ExpectProblem(HttpStatusCode.BadRequest, "Malformed JSON", "not a valid request", Raw("{\"prompt\": \"x\", \"voucher\": {\"maxTokens\": -1}}"));
        await ExpectProblem(HttpStatusCode.BadRequest, "Invalid voucher", "valid client", new { prompt = Prompt, voucher = _client.Voucher(request) with { Client = "0x1234" } });
        await ExpectProblem(HttpStatusCode.BadRequest, "Invalid voucher", "valid signature", new { prompt = Prompt, voucher = _client.Voucher(request) with { Signature = "0xdeadbeef" } });
        await ExpectProblem(HttpStatusCode.BadRequest, "Invalid voucher", "valid fee", new { prompt = Prompt, voucher = _client.Voucher(request) with { Fee = JsonDocument.Parse("\"-5\"").RootElement } });
        await ExpectProblem(HttpStatusCode.BadRequest, "Two payments", "not both",
            new { prompt = Prompt, job_id = "0x" + new string('1', 64), voucher = _client.Voucher(request) });
        await ExpectProblem(HttpStatusCode.BadRequest, "Invalid prompt", "non-empty", new { prompt = "", voucher = _client.Voucher(request) });
        await ExpectProblem(HttpStatusCode.RequestEntityTooLarge, "Body too large", "too large", new { prompt = new string('x', 70_000), voucher = _client.Voucher(request) });
        Assert.Equal((byte)0, (await fixture.OnChainAsync(request.JobId(_client.Address))).Status);
    }

    private async Task ExpectProblem(HttpStatusCode status, string title, string detail, object body)
    {
        using HttpResponseMessage response = body is HttpContent raw ? await fixture.Http.PostAsync("/v1/completions", raw) : await Post(body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    private Task<HttpResponseMessage> Post(object body) => fixture.Http.PostAsync("/v1/completions", Raw(JsonSerializer.Serialize(body)));

    /// <summary>
    /// A client of its own (a fresh key funded with gas and 100 tokens, JobMarket approved without limit) that signs
    /// vouchers instead of sending transactions.
    /// </summary>
    private sealed class VoucherClient(GatewayFixture fixture, NodeKey key, Eip712Domain domain)
    {
        public string Address => key.Address;

        public Eip712Domain Domain => domain;

        public static async Task<VoucherClient> CreateAsync(GatewayFixture fixture)
        {
            AnvilChain chain = fixture.Chain;
            byte[] privateKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            var key = new NodeKey(privateKey);
            await chain.Deployer.RequestAsync<object>("anvil_setBalance", CancellationToken.None, key.Address, new HexBigInteger(BigInteger.Pow(10, 20)));
            await chain.MintAsync(key.Address, 100);
            var account = new Account(privateKey, 31337);
            var sender = new TransactionSender(chain.Deployer, account, AnvilChain.FastTransactions);
            await sender.SendAsync(chain.Deployment.Token, new ApproveFunction { Spender = chain.Deployment.JobMarket, Value = BigInteger.Pow(2, 255) }, "approve", null, CancellationToken.None);
            return new VoucherClient(fixture, key, Eip712Domain.For(chain.Deployer.ChainId, chain.Deployment.JobMarket));
        }

        public ProtocolRequest Request(string prompt, uint maxTokens) => new(
            new Bytes32(fixture.Model.ModelId.AsSpan()), JobConventions.PromptHash(fixture.Model.Tokenizer.Encode(prompt, bos: true, eos: false)), maxTokens, 0, ProtocolRequest.Q16One, 1, 1,
            GatewayFixture.Token, (ulong)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), new Bytes32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

        public byte[] Sign(ProtocolRequest request) => JobVoucher.Sign(request, domain, key);

        public Api.VoucherBody Voucher(ProtocolRequest request, byte[]? signature = null) => new(
            request.ModelId.ToString(), request.PromptHash.ToString(), request.MaxTokens, request.Temperature, request.TopP, request.Seed, request.Replicas,
            JsonDocument.Parse($"\"{request.Fee}\"").RootElement, request.Deadline, request.Salt.ToString(), key.Address, "0x" + Convert.ToHexStringLower(signature ?? Sign(request)));

        public Task<BigInteger> BalanceAsync() =>
            fixture.Chain.Deployer.QueryAsync<BalanceOfFunction, BigInteger>(fixture.Chain.Deployment.Token, new BalanceOfFunction { Account = key.Address }, CancellationToken.None);

    }
}
