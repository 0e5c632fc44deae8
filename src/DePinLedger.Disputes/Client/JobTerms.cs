using System.Buffers.Binary;
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
    /// <summary>keccak256 of the prompt token ids packed as big-endian uint32 (leading BOS included).</summary>
    public static Bytes32 PromptHash(IReadOnlyList<int> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var bytes = new byte[4 * prompt.Count];
        for (int i = 0; i < prompt.Count; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), checked((uint)prompt[i]));
        return Keccak.Hash(bytes);
    }

    /// <summary>
    /// The engine's sampling for a job: temperature and top-p in thousandths, ⌈q · 1000 / 65 536⌉ of the Q16.16
    /// values (temperature capped at 2000), and the 64-bit seed big-endian in the low bytes of the 32-byte seed.
    /// </summary>
    public static SamplingParams Sampling(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int temperature = (int)Math.Min(CeilMilli(request.Temperature), SamplingParams.MaxTemperatureMilli);
        return new SamplingParams(temperature, (int)CeilMilli(request.TopP), SamplingParams.SeedFrom(request.Seed));
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

    private static long CeilMilli(uint q16) => ((long)q16 * 1000 + JobRequest.Q16One - 1) / JobRequest.Q16One;
}
