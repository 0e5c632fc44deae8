using System.CommandLine;
using System.Globalization;
using DePinLedger.Chain.Rpc;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Hosting;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin worker</c>: the node daemon. Serves blocks A..B of a model over gRPC, signs stage receipts with the node key
/// from the keystore, keeps traces for the challenge window. Prints one line <c>worker listening on URL</c> to stdout
/// once it accepts connections, then runs until interrupted (Ctrl-C / SIGTERM).
/// </summary>
internal static class WorkerCommand
{
    // Defaults, declared once.
    private const int DefaultKvBudgetMb = 1024;
    private const int DefaultMaxBatch = 512;
    private const int DefaultTraceRetentionMb = 1024;
    private const int DefaultTraceRetentionHours = 7 * 24;
    private const int DefaultHeartbeatSeconds = 30;

    public static Command Create(CliContext context)
    {
        Option<string> model = CommonOptions.Model();
        Option<string> layers = CommonOptions.Text("--layers", "Transformer blocks to serve, inclusive and 0-based, e.g. 0-1", "A-B", required: true);
        Option<int> port = CommonOptions.Number("--port", "TCP port (0 = any free port; the bound address is printed)", 0, p => p is < 0 or > 65535 ? "must be 0..65535" : null);
        Option<string> dataPort = new("--data-port")
        {
            Description = "TCP port of the direct data path (Forward over plain TCP, 0.5–0.8 ms less per pipeline hop than gRPC; 0 = any free port, off = none) [default: 0]",
            HelpName = "PORT|off",
        };
        Option<string> host = new("--host") { Description = "Address to listen on [default: 0.0.0.0]", HelpName = "IP", DefaultValueFactory = _ => "0.0.0.0" };
        Option<string> keystore = ChainCommandSupport.Keystore();
        Option<string> account = ChainCommandSupport.Account();
        Option<string> passphraseFile = ChainCommandSupport.PassphraseFile();
        Option<string> passphraseEnv = ChainCommandSupport.PassphraseEnv();
        Option<string> rpc = new("--rpc") { Description = "JSON-RPC endpoint; when given, the node reads the chain id and refuses sessions for other chains", HelpName = "URL" };
        Option<int> kvBudget = CommonOptions.Number("--kv-budget-mb", "KV cache memory all sessions may hold together, in MiB", DefaultKvBudgetMb, n => CommonOptions.AtLeast(n, 1));
        Option<int> maxBatch = CommonOptions.Number("--max-batch", "Most positions per Forward call", DefaultMaxBatch, n => CommonOptions.AtLeast(n, 1));
        Option<int> threads = CommonOptions.Threads();
        Option<string> traceDir = new("--trace-dir") { Description = "Folder for retained traces [default: ~/.depinledger/traces]", HelpName = "DIR" };
        Option<int> traceMb = CommonOptions.Number("--trace-retention-mb", "Most MiB of retained traces (oldest deleted first)", DefaultTraceRetentionMb, n => CommonOptions.AtLeast(n, 0));
        Option<int> traceHours = CommonOptions.Number("--trace-retention-hours", "How long traces are kept (challenge window + longest dispute)", DefaultTraceRetentionHours, n => CommonOptions.AtLeast(n, 1));
        Option<string> heartbeat = new("--heartbeat-url") { Description = "Coordinator URL that receives signed heartbeats (POST JSON)", HelpName = "URL" };
        Option<int> heartbeatSeconds = CommonOptions.Number("--heartbeat-seconds", "Seconds between heartbeats", DefaultHeartbeatSeconds, n => CommonOptions.AtLeast(n, 1));
        Option<int> faultDelay = CommonOptions.Number("--fault-delay-ms", "Fault injection: delay every Forward call by this many ms", 0, n => CommonOptions.AtLeast(n, 0));
        Option<int> faultDelayFrom = CommonOptions.Number("--fault-delay-from-step", "Fault injection: the delay starts at this Forward call (from 1)", 1, n => CommonOptions.AtLeast(n, 1));
        Option<int> faultCrash = CommonOptions.Number("--fault-crash-at-step", "Fault injection: exit abruptly during this Forward call (0 = never)", 0, n => CommonOptions.AtLeast(n, 0));
        Option<string> faultNoise = new("--fault-noise") { Description = "Fault injection: add 1 to the first hidden value after block LAYER at POSITION", HelpName = "POSITION:LAYER" };
        Option<string> faultCorrupt = new("--fault-corrupt-leaf") { Description = "Fault injection: commit a wrong hash for the leaf at POSITION, trace SLOT (0 embedding, 1..L blocks, L+1 head), computing correctly", HelpName = "POSITION:SLOT" };
        Option<string> faultSkip = new("--fault-skip-layer") { Description = "Fault injection: do not compute block LAYER (pass its input through, write no K/V) from POSITION on [default position: 0]", HelpName = "LAYER[:POSITION]" };
        Option<string> faultWeights = new("--fault-other-weights") { Description = "Fault injection: compute with this model's weights (same shape) while claiming --model", HelpName = "MODEL" };
        Option<string> faultRandom = new("--fault-random-tokens") { Description = "Fault injection (last stage): return pseudo-random tokens instead of sampling from POSITION on", HelpName = "POSITION" };

        var command = new Command("worker", "Run a worker node: serve a span of layers over gRPC, sign stage receipts, keep traces for disputes")
        {
            model, layers, port, dataPort, host, keystore, account, passphraseFile, passphraseEnv, rpc, kvBudget, maxBatch, threads,
            traceDir, traceMb, traceHours, heartbeat, heartbeatSeconds, faultDelay, faultDelayFrom, faultCrash, faultNoise, faultCorrupt, faultSkip,
            faultWeights, faultRandom,
        };
        command.SetAction((parsed, cancellation) => ChainCommandSupport.RunAsync(context, async () =>
        {
            (int first, int last) = ParseRange(parsed.GetRequiredValue(layers), "--layers");
            (int noisePosition, int noiseLayer) = ParsePair(parsed.GetValue(faultNoise), "--fault-noise", "POSITION:LAYER", secondOptional: false, (-1, -1));
            (int corruptPosition, int corruptSlot) = ParsePair(parsed.GetValue(faultCorrupt), "--fault-corrupt-leaf", "POSITION:SLOT", secondOptional: false, (-1, -1));
            (int skipLayer, int skipFrom) = ParsePair(parsed.GetValue(faultSkip), "--fault-skip-layer", "LAYER[:POSITION]", secondOptional: true, (-1, 0));
            (int randomFrom, _) = ParsePair(parsed.GetValue(faultRandom), "--fault-random-tokens", "POSITION", secondOptional: true, (-1, 0));
            Uri? heartbeatUrl = parsed.GetValue(heartbeat) is { Length: > 0 } url ? ParseUrl(url, "--heartbeat-url") : null;
            Uri? rpcUrl = parsed.GetValue(rpc) is { Length: > 0 } r ? ParseUrl(r, "--rpc") : null;
            string hostText = parsed.GetValue(host) ?? "0.0.0.0";
            int? dataPortNumber = ParseDataPort(parsed.GetValue(dataPort));
            if (dataPortNumber > 0 && dataPortNumber == parsed.GetValue(port)) throw new UsageException($"--data-port {dataPortNumber}: the data path needs a port of its own, not the gRPC --port");
            if (!System.Net.IPAddress.TryParse(hostText, out _)) throw new UsageException($"--host must be an IP address, got '{hostText}'");

            IntegerModel loaded = await context.Models.LoadAsync(parsed.GetRequiredValue(model), cancellation);
            if (last >= loaded.Config.Layers) throw new UsageException($"--layers {first}-{last}: the model has layers 0-{loaded.Config.Layers - 1}");
            IntegerModel? otherWeights = parsed.GetValue(faultWeights) is { Length: > 0 } weights ? await context.Models.LoadAsync(weights, cancellation) : null;
            KeystoreAccount keyFile = ChainCommandSupport.OpenKeystore(parsed.GetValue(keystore)).Find(parsed.GetValue(account));
            NodeKey key = Keystore.Unlock(keyFile, ChainCommandSupport.ReadPassphrase(parsed.GetValue(passphraseFile), parsed.GetValue(passphraseEnv), $"unlock node key {keyFile.Address}"));
            ulong? chainId = null;
            if (rpcUrl is not null) chainId = (ulong)(await ChainConnection.ConnectAsync(new ChainOptions { Rpc = rpcUrl }, cancellation: cancellation)).ChainId;

            var options = new WorkerOptions
            {
                FirstLayer = first,
                LastLayer = last,
                Host = hostText,
                Port = parsed.GetValue(port),
                DataPort = dataPortNumber,
                KvBudgetBytes = (long)parsed.GetValue(kvBudget) << 20,
                MaxBatch = parsed.GetValue(maxBatch),
                Threads = parsed.GetValue(threads),
                TraceDirectory = parsed.GetValue(traceDir) is { Length: > 0 } dir ? dir
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".depinledger", "traces"),
                TraceRetentionBytes = (long)parsed.GetValue(traceMb) << 20,
                TraceRetention = TimeSpan.FromHours(parsed.GetValue(traceHours)),
                HeartbeatUrl = heartbeatUrl,
                HeartbeatInterval = TimeSpan.FromSeconds(parsed.GetValue(heartbeatSeconds)),
                ChainId = chainId,
                Faults = new FaultOptions
                {
                    StepDelay = TimeSpan.FromMilliseconds(parsed.GetValue(faultDelay)),
                    DelayFromStep = parsed.GetValue(faultDelayFrom),
                    CrashAtStep = parsed.GetValue(faultCrash),
                    NoisePosition = noisePosition,
                    NoiseLayer = noiseLayer,
                    CorruptPosition = corruptPosition,
                    CorruptSlot = corruptSlot,
                    SkipLayer = skipLayer,
                    SkipFromPosition = skipFrom,
                    OtherWeights = otherWeights,
                    RandomTokensFromPosition = randomFrom,
                },
            };
            try
            {
                options.Validate(loaded.Config);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"fault injection: {e.Message}");
            }
            await WorkerHost.RunAsync(loaded, key, options, (address, boundDataPort) =>
            {
                string data = boundDataPort > 0 ? $", data path on port {boundDataPort}" : ", no data path";
                context.Out.WriteLine($"worker listening on {address} (layers {first}-{last}, node {key.Address}{data})");
                context.Out.Flush();
            }, cancellation);
            return ExitCodes.Success;
        }));
        return command.WithExamples(
            "depin worker --model stories260K --layers 0-1 --port 7001 --keystore ~/.depinledger/keystore",
            "depin worker --model model.dplm --layers 4-7 --port 0 --passphrase-file pass.txt --rpc http://127.0.0.1:8545");
    }

    /// <summary>--data-port: a port number 0..65535 (0 = any free port, the default) or "off".</summary>
    internal static int? ParseDataPort(string? text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        if (text == "off") return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535) return port;
        throw new UsageException($"--data-port must be a port number 0..65535 or 'off', got '{text}'");
    }

    /// <summary>"A-B" (inclusive, A ≤ B) or "A".</summary>
    internal static (int First, int Last) ParseRange(string text, string option)
    {
        string[] parts = text.Split('-');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new UsageException($"{option} must look like A-B (e.g. 0-3), got '{text}'");
        int first = int.Parse(parts[0], CultureInfo.InvariantCulture), last = int.Parse(parts[^1], CultureInfo.InvariantCulture);
        if (last < first) throw new UsageException($"{option} {text}: the last layer comes before the first");
        return (first, last);
    }

    /// <summary>"A:B" (or "A" when the second number is optional) of non-negative integers; <paramref name="absent"/> when the option is not given.</summary>
    private static (int, int) ParsePair(string? text, string option, string shape, bool secondOptional, (int, int) absent)
    {
        if (string.IsNullOrEmpty(text)) return absent;
        string[] parts = text.Split(':');
        int[] numbers = new int[parts.Length];
        bool ok = parts.Length == 2 || (secondOptional && parts.Length == 1);
        for (int i = 0; ok && i < parts.Length; i++) ok = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]);
        if (!ok) throw new UsageException($"{option} must look like {shape}, got '{text}'");
        return (numbers[0], parts.Length == 2 ? numbers[1] : absent.Item2);
    }

    private static Uri ParseUrl(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" ? url : throw new UsageException($"{option} must be an http(s) URL, got '{text}'");
}
