using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Cli.Commands;

internal static partial class ModelCommands
{
    private static Command Import(CliContext context)
    {
        Option<string> checkpoint = CommonOptions.ExistingFile("--checkpoint", "llama2.c float32 checkpoint (e.g. stories260K.bin)");
        Option<string> tokenizer = CommonOptions.ExistingFile("--tokenizer", "llama2.c tokenizer file (e.g. tok512.bin)");
        Option<string> output = CommonOptions.OutputFile("--out", "Model file to write (overwritten if present)");
        Option<bool> json = CommonOptions.Json("Print the model id, weights root, parameter count and file as one JSON object");
        var command = new Command("import", "Quantize a llama2.c checkpoint into a model file and print its model id and weights root")
        {
            checkpoint, tokenizer, output, json,
        };
        command.SetAction(parsed => RunImport(context, new ImportSettings(
            parsed.GetRequiredValue(checkpoint), parsed.GetRequiredValue(tokenizer), parsed.GetRequiredValue(output), parsed.GetValue(json))));
        return command.WithExamples("depin model import --checkpoint stories260K.bin --tokenizer tok512.bin --out stories260K.dplm");
    }

    public static int RunImport(CliContext context, ImportSettings settings)
    {
        IntegerModel model = ModelImporter.ImportFiles(settings.Checkpoint, settings.Tokenizer);
        ModelFile.Write(model, settings.Out);
        WriteWritten(context, model, settings.Out, settings.Json);
        return ExitCodes.Success;
    }
}
