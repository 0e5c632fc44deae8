using System.Buffers.Binary;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>The model file and its commitments (SPEC.md §8).</summary>
public class ModelFileTests
{
    private static byte[] Bytes => ImportedModels.Stories260K.Serialized.ToArray();

    [Fact]
    public void Stories260K_HasExpectedShapeAndStableCommitments()
    {
        IntegerModel model = ImportedModels.Stories260K;
        Assert.Equal(new ModelConfig(64, 172, 5, 8, 4, 512, 512, true), model.Config);
        Assert.Equal(Keccak256.Hash(model.Serialized), model.ModelId);
        // The weights tree opens one layer with one proof.
        MerkleTree tree = model.Commitment.WeightsTree();
        Assert.Equal(model.WeightsRoot, tree.Root);
        int leaf = ModelCommitment.LayerLeafIndex(3);
        Assert.True(MerkleTree.Verify(model.WeightsRoot, Keccak256.Hash(LayerBlob.Serialize(model.Layers[3])), leaf, tree.Proof(leaf)));
    }

    [Fact]
    public void Parse_Truncated_FailsWithClearMessage()
    {
        byte[] bytes = Bytes;
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Parse(bytes[..(bytes.Length - 100)]));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Parse_TrailingBytes_Fails()
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Parse([.. Bytes, 0]));
        Assert.Contains("unexpected bytes", e.Message);
    }

    [Fact]
    public void Parse_BadMagicOrVersion_Fails()
    {
        byte[] bytes = Bytes;
        bytes[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => ModelFile.Parse(bytes)).Message);
        bytes = Bytes;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 99);
        Assert.Contains("version 99", Assert.Throws<InvalidDataException>(() => ModelFile.Parse(bytes)).Message);
    }

    [Fact]
    public void Parse_AbsurdDimensions_Fails()
    {
        byte[] bytes = Bytes;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 63); // dim, not a multiple of 8 heads
        Assert.Contains("dim 63", Assert.Throws<InvalidDataException>(() => ModelFile.Parse(bytes)).Message);
    }

    [Fact]
    public void Parse_WeightOfMinusOneTwentyEight_Fails()
    {
        IntegerModel model = ImportedModels.Stories260K;
        byte[] bytes = Bytes;
        // The first embedding row's first weight: after the header, the config and tokenizer sections and the rotary rows.
        int offset = 8;
        offset += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
        offset += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
        offset += model.Config.SeqLen * model.Config.HeadSize * 4;
        bytes[offset] = 0x80;
        Assert.Contains("-127..127", Assert.Throws<InvalidDataException>(() => ModelFile.Parse(bytes)).Message);
    }

    [Fact]
    public void Commitments_AnyWeightChange_ChangesIdAndWeightsRoot()
    {
        IntegerModel model = ImportedModels.Stories260K;
        byte[] bytes = Bytes;
        int layerStart = bytes.Length - ModelFile.FinalBlob(model).Length - LayerBlob.Serialize(model.Layers[4]).Length;
        bytes[layerStart + 64 * 4 + 10] ^= 1; // a wq weight of the last layer
        IntegerModel changed = ModelFile.Parse(bytes);
        Assert.NotEqual(model.ModelId, changed.ModelId);
        Assert.NotEqual(model.WeightsRoot, changed.WeightsRoot);
        Assert.Equal(model.Commitment.LayerHashes[3], changed.Commitment.LayerHashes[3]);
        Assert.NotEqual(model.Commitment.LayerHashes[4], changed.Commitment.LayerHashes[4]);
    }
}

public class ModelBoundsTests
{
    [Fact]
    public void QuantizedMatrix_MultiplierAtOrAbove2Pow43_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new QuantizedMatrix(1, 2, [1, 2], [QuantizedMatrix.MaxMultiplier]));
        Assert.Contains("2^43", e.Message);
        Assert.Equal(QuantizedMatrix.MaxMultiplier - 1, new QuantizedMatrix(1, 2, [1, 2], [QuantizedMatrix.MaxMultiplier - 1]).Multipliers[0]);
    }

    [Fact]
    public void ModelConfig_HeadSizeAbove2048_IsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => new ModelConfig(4096, 64, 1, 1, 1, 512, 16, true).Validate());
        Assert.Contains("head size 4096", e.Message);
        new ModelConfig(2048, 64, 1, 1, 1, 512, 16, true).Validate();
    }

    [Theory]
    [InlineData(0L, 256)]
    [InlineData((1L << 32) + 1, 256)]
    [InlineData(42950L, 0)]
    [InlineData(42950L, (1 << 16) + 1)]
    public void ModelConstants_OutOfRange_AreRejected(long epsilon, int invSqrt)
    {
        int[] exp = Enumerable.Repeat(1 << 29, 256).ToArray();
        Assert.Throws<InvalidDataException>(() => new ModelConstants(epsilon, invSqrt, exp, exp, [0], [0]));
    }
}
