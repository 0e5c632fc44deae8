using System.CommandLine;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Cli.Output;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Cli.Commands;

/// <summary><c>depin infer</c>: runs the integer engine on a prompt with the trace recorded (as in production).</summary>
internal static class InferCommand
{
    public static Command Create(CliContext context)
    {
        Option<string> model = CommonOptions.Model();
        Option<string> prompt = CommonOptions.Text("--prompt", "The text to continue", "TEXT", required: true);
        Option<int> maxTokens = CommonOptions.Number("--max-tokens", "Tokens to generate at most (generation also stops at BOS/EOS and at the context length)",
            InferSettings.DefaultMaxTokens, n => CommonOptions.AtLeast(n, 1));
        Option<decimal> temperature = CommonOptions.Number("--temperature", "Sampling temperature, 0 to 2 in steps of 0.001; 0 = greedy",
            InferSettings.DefaultTemperature, InferSettings.CheckTemperature);
        Option<decimal> topP = CommonOptions.Number("--top-p", "Nucleus sampling mass, in (0, 1] in steps of 0.001 (ignored when greedy)",
            InferSettings.DefaultTopP, InferSettings.CheckTopP);
        Option<ulong> seed = CommonOptions.Number("--seed", "Sampling seed (ignored when greedy)", InferSettings.DefaultSeed);
        Option<int> threads = CommonOptions.Threads();
        Option<bool> json = CommonOptions.Json("Print one JSON object at the end (text, token counts, trace root, output hash, speed) instead of streaming the text");

        var command = new Command("infer", "Generate text from a prompt, streaming it as it is produced; the trace commitment is always recorded")
        {
            model, prompt, maxTokens, temperature, topP, seed, threads, json,
        };
        command.SetAction((parsed, cancellation) => RunAsync(context, new InferSettings(parsed.GetRequiredValue(model), parsed.GetRequiredValue(prompt))
        {
            MaxTokens = parsed.GetValue(maxTokens),
            TemperatureMilli = InferSettings.ToMilli(parsed.GetValue(temperature)),
            TopPMilli = InferSettings.ToMilli(parsed.GetValue(topP)),
            Seed = parsed.GetValue(seed),
            Threads = parsed.GetValue(threads),
            Json = parsed.GetValue(json),
        }, cancellation));
        return command.WithExamples(
            "depin infer --model stories260K --prompt \"Once upon a time\"",
            "depin infer --model model.dplm --prompt \"Once upon a time\" --temperature 0.8 --seed 7 --json");
    }

    public static async Task<int> RunAsync(CliContext context, InferSettings settings, CancellationToken cancellation)
    {
        IntegerModel model = await context.Models.LoadAsync(settings.Model, cancellation);
        ModelConfig config = model.Config;
        int[] prompt = model.Tokenizer.Encode(settings.Prompt, bos: true, eos: false);
        if (prompt.Length > config.SeqLen)
            throw new UsageException($"the prompt is {prompt.Length} tokens long (BOS included), more than the model's context of {config.SeqLen}");

        // The caches hold the prompt and every generated token but the last, within the context.
        int positions = (int)Math.Min(config.SeqLen, (long)prompt.Length + settings.MaxTokens - 1);
        using var generator = new Generator(model, positions, options: settings.Engine);
        TraceRecorder trace = generator.NewTrace();

        TokenTextStream? stream = settings.Json ? null : new TokenTextStream(model.Tokenizer, context.Out);
        if (stream is not null)
        {
            foreach (int token in prompt) stream.Append(token);
            context.Out.Flush();
        }
        GenerationResult result = generator.Generate(prompt, settings.MaxTokens, settings.Sampling, trace,
            onToken: stream is null ? null : token =>
            {
                stream.Append(token);
                context.Out.Flush();
            });

        if (stream is not null)
        {
            stream.Finish();
            context.Out.WriteLine();
            context.Error.WriteLine(
                $"{CliContext.Name}: {result.OutputTokens.Count} tokens, {result.DecodeTokensPerSecond:F1} tok/s decode, trace root {result.TraceRoot}");
            return ExitCodes.Success;
        }

        CliJson.Write(context.Out, new InferReport(
            ModelId: model.ModelId.ToString(),
            PromptTokens: prompt.Length,
            Tokens: result.OutputTokens.Count,
            Text: model.Tokenizer.DecodeAll([.. prompt, .. result.OutputTokens]),
            TraceRoot: result.TraceRoot.ToString(),
            OutputHash: result.OutputHash.ToString(),
            TokensPerSecond: Math.Round(result.DecodeTokensPerSecond, 1),
            PrefillMs: Math.Round(result.PrefillTime.TotalMilliseconds, 3),
            DecodeMs: Math.Round(result.DecodeTime.TotalMilliseconds, 3),
            Leaves: result.LeafCount,
            StopReason: StopReason(result, settings.MaxTokens),
            TemperatureMilli: settings.TemperatureMilli,
            TopPMilli: settings.TopPMilli,
            Seed: settings.Seed,
            Threads: settings.Threads));
        return ExitCodes.Success;
    }

    private static string StopReason(GenerationResult result, int maxTokens) => result.OutputTokens[^1] switch
    {
        Tokenizer.Eos => "eos",
        Tokenizer.Bos => "bos",
        _ when result.OutputTokens.Count >= maxTokens => "max_tokens",
        _ => "context_length",
    };
}
