using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Protocol.Receipts;

/// <summary>
/// The node key's consent to be registered by an operator (StakeManager's <c>NodeKey(address operator)</c>, EIP-712 in
/// the StakeManager's domain). Needed only when the node key is not the operator's own account.
/// </summary>
public readonly record struct NodeKeyAuthorization(string Operator)
{
    public const string TypeString = "NodeKey(address operator)";

    public static readonly Bytes32 TypeHash = Keccak.Hash(TypeString);

    public Bytes32 StructHash() => new AbiWords().Bytes32(TypeHash).Address(Operator).Keccak();

    public Bytes32 Digest(Eip712Domain stakeManager) => stakeManager.Digest(StructHash());

    public byte[] Sign(Eip712Domain stakeManager, NodeKey key) => key.Sign(Digest(stakeManager));
}
