using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Cli.Commands;

internal static partial class ModelCommands
{
    /// <summary>A synthetic vocabulary holds unk, BOS, EOS and the 256 byte-fallback pieces before anything else.</summary>
    private const int MinSyntheticVocab = Tokenizer.ByteFallbackOffset + 256;

    private static Command Synth(CliContext context)
    {
        Option<string> output = CommonOptions.OutputFile("--out", "Model file to write (overwritten if present)");
        Option<int> dim = Dimension("--dim", "Model width", SynthSettings.DefaultDim);
        Option<int> layers = Dimension("--layers", "Transformer blocks", SynthSettings.DefaultLayers);
        Option<int> hidden = Dimension("--hidden", "Feed-forward width", SynthSettings.DefaultHiddenDim);
        Option<int> heads = Dimension("--heads", "Query heads (must divide --dim into an even head size)", SynthSettings.DefaultHeads);
        Option<int> kvHeads = Dimension("--kv-heads", "Key/value heads (must divide --heads)", SynthSettings.DefaultKvHeads);
        Option<int> vocab = Dimension("--vocab", $"Vocabulary size (at least {MinSyntheticVocab})", SynthSettings.DefaultVocabSize);
        Option<int> seqLen = Dimension("--seq-len", "Context length", SynthSettings.DefaultSeqLen);
        Option<ulong> seed = CommonOptions.Number("--seed", "Seed of the random weights", SynthSettings.DefaultSeed);
        Option<bool> json = CommonOptions.Json("Print the model id, weights root, parameter count and file as one JSON object");
        var command = new Command("synth", "Write a model of any Llama shape with seeded random weights (for benchmarks); prints its model id and parameter count")
        {
            output, dim, layers, hidden, heads, kvHeads, vocab, seqLen, seed, json,
        };
        command.SetAction(parsed => RunSynth(context, new SynthSettings(parsed.GetRequiredValue(output))
        {
            Dim = parsed.GetValue(dim),
            Layers = parsed.GetValue(layers),
            HiddenDim = parsed.GetValue(hidden),
            Heads = parsed.GetValue(heads),
            KvHeads = parsed.GetValue(kvHeads),
            VocabSize = parsed.GetValue(vocab),
            SeqLen = parsed.GetValue(seqLen),
            Seed = parsed.GetValue(seed),
            Json = parsed.GetValue(json),
        }));
        return command.WithExamples(
            "depin model synth --out synth110M.dplm",
            "depin model synth --out tiny.dplm --dim 64 --layers 2 --hidden 128 --heads 4 --kv-heads 2 --vocab 300 --seq-len 64");
    }

    public static int RunSynth(CliContext context, SynthSettings settings)
    {
        // The shape is checked as a whole before anything is allocated.
        if (ShapeProblem(settings.Config) is { } problem) throw new UsageException(problem);
        var (checkpoint, tokenizer) = SyntheticModel.Create(settings.Config, settings.Seed);
        IntegerModel model = ModelImporter.Import(checkpoint, tokenizer);
        ModelFile.Write(model, settings.Out);
        WriteWritten(context, model, settings.Out, settings.Json);
        return ExitCodes.Success;
    }

    /// <summary>What makes the shape unusable for a checkpoint, the integer engine or a synthetic vocabulary; null when none.</summary>
    private static string? ShapeProblem(LlamaConfig shape)
    {
        if (shape.FindProblem() is { } problem) return $"shape: {problem}";
        if (shape.VocabSize < MinSyntheticVocab) return $"--vocab must be at least {MinSyntheticVocab} (unk, BOS, EOS and 256 byte pieces), got {shape.VocabSize}";
        try
        {
            new ModelConfig(shape.Dim, shape.HiddenDim, shape.Layers, shape.Heads, shape.KvHeads, shape.VocabSize, shape.SeqLen, shape.SharedClassifier).Validate();
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    private static Option<int> Dimension(string name, string description, int defaultValue) =>
        CommonOptions.Number(name, description, defaultValue, n => CommonOptions.AtLeast(n, 1));
}
