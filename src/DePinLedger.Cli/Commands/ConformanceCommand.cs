using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Conformance;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin conformance vectors</c>: writes the step vectors that the on-chain verifier's forge tests replay
/// (SPEC.md is the contract between the engine and the verifier; the vectors check both sides agree).
/// </summary>
internal static class ConformanceCommand
{
    /// <summary>Seed of the random steps, synthetic models and sampling seeds.</summary>
    public const ulong DefaultSeed = 20261101;

    public static Command Create(CliContext context)
    {
        Option<string> model = CommonOptions.Model();
        Option<string> output = CommonOptions.Text("--out", "Folder to write the vectors and their index.json into (replaced)", "DIR", required: true);
        Option<ulong> seed = CommonOptions.Number("--seed", "Seed of the random steps and synthetic models", DefaultSeed);
        Option<bool> json = CommonOptions.Json("Print the folder and the vector count as one JSON object");
        var vectors = new Command("vectors", "Write engine-computed step vectors (layer, embedding and head steps) for the verifier's forge tests") { model, output, seed, json };
        vectors.SetAction((parsed, cancellation) => RunAsync(context, parsed.GetRequiredValue(model), parsed.GetRequiredValue(output), parsed.GetValue(seed), parsed.GetValue(json), cancellation));
        vectors.WithExamples("depin conformance vectors --model stories260K --out contracts/test/vectors/generated");
        return new Command("conformance", "Conformance between the C# engine and the on-chain verifier") { vectors };
    }

    private static async Task<int> RunAsync(CliContext context, string modelName, string directory, ulong seed, bool json, CancellationToken cancellation)
    {
        ModelSource source = await context.Models.LocateAsync(modelName, cancellation);
        IntegerModel model = source.Load();
        if (model.Config.SeqLen < 512) throw new UsageException($"the vectors need a model with a context of at least 512 positions; {modelName} has {model.Config.SeqLen}");
        int count = StepVectors.WriteAll(directory, model, seed);
        if (json) CliJson.Write(context.Out, new { directory = Path.GetFullPath(directory), vectors = count, model_id = model.ModelId.ToString() });
        else context.Out.WriteLine($"wrote {count} step vectors to {Path.GetFullPath(directory)}");
        return ExitCodes.Success;
    }
}
