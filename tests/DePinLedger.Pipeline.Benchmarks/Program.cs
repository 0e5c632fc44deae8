using System.Diagnostics;
using System.Globalization;
using System.Text;
using DePinLedger.Chain.Wallet;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;
using DePinLedger.Pipeline;

// Usage: dotnet DePinLedger.Pipeline.Benchmarks.dll MODEL STAGES [TOKENS [grpc]]
//        DePinLedger.Pipeline.Benchmarks depin ARGS…   (runs the `depin` CLI in this process: how the workers are started,
//        so that a self-contained single-file publish of this benchmark runs on a machine without the .NET SDK)
//   MODEL: a .dplm file or a checkpoint with its tokenizer beside it (e.g. one written by 'depin model synth').
// Starts STAGES real `depin worker` processes on loopback splitting the layers evenly, runs the same greedy job
// through them and through the single-process Generator (same process, same run), checks that the results are
// identical, and prints tokens/s (Forward over the workers' direct data path, or over gRPC with "grpc") and the latency model of DESIGN.md and the scheduler: per token ≈ Σ over stages of
// (compute + RTT), with RTT a small call's round trip measured hot (back to back) and after the idle gap a stage has
// between its steps in the run (the worker's threads have gone to sleep by then, and waking them is most of a hop).
if (args.Length > 0 && args[0] == "depin") return DePinLedger.Cli.DepinCli.Run(args[1..], Console.Out, Console.Error);
if (args.Length < 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out int stageCount) || stageCount < 1)
{
    Console.Error.WriteLine("usage: DePinLedger.Pipeline.Benchmarks MODEL STAGES [TOKENS [grpc]]");
    return 2;
}
int tokens = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
string modelPath = Path.GetFullPath(args[0]);
IntegerModel model = ModelResolver.FromPath(modelPath).Load();
int layers = model.Config.Layers;
if (stageCount > layers) throw new ArgumentException($"the model has {layers} layers");
int[] prompt = [1, .. Enumerable.Range(0, 7).Select(i => 300 + i * 11 % Math.Max(1, model.Config.VocabSize - 300))];

string root = Directory.CreateTempSubdirectory("depin-pipeline-bench-").FullName;
string keystore = Path.Combine(root, "keystore"), passFile = Path.Combine(root, "pass.txt");
File.WriteAllText(passFile, "benchmark\n");
new Keystore(keystore).Save(Convert.FromHexString("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"), "benchmark", scryptN: 1024);

