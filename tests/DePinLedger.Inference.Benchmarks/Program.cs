using BenchmarkDotNet.Running;
using DePinLedger.Inference.Benchmarks;

// dotnet run -c Release --project tests/DePinLedger.Inference.Benchmarks -- compare [--models DIR] [--json FILE] [--gguf-dir DIR] [--tokens N] [--threads N]
//   (our engine vs llama.cpp on GGUF exports of the same weights, greedy check, roofline, trace on/off)
// dotnet run -c Release --project tests/DePinLedger.Inference.Benchmarks -- roofline [--models DIR] [--json FILE] [--tokens N] [--threads N]
// dotnet run -c Release --project tests/DePinLedger.Inference.Benchmarks -- kernels   (BenchmarkDotNet micro-benchmarks)
if (args.Length > 0 && args[0] is "roofline" or "compare")
{
    bool compare = args[0] == "compare";
    string? models = Environment.GetEnvironmentVariable("DEPIN_MODELS");
    string json = compare ? "artifacts/bench/compare.json" : "artifacts/bench/inference.json";
    string gguf = "artifacts/bench/gguf";
    int tokens = 128;
    int threads = Environment.ProcessorCount;
    for (int i = 1; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--models" when i + 1 < args.Length: models = args[++i]; break;
            case "--json" when i + 1 < args.Length: json = args[++i]; break;
            case "--gguf-dir" when compare && i + 1 < args.Length: gguf = args[++i]; break;
            case "--tokens" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 1: tokens = n; i++; break;
            case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1: threads = t; i++; break;
            default:
                Console.Error.WriteLine($"bench: unknown or incomplete option {args[i]}");
                return 2;
        }
    }
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
    if (!compare) return Roofline.Run(models, json, tokens, threads);
    if (models is null || !File.Exists(Path.Combine(models, "stories260K.bin")) || !File.Exists(Path.Combine(models, "tok512.bin")))
    {
        Console.Error.WriteLine($"bench: compare needs stories260K.bin and tok512.bin in --models DIR or $DEPIN_MODELS (got '{models}')");
        return 2;
    }
    return Compare.Run(models, json, gguf, tokens, threads);
}
BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmarks).Assembly).Run(args.Length > 0 && args[0] == "kernels" ? args[1..] : args);
return 0;
