using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Cli.Commands;

internal static partial class ModelCommands
{
    private static Command Info(CliContext context)
    {
        Argument<string> model = CommonOptions.ModelArgument();
        Option<bool> json = CommonOptions.Json("Print the dimensions, sizes, model id and weights root as one JSON object");
        var command = new Command("info", "Show a model's dimensions, parameter count, file size, model id and weights root") { model, json };
        command.SetAction((parsed, cancellation) => RunInfoAsync(context, new InfoSettings(parsed.GetRequiredValue(model), parsed.GetValue(json)), cancellation));
        return command.WithExamples("depin model info stories260K", "depin model info stories260K.dplm --json");
    }

    public static async Task<int> RunInfoAsync(CliContext context, InfoSettings settings, CancellationToken cancellation)
    {
        ModelSource source = await context.Models.LocateAsync(settings.Model, cancellation);
        IntegerModel model = source.Load();
        ModelConfig c = model.Config;
        var report = new ModelInfoReport(
            model.ModelId.ToString(), model.WeightsRoot.ToString(), source.Path, source.IsCheckpoint ? "llama2c" : "dplm", source.TokenizerPath,
            c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadSize, c.VocabSize, c.SeqLen, c.SharedClassifier,
            c.ParameterCount, new FileInfo(source.Path).Length, model.Serialized.Length);
        if (settings.Json)
        {
            CliJson.Write(context.Out, report);
            return ExitCodes.Success;
        }
        TextWriter o = context.Out;
        o.WriteLine($"model id      {report.ModelId}");
        o.WriteLine($"weights root  {report.WeightsRoot}");
        o.WriteLine(source.IsCheckpoint
            ? $"file          {report.Path} (llama2.c checkpoint, tokenizer {report.TokenizerPath}, {report.FileBytes:N0} bytes)"
            : $"file          {report.Path} (model file, {report.FileBytes:N0} bytes)");
        o.WriteLine($"model bytes   {report.ModelBytes:N0}");
        o.WriteLine($"parameters    {report.Parameters:N0}");
        o.WriteLine($"dim           {c.Dim}");
        o.WriteLine($"hidden dim    {c.HiddenDim}");
        o.WriteLine($"layers        {c.Layers}");
        o.WriteLine($"heads         {c.Heads} ({c.KvHeads} key/value, head size {c.HeadSize})");
        o.WriteLine($"vocabulary    {c.VocabSize} ({(c.SharedClassifier ? "classifier shared with the embedding" : "separate classifier")})");
        o.WriteLine($"context       {c.SeqLen}");
        return ExitCodes.Success;
    }
}
