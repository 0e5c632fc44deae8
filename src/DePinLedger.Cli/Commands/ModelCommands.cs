using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Model;

namespace DePinLedger.Cli.Commands;

/// <summary><c>depin model …</c>: import, inspect, evaluate, synthesize and export models. One partial file per verb.</summary>
internal static partial class ModelCommands
{
    public static Command Create(CliContext context) =>
        new Command("model", "Import, inspect, evaluate, synthesize and export models")
        {
            Import(context),
            Info(context),
            Eval(context),
            Synth(context),
            ExportGguf(context),
        }.WithExamples(
            "depin model import --checkpoint stories260K.bin --tokenizer tok512.bin --out stories260K.dplm",
            "depin model info stories260K.dplm",
            "depin model export-gguf stories260K --out stories260K.gguf --type q8_0");

    /// <summary>The model's identity and size, as import and synth print them.</summary>
    private static void WriteWritten(CliContext context, IntegerModel model, string path, bool json)
    {
        var report = new ModelReport(model.ModelId.ToString(), model.WeightsRoot.ToString(), model.Config.ParameterCount, path, new FileInfo(path).Length);
        if (json)
        {
            CliJson.Write(context.Out, report);
            return;
        }
        context.Out.WriteLine($"model id      {report.ModelId}");
        context.Out.WriteLine($"weights root  {report.WeightsRoot}");
        context.Out.WriteLine($"parameters    {report.Parameters:N0}");
        context.Out.WriteLine($"wrote         {report.Out} ({report.Bytes:N0} bytes)");
    }
}
