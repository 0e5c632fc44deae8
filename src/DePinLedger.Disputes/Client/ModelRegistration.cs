using DePinLedger.Chain.Contracts.Models;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Transactions;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Disputes.Client;

/// <summary>
/// Registers an imported model in the ModelRegistry: its id, the weights root the step verifier proves layers against,
/// its shape, and the verifier the dispute game will call for its steps.
/// </summary>
public static class ModelRegistration
{
    /// <summary>
    /// Registers <paramref name="model"/> with <paramref name="verifier"/> from <paramref name="sender"/>'s account; the
    /// id is the model's own unless <paramref name="modelId"/> names another (only tests of refusals want that).
    /// </summary>
    public static Task<SentTransaction> RegisterAsync(TransactionSender sender, DeploymentFile deployment, IntegerModel model, string verifier, string metadataUri,
        CancellationToken cancellation, Bytes32? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig c = model.Config;
        return sender.SendAsync(deployment.ModelRegistry, new RegisterModelFunction
        {
            ModelId = (modelId ?? new Bytes32(model.ModelId.AsSpan())).ToArray(),
            WeightsRoot = model.WeightsRoot.ToArray(),
            Dims = new ModelDims
            {
                LayerCount = (ushort)c.Layers, HeadCount = (ushort)c.Heads, KvHeadCount = (ushort)c.KvHeads, Dim = (uint)c.Dim,
                HiddenDim = (uint)c.HiddenDim, VocabSize = (uint)c.VocabSize, MaxSeqLen = (uint)c.SeqLen,
            },
            Verifier = verifier,
            MetadataURI = metadataUri,
        }, "register the model", null, cancellation);
    }
}
