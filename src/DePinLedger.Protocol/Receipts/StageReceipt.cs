using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Protocol.Receipts;

/// <summary>
/// What a pipeline stage signs for its part of a job (JobMarket's <c>StageReceipt</c>, EIP-712, signed by the node key
/// in the JobMarket's domain). The type string is JobMarket's <c>STAGE_RECEIPT_TYPEHASH</c> preimage, field for field.
/// </summary>
/// <param name="JobId">Job id (keccak256(abi.encode(client, request))).</param>
/// <param name="Replica">Replica index, 0 or 1.</param>
/// <param name="Stage">Position of the stage in its pipeline, from 0.</param>
/// <param name="FirstLayer">First transformer layer the stage ran.</param>
/// <param name="LastLayer">Last transformer layer the stage ran (inclusive).</param>
/// <param name="InputRoot">Commitment to the stage's inputs (the previous stage's output root).</param>
/// <param name="TraceRoot">Merkle root of the stage's trace leaves.</param>
/// <param name="OutputRoot">Commitment to the stage's outputs.</param>
public readonly record struct StageReceipt(
    Bytes32 JobId, byte Replica, byte Stage, ushort FirstLayer, ushort LastLayer, Bytes32 InputRoot, Bytes32 TraceRoot, Bytes32 OutputRoot)
{
    public const string TypeString =
        "StageReceipt(bytes32 jobId,uint8 replica,uint8 stage,uint16 firstLayer,uint16 lastLayer,bytes32 inputRoot,bytes32 traceRoot,bytes32 outputRoot)";

    public static readonly Bytes32 TypeHash = Keccak.Hash(TypeString);

    /// <summary>hashStruct: keccak256(abi.encode(TYPEHASH, fields…)).</summary>
    public Bytes32 StructHash() => new AbiWords()
        .Bytes32(TypeHash)
        .Bytes32(JobId)
        .Uint(Replica)
        .Uint(Stage)
        .Uint(FirstLayer)
        .Uint(LastLayer)
        .Bytes32(InputRoot)
        .Bytes32(TraceRoot)
        .Bytes32(OutputRoot)
        .Keccak();

    /// <summary>The digest the node key signs, in the JobMarket's domain.</summary>
    public Bytes32 Digest(Eip712Domain jobMarket) => jobMarket.Digest(StructHash());

    /// <summary>Signs the receipt with the node key: 65 bytes r ‖ s ‖ v.</summary>
    public byte[] Sign(Eip712Domain jobMarket, NodeKey key) => key.Sign(Digest(jobMarket));
}
