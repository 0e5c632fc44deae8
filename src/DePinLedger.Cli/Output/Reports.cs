namespace DePinLedger.Cli.Output;

/// <summary>What <c>depin infer --json</c> prints.</summary>
internal sealed record InferReport(
    string ModelId,
    int PromptTokens,             // BOS included
    int Tokens,                   // generated, a final BOS/EOS included
    string Text,                  // prompt and generated text, decoded; stop tokens print nothing
    string TraceRoot,             // Merkle root over the trace leaves
    string OutputHash,            // hash over the output tokens
    double TokensPerSecond,       // decode: generated tokens after the first, per second of decode
    double PrefillMs,             // prompt processing up to the first generated token
    double DecodeMs,              // the remaining tokens
    int Leaves,                   // trace leaves committed
    string StopReason,            // eos, bos, max_tokens or context_length
    int TemperatureMilli,
    int TopPMilli,
    ulong Seed,
    int Threads);

/// <summary>What <c>depin model import</c> and <c>depin model synth</c> print with --json.</summary>
internal sealed record ModelReport(string ModelId, string WeightsRoot, long Parameters, string Out, long Bytes);

/// <summary>What <c>depin model info --json</c> prints.</summary>
internal sealed record ModelInfoReport(
    string ModelId,
    string WeightsRoot,
    string Path,
    string Format,                // "dplm" (model file) or "llama2c" (float checkpoint, imported on load)
    string? TokenizerPath,        // beside a llama2.c checkpoint; null for a model file
    int Dim,
    int HiddenDim,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadSize,
    int VocabSize,
    int SeqLen,
    bool SharedClassifier,
    long Parameters,
    long FileBytes,               // the file MODEL resolved to
    long ModelBytes);             // the model-file serialization, which the model id hashes

/// <summary>What <c>depin model export-gguf --json</c> prints.</summary>
internal sealed record GgufExportReport(
    string Source,                // the file MODEL resolved to
    string Weights,               // float checkpoint weights, or an int8 model file's dequantized weights
    string Type,                  // f32 or q8_0, as asked
    int Tensors,
    int Q8Tensors,                // stored as Q8_0; the rest are float32
    IReadOnlyList<string> KeptF32, // matrices asked for as q8_0 but kept float32 (rows not a multiple of 32)
    string Out,
    long Bytes);

/// <summary>What <c>depin model eval</c> prints.</summary>
internal sealed record EvalReport(
    string ModelId,
    double Perplexity,            // integer engine
    double? FloatPerplexity,      // float32 reference on the same tokens; null without a llama2.c checkpoint
    string FloatReference,        // where the float reference came from, or why there is none
    int Tokens,                   // predicted tokens: each sequence's tokens after BOS
    int Sequences);