var workers = new List<Process>();
var route = new List<StageRoute>();
try
{
    int first = 0;
    for (int s = 0; s < stageCount; s++)
    {
        int count = layers / stageCount + (s < layers % stageCount ? 1 : 0);
        (Process process, Uri address) = await StartWorkerAsync(modelPath, first, first + count - 1, keystore, passFile, Path.Combine(root, "traces" + s));
        workers.Add(process);
        route.Add(new StageRoute(first, first + count - 1, [address]));
        first += count;
    }

    var job = new PipelineJob(Keccak256.Hash(Encoding.UTF8.GetBytes("bench")), 0, prompt, tokens, SamplingParams.Greedy, 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    // "grpc" as a fourth argument: Forward over gRPC only, for comparison with the direct data path.
    bool dataPath = !(args.Length > 3 && args[3] == "grpc");
    var runner = new PipelineRunner(new PipelineOptions { Hedging = false, DirectDataPath = dataPath });
    // Warm-up: a whole job, so that every worker's hot loops are tiered up before the measured run (JIT, connections).
    await runner.RunAsync(route, job with { JobId = Keccak256.Hash(Encoding.UTF8.GetBytes("warm-up")) });
    int positions = Math.Min(model.Config.SeqLen, prompt.Length + tokens - 1);
    using var generator = new Generator(model, positions);
    generator.Generate(prompt, tokens, SamplingParams.Greedy, generator.NewTrace()); // warm-up, as for the pipeline

    // Pipeline and single process alternate, best of five each: one run of each measured the machine's mood as much
    // as the pipeline (a lent 16-core host's single-thread decode varied by 30 % from run to run).
    const int rounds = 5;
    PipelineResult? piped = null;
    GenerationResult? single = null;
    bool identical = true;
    for (int round = 0; round < rounds; round++)
    {
        PipelineResult p = await runner.RunAsync(route, job);
        GenerationResult g = generator.Generate(prompt, tokens, SamplingParams.Greedy, generator.NewTrace());
        identical &= g.OutputTokens.SequenceEqual(p.OutputTokens) && g.TraceRoot == p.TraceRoot;
        if (piped is null || p.DecodeTokensPerSecond > piped.DecodeTokensPerSecond) piped = p;
        if (single is null || g.DecodeTokensPerSecond > single.DecodeTokensPerSecond) single = g;
    }
    double perTokenMs = piped!.DecodeTime.TotalMilliseconds / Math.Max(1, piped.OutputTokens.Count - 1);
    double computeMs = piped.Stages.Sum(s => s.MeanComputeMs);
    // Each stage waits about the other stages' share of a token between its own steps.
    int idleMs = Math.Max(1, (int)Math.Round(perTokenMs * (stageCount - 1) / stageCount));
    dataPath = piped.Stages.All(s => s.DataPath);
    // Round-trip time of one small call back to back (the "hop" of the latency model on a busy link) and after the idle gap.
    double hotRttMs = await RoundTripMsAsync(route[0].Endpoints[0], dataPath, calls: 200, idleMs: 0);
    double idleRttMs = await RoundTripMsAsync(route[0].Endpoints[0], dataPath, calls: 40, idleMs);
    double hotPredictedMs = computeMs + stageCount * hotRttMs, predictedMs = computeMs + stageCount * idleRttMs;
    Console.WriteLine($"model {Path.GetFileName(modelPath)}: {layers} layers, dim {model.Config.Dim}; {stageCount} stages; {piped.OutputTokens.Count} tokens; identical {identical}");
    Console.WriteLine($"single process: {single!.DecodeTokensPerSecond:F2} tok/s decode (best of {rounds})");
    Console.WriteLine($"pipeline:       {piped.DecodeTokensPerSecond:F2} tok/s decode (best of {rounds}, alternating) ({100 * piped.DecodeTokensPerSecond / single.DecodeTokensPerSecond:F1}% of single process)");
    Console.WriteLine($"latency model:  per token {perTokenMs:F2} ms measured; predicted {predictedMs:F2} ms = compute {computeMs:F2} ms + {stageCount} hops × RTT {idleRttMs:F3} ms after {idleMs} ms idle ({(dataPath ? "data path ping" : "gRPC Info call")}); error {100 * (predictedMs - perTokenMs) / perTokenMs:F1}%");
    Console.WriteLine($"                with the back-to-back RTT {hotRttMs:F3} ms instead: {hotPredictedMs:F2} ms, error {100 * (hotPredictedMs - perTokenMs) / perTokenMs:F1}%");
    foreach (StageStats s in piped.Stages)
        Console.WriteLine($"  stage {s.Stage}: step {s.MeanMs:F2} ± {s.StdDevMs:F2} ms, compute {s.MeanComputeMs:F2} ms, over {(s.DataPath ? "the direct data path" : "gRPC" + (s.DataPathUnavailable is { } why ? $" (data path unreachable: {why})" : ""))}");
    return identical ? 0 : 1;
}
finally
{
    foreach (Process worker in workers)
    {
        if (!worker.HasExited) worker.Kill();
        worker.WaitForExit(5000);
        worker.Dispose();
    }
    Directory.Delete(root, recursive: true);
}

// Mean round trip of the smallest call on the transport the pipeline uses (a data path ping, or a gRPC Info call),
// each after idleMs of silence (0: back to back), after 20 unmeasured calls.
static async Task<double> RoundTripMsAsync(Uri endpoint, bool dataPath, int calls, int idleMs) =>
    (await RoundTrips.MeasureAsync(endpoint, dataPath, calls, TimeSpan.FromMilliseconds(idleMs), warmUps: 20, TimeSpan.FromSeconds(10), CancellationToken.None)).Mean;

static async Task<(Process, Uri)> StartWorkerAsync(string model, int first, int last, string keystore, string passFile, string traces)
{
    // The workers are this executable running `depin worker` (see the usage line); under `dotnet` it is re-run through the host.
    string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
    bool hosted = Path.GetFileNameWithoutExtension(self) == "dotnet";
    var start = new ProcessStartInfo(self)
    {
        RedirectStandardOutput = true,
        UseShellExecute = false,
    };
    if (hosted) foreach (string a in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "DePinLedger.Pipeline.Benchmarks.dll")]) start.ArgumentList.Add(a);
    foreach (string a in (string[])["depin", "worker", "--model", model, "--layers", $"{first}-{last}", "--port", "0", "--host", "127.0.0.1",
                 "--keystore", keystore, "--passphrase-file", passFile, "--trace-dir", traces])
        start.ArgumentList.Add(a);
    Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start depin");
    while (await process.StandardOutput.ReadLineAsync() is { } line)
    {
        const string prefix = "worker listening on ";
        if (line.StartsWith(prefix, StringComparison.Ordinal)) return (process, new Uri(line[prefix.Length..].Split(' ')[0]));
    }
    throw new InvalidOperationException($"worker {first}-{last} exited with {process.ExitCode}");
}
