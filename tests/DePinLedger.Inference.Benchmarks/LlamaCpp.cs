using System.Diagnostics;
using System.Runtime.InteropServices;
using DePinLedger.Inference.Import;
using LLama;
using LLama.Common;
using LLama.Native;

namespace DePinLedger.Inference.Benchmarks;

/// <summary>What one llama.cpp run produced: the greedy tokens and the prefill and decode timings.</summary>
internal sealed record LlamaCppRun(IReadOnlyList<int> Tokens, TimeSpan PrefillTime, TimeSpan DecodeTime, int PromptTokens)
{
    public double PrefillTokensPerSecond => PromptTokens / PrefillTime.TotalSeconds;

    /// <summary>Tokens after the first, per second (the first comes out of prefill), as our <c>GenerationResult</c> counts.</summary>
    public double DecodeTokensPerSecond => (Tokens.Count - 1) / DecodeTime.TotalSeconds;
}

/// <summary>
/// llama.cpp (through LLamaSharp's low-level API) on a GGUF file: token ids in, greedy (argmax of the
/// logits, ties to the lowest id) token ids out, never stopping early, so both engines run the same number of steps.
/// </summary>
internal sealed class LlamaCpp : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    static LlamaCpp()
    {
        // llama.cpp logs every tensor at load; keep its errors only.
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error) Console.Error.Write($"llama.cpp: {message}");
        });
    }

    public LlamaCpp(string ggufPath, int threads, int contextTokens)
    {
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextTokens,
            Threads = threads,
            BatchThreads = threads,
            BatchSize = (uint)contextTokens,
            UBatchSize = (uint)contextTokens,
            GpuLayerCount = 0,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
        VocabSize = _context.Vocab.Count;
        if (_context.GenerationThreads != threads || _context.BatchThreads != threads)
            throw new InvalidOperationException($"llama.cpp took {_context.GenerationThreads} decode / {_context.BatchThreads} batch threads, not the {threads} asked for");
    }

    public int VocabSize { get; }

    /// <summary>llama.cpp's system info line (the CPU features its loaded backend uses).</summary>
    public static string SystemInfo() => Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info())?.Trim() ?? "";

    /// <summary>Feeds <paramref name="prompt"/> as one batch, then decodes <paramref name="newTokens"/> greedy tokens one at a time.</summary>
    public LlamaCppRun Greedy(IReadOnlyList<int> prompt, int newTokens)
    {
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        Decode(batch);
        var tokens = new List<int>(newTokens) { FloatTransformer.ArgMax(_context.NativeHandle.GetLogitsIth(batch.TokenCount - 1)) };
        TimeSpan prefill = watch.Elapsed;
        for (int position = prompt.Count; tokens.Count < newTokens; position++)
        {
            batch.Clear();
            batch.Add(tokens[^1], position, LLamaSeqId.Zero, true);
            Decode(batch);
            tokens.Add(FloatTransformer.ArgMax(_context.NativeHandle.GetLogitsIth(0)));
        }
        return new LlamaCppRun(tokens, prefill, watch.Elapsed - prefill, prompt.Count);
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }

    private void Decode(LLamaBatch batch)
    {
        DecodeResult result = _context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
    }
}
