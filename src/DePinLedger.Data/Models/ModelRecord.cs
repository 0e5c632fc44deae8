namespace DePinLedger.Data.Models;

/// <summary>A model commitment registered in ModelRegistry.</summary>
public sealed class ModelRecord
{
    public string ModelId { get; set; } = "";
    public string WeightsRoot { get; set; } = "";
    public string Verifier { get; set; } = "";
    public string Registrant { get; set; } = "";
    public int LayerCount { get; set; }
    public int HeadCount { get; set; }
    public int KvHeadCount { get; set; }
    public long Dim { get; set; }
    public long HiddenDim { get; set; }
    public long VocabSize { get; set; }
    public long MaxSeqLen { get; set; }
    public string MetadataUri { get; set; } = "";
    public long BlockNumber { get; set; }
}
