using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Import;

namespace DePinLedger.Cli.Commands;

/// <summary><c>depin model import</c>.</summary>
internal sealed record ImportSettings(string Checkpoint, string Tokenizer, string Out, bool Json);

/// <summary><c>depin model info</c>.</summary>
internal sealed record InfoSettings(string Model, bool Json);

/// <summary><c>depin model eval</c>: exactly one of <see cref="TextFile"/> and <see cref="TokenFile"/>.</summary>
internal sealed record EvalSettings(string Model, string? TextFile, string? TokenFile)
{
    public int Threads { get; init; } = CommonOptions.DefaultThreads;
}

/// <summary><c>depin model export-gguf</c>: <see cref="Type"/> is one of <see cref="Types"/>.</summary>
internal sealed record ExportGgufSettings(string Model, string Out, string Type, bool Json)
{
    /// <summary>The source weights exactly, so that llama.cpp and the float reference can be compared token for token.</summary>
    public const string DefaultType = "f32";

    public static readonly string[] Types = ["f32", "q8_0"];
}

/// <summary><c>depin model synth</c>: a seeded random model; the defaults are the ~110M-parameter Llama shape of the speed benchmark.</summary>
internal sealed record SynthSettings(string Out)
{
    public const int DefaultDim = 768;
    public const int DefaultLayers = 12;
    public const int DefaultHiddenDim = 2048;
    public const int DefaultHeads = 12;
    public const int DefaultKvHeads = 12;
    public const int DefaultVocabSize = 32000;
    public const int DefaultSeqLen = 1024;
    public const ulong DefaultSeed = 1;

    public int Dim { get; init; } = DefaultDim;
    public int Layers { get; init; } = DefaultLayers;
    public int HiddenDim { get; init; } = DefaultHiddenDim;
    public int Heads { get; init; } = DefaultHeads;
    public int KvHeads { get; init; } = DefaultKvHeads;
    public int VocabSize { get; init; } = DefaultVocabSize;
    public int SeqLen { get; init; } = DefaultSeqLen;
    public ulong Seed { get; init; } = DefaultSeed;
    public bool Json { get; init; }

    /// <summary>The shape, with the classifier tied to the embedding as in the llama2.c TinyStories models.</summary>
    public LlamaConfig Config => new(Dim, HiddenDim, Layers, Heads, KvHeads, VocabSize, SeqLen, SharedClassifier: true);
}
