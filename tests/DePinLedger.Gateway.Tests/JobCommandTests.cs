using System.Text.Json;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli;
using DePinLedger.Inference.Engine;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Gateway.Tests;

/// <summary>The client verbs end to end: `depin job submit` pays on anvil, streams from the coordinator, prints the receipt; `depin job status` reads it back.</summary>
[Collection(GatewayCollection.Name)]
public sealed class JobCommandTests(GatewayFixture fixture) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("depin-job-cli-").FullName;

    [Fact]
    public async Task Submit_PaysStreamsAndPrintsTheReceipt_StatusReadsItBack()
    {
        string[] chain = await ClientAsync(fixture.Chain, 5, _root);

        (int code, string output, string error) = Run(["job", "submit", "--model", SharedModels.Stories260K, "--prompt", "Once upon a time", "--max-tokens", "12",
            "--fee", "2.5", "--gateway", fixture.Http.BaseAddress!.ToString(), "--json", .. chain]);

        Assert.True(code == 0, error);
        JsonElement report = JsonDocument.Parse(output).RootElement;
        int[] prompt = fixture.Model.Tokenizer.Encode("Once upon a time", bos: true, eos: false);
        using var generator = new Generator(fixture.Model, prompt.Length + 11);
        GenerationResult expected = generator.Generate(prompt, 12, SamplingParams.Greedy, generator.NewTrace());
        Assert.Equal("submitted", report.GetProperty("status").GetString());
        Assert.Equal(expected.OutputTokens, report.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal("0x" + Convert.ToHexStringLower(expected.OutputHash.AsSpan()), report.GetProperty("output_hash").GetString());
        string jobId = report.GetProperty("job_id").GetString()!;
        Assert.Equal(2.5m * 1_000_000_000_000_000_000m, (decimal)(await fixture.OnChainAsync(Bytes32.Parse(jobId))).Fee);

        (code, output, error) = Run(["job", "status", jobId, "--gateway", fixture.Http.BaseAddress!.ToString(), "--json", .. chain]);
        Assert.True(code == 0, error);
        JsonElement status = JsonDocument.Parse(output).RootElement;
        Assert.Equal("submitted", status.GetProperty("status").GetString());
        Assert.Equal("submitted", status.GetProperty("coordinator_status").GetString());
        Assert.Equal((uint)expected.OutputTokens.Count, status.GetProperty("token_count").GetUInt32());

        (code, _, error) = Run(["job", "status", "0x" + new string('c', 64), "--json", .. chain]);
        Assert.Equal(1, code);
        Assert.Contains("JobMarket has no job", error);
        (code, _, error) = Run(["job", "submit", "--model", SharedModels.Stories260K, "--prompt", "Once", "--fee", "-1", .. chain]);
        Assert.Equal(2, code);
        Assert.Contains("--fee", error);
    }

    /// <summary>
    /// Dev account <paramref name="client"/> funded and in a keystore under <paramref name="root"/>, with a passphrase file
    /// and the deployment file: the chain options a client's `depin job` verbs take.
    /// </summary>
    internal static async Task<string[]> ClientAsync(AnvilChain chain, int client, string root)
    {
        await chain.MintAsync(AnvilChain.DevAddress(client), 50);
        string keystore = Path.Combine(root, "keystore"), pass = Path.Combine(root, "pass.txt"), deployment = Path.Combine(root, "deployment.json");
        File.WriteAllText(pass, "client passphrase\n");
        new Keystore(keystore).Save(AnvilChain.DevKey(client), "client passphrase", scryptN: 1024);
        chain.Deployment.Save(deployment);
        return ["--rpc", chain.Rpc.ToString(), "--deployment", deployment, "--keystore", keystore, "--passphrase-file", pass];
    }

    /// <summary>Runs `depin` in this process with its output captured.</summary>
    internal static (int Code, string Out, string Error) Run(string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = DepinCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
