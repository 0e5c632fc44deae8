using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Protocol.Jobs;

/// <summary>
/// What a client asks for (JobMarket's <c>JobRequest</c>). The job id is keccak256(abi.encode(client, request)), so
/// it commits to every field.
/// </summary>
/// <param name="ModelId">ModelRegistry id.</param>
/// <param name="PromptHash">Hash of the prompt tokens (the prompt travels off-chain).</param>
/// <param name="MaxTokens">Most tokens to generate.</param>
/// <param name="Temperature">Sampling temperature, unsigned Q16.16 (65536 = 1.0; 0 = greedy).</param>
/// <param name="TopP">Nucleus mass, Q16.16 in (0, 65536].</param>
/// <param name="Seed">Sampler seed.</param>
/// <param name="Replicas">1, or 2 for a verified job.</param>
/// <param name="Fee">Escrowed payment in the token's smallest unit (uint96).</param>
/// <param name="Deadline">Last second (unix time) at which a result may be submitted.</param>
/// <param name="Salt">Client-chosen, makes the id unique.</param>
public sealed record JobRequest(
    Bytes32 ModelId, Bytes32 PromptHash, uint MaxTokens, uint Temperature, uint TopP, ulong Seed, byte Replicas,
    System.Numerics.BigInteger Fee, ulong Deadline, Bytes32 Salt)
{
    /// <summary>topP = 1.0 in Q16.16.</summary>
    public const uint Q16One = 1 << 16;

    /// <summary>The id JobMarket gives this request from <paramref name="client"/> (its <c>computeJobId</c>).</summary>
    public Bytes32 JobId(string client) => AppendTo(new AbiWords().Address(client)).Keccak();

    /// <summary>Appends <c>abi.encode(request)</c> (every field a static word, in order): the job id's and the voucher's encoding.</summary>
    public AbiWords AppendTo(AbiWords words) => words
        .Bytes32(ModelId)
        .Bytes32(PromptHash)
        .Uint(MaxTokens)
        .Uint(Temperature)
        .Uint(TopP)
        .Uint(Seed)
        .Uint(Replicas)
        .Uint(Fee)
        .Uint(Deadline)
        .Bytes32(Salt);
}
