using DePinLedger.Chain.Contracts;
using DePinLedger.Disputes.Client;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Tests;

/// <summary>Calldata from a node is validated: another function's, truncated or garbled input never passes as a move.</summary>
public sealed class ChainRecordsTests
{
    [Fact]
    public void Decode_OtherSelector_IsNull_TruncatedIsInvalidData_ValidRoundTrips()
    {
        var step = new Prover.StepEmbeddingFunction
        {
            DisputeId = 7,
            Claims = new Prover.StepClaims { HiddenIn = new byte[32], CarryIn = new byte[32], DefenderLeaf = new byte[32], ChallengerLeaf = new byte[32] },
            Job = new Prover.JobInputs { Request = new Prover.JobRequest { ModelId = new byte[32], PromptHash = new byte[32], Salt = new byte[32] }, Prompt = [1, 2, 3] },
            Step = new Prover.EmbeddingStep { Position = 2, Token = 3, Row = [1, 2], EmbeddingRoot = new byte[32] },
        };
        string input = AbiSelector.Fix(step, "0x" + Convert.ToHexStringLower(Nethereum.Contracts.FunctionMessageExtensions.GetCallData(step)));

        Prover.StepEmbeddingFunction? decoded = ChainRecords.Decode<Prover.StepEmbeddingFunction>(input);
        Assert.NotNull(decoded);
        Assert.Equal(7, (int)decoded.DisputeId);
        Assert.Equal([1u, 2u, 3u], decoded.Job.Prompt);
        Assert.Equal(3u, decoded.Step.Token);

        Assert.Null(ChainRecords.Decode<Prover.StepLayerFunction>(input));
        Assert.Null(ChainRecords.Decode<Prover.StepLayerFunction>("0x12"));
        Assert.Throws<InvalidDataException>(() => ChainRecords.Decode<Prover.StepEmbeddingFunction>(input[..200]));
    }
}
