using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Client;

/// <summary>
/// The conventions the dispute game fixes between a job on chain and the engine (contracts/README.md, "Conventions
/// the game fixes"; StepProver.samplingOf and promptHashOf).
/// </summary>
public static class JobTerms
{
    /// <summary>keccak256 of the prompt token ids packed as big-endian uint32 (leading BOS included); see <see cref="JobConventions.PromptHash"/>.</summary>
    public static Bytes32 PromptHash(IReadOnlyList<int> prompt) => JobConventions.PromptHash(prompt);

    /// <summary>
    /// The engine's sampling for a job: temperature and top-p in thousandths, ⌈q · 1000 / 65 536⌉ of the Q16.16
    /// values (temperature capped at 2000), and the 64-bit seed big-endian in the low bytes of the 32-byte seed.
    /// </summary>
    public static SamplingParams Sampling(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new SamplingParams(JobConventions.TemperatureMilli(request), JobConventions.TopPMilli(request), SamplingParams.SeedFrom(request.Seed));
    }

    public static Prover.JobRequest ToProver(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new Prover.JobRequest
        {
            ModelId = request.ModelId.ToArray(), PromptHash = request.PromptHash.ToArray(), MaxTokens = request.MaxTokens, Temperature = request.Temperature,
            TopP = request.TopP, Seed = request.Seed, Replicas = request.Replicas, Fee = request.Fee, Deadline = request.Deadline, Salt = request.Salt.ToArray(),
        };
    }
}
