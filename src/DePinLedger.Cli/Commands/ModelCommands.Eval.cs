using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Evaluation;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Cli.Commands;

internal static partial class ModelCommands
{
    private static Command Eval(CliContext context)
    {
        Option<string> model = CommonOptions.Model();
        Option<string> textFile = CommonOptions.ExistingFile("--text-file",
            "UTF-8 text; stories are separated by blank lines, each encoded with BOS and cut to the context length", required: false);
        Option<string> tokenFile = CommonOptions.ExistingFile("--token-file",
            "JSON array of arrays of token ids, each starting with BOS (1)", required: false);
        Option<int> threads = CommonOptions.Threads();
        var command = new Command("eval",
            "Print as JSON the integer engine's perplexity, the float32 reference perplexity on the same tokens (when MODEL is a llama2.c checkpoint or a name) and the number of predicted tokens")
        {
            model, textFile, tokenFile, threads,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(textFile) is null) == (result.GetResult(tokenFile) is null))
                result.AddError("give exactly one of --text-file and --token-file");
        });
        command.SetAction((parsed, cancellation) => RunEvalAsync(context,
            new EvalSettings(parsed.GetRequiredValue(model), parsed.GetValue(textFile), parsed.GetValue(tokenFile)) { Threads = parsed.GetValue(threads) },
            cancellation));
        return command.WithExamples(
            "depin model eval --model stories260K --text-file stories.txt",
            "depin model eval --model stories260K.dplm --token-file tokens.json --threads 2");
    }

    public static async Task<int> RunEvalAsync(CliContext context, EvalSettings settings, CancellationToken cancellation)
    {
        ModelSource source = await context.Models.LocateAsync(settings.Model, cancellation);
        (IntegerModel model, LlamaCheckpoint? reference) = source.LoadWithFloatReference();
        ModelConfig c = model.Config;
        int[][] sequences = settings.TokenFile is { } tokenFile
            ? EvalCorpus.FromTokenFile(tokenFile, c.VocabSize, c.SeqLen)
            : EvalCorpus.FromText(await File.ReadAllTextAsync(settings.TextFile!, cancellation), model.Tokenizer, c.SeqLen);
        if (!sequences.Any(s => s.Length >= 2))
            throw new InvalidDataException($"{settings.TextFile}: holds no text to predict");

        (double perplexity, int predicted) = Perplexity.Measure(model, sequences, new() { Threads = settings.Threads });
        double? floatPerplexity = reference is null ? null : FloatTransformer.Perplexity(reference, sequences);
        CliJson.Write(context.Out, new EvalReport(
            ModelId: model.ModelId.ToString(),
            Perplexity: perplexity,
            FloatPerplexity: floatPerplexity,
            FloatReference: reference is null
                ? "unavailable: MODEL is an imported model file, which keeps no float weights; pass its llama2.c checkpoint (.bin) or a model name to compare"
                : $"float32 forward pass of the llama2.c checkpoint {source.Path}",
            Tokens: predicted,
            Sequences: sequences.Length));
        return ExitCodes.Success;
    }
}
