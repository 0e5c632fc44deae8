using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Import;

namespace DePinLedger.Cli.Commands;

internal static partial class ModelCommands
{
    private static Command ExportGguf(CliContext context)
    {
        Argument<string> model = CommonOptions.ModelArgument();
        Option<string> output = CommonOptions.OutputFile("--out", "GGUF file to write (overwritten if present)");
        var type = new Option<string>("--type")
        {
            Description = "Tensor type of the matrices: f32 (the source weights exactly) or q8_0 (llama.cpp's 8-bit blocks; norms and matrices whose rows are not a multiple of 32 stay f32)",
            HelpName = "f32|q8_0",
            DefaultValueFactory = _ => ExportGgufSettings.DefaultType,
        };
        type.Validators.Add(result =>
        {
            if (result.Tokens.Count != 1) return; // absent: the default
            string given = result.Tokens[0].Value;
            if (!ExportGgufSettings.Types.Contains(given)) result.AddError($"--type must be {string.Join(" or ", ExportGgufSettings.Types)}, got '{given}'");
        });
        Option<bool> json = CommonOptions.Json("Print the source, tensor counts and file as one JSON object");
        var command = new Command("export-gguf",
            "Write the model as GGUF (llama architecture) for llama.cpp. A llama2.c checkpoint or name exports its float weights; " +
            "an imported model file exports its int8 weights dequantized (level × row scale), since it keeps no floats")
        {
            model, output, type, json,
        };
        command.SetAction((parsed, cancellation) => RunExportGgufAsync(context,
            new ExportGgufSettings(parsed.GetRequiredValue(model), parsed.GetRequiredValue(output), parsed.GetValue(type)!, parsed.GetValue(json)), cancellation));
        return command.WithExamples(
            "depin model export-gguf stories260K --out stories260K-f32.gguf",
            "depin model export-gguf stories260K.bin --out stories260K-q8_0.gguf --type q8_0");
    }

    public static async Task<int> RunExportGgufAsync(CliContext context, ExportGgufSettings settings, CancellationToken cancellation)
    {
        ModelSource source = await context.Models.LocateAsync(settings.Model, cancellation);
        var (weights, tokenizer, dequantized) = GgufExporter.Source(source);
        string origin = dequantized
            ? "int8 weights of the model file, dequantized (level × row scale)"
            : "float32 weights of the llama2.c checkpoint";
        if (dequantized)
            context.Error.WriteLine($"{CliContext.Name}: note: {source.Path} is an imported int8 model file; exporting its dequantized weights, not the original floats");

        GgmlType type = settings.Type == "q8_0" ? GgmlType.Q8_0 : GgmlType.F32;
        // Written to a partial file first, so that a failure never leaves a truncated GGUF under the requested name.
        string partial = $"{settings.Out}.{Guid.NewGuid():N}.part";
        GgufExportSummary summary;
        try
        {
            await using (FileStream file = File.Create(partial))
                summary = GgufExporter.Export(weights, tokenizer, file, type, Path.GetFileNameWithoutExtension(settings.Out));
            File.Move(partial, settings.Out, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }

        var report = new GgufExportReport(source.Path, origin, settings.Type, summary.Tensors, summary.Q8Tensors, summary.KeptF32, settings.Out, summary.Bytes);
        if (settings.Json)
        {
            CliJson.Write(context.Out, report);
            return ExitCodes.Success;
        }
        context.Out.WriteLine($"source        {report.Source} ({report.Weights})");
        context.Out.WriteLine($"tensors       {report.Tensors} ({report.Q8Tensors} q8_0, {report.Tensors - report.Q8Tensors} f32)");
        if (report.KeptF32.Count > 0)
            context.Out.WriteLine($"kept f32      {string.Join(", ", report.KeptF32)} (rows not a multiple of 32)");
        context.Out.WriteLine($"wrote         {report.Out} ({report.Bytes:N0} bytes)");
        return ExitCodes.Success;
    }
}
