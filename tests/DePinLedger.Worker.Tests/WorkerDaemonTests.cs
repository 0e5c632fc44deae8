using System.Net;
using System.Text.Json;
using DePinLedger.Cli;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Worker.Contracts;
using DePinLedger.Worker.Heartbeats;
using Grpc.Net.Client;

namespace DePinLedger.Worker.Tests;

/// <summary>The daemon around the service: the verb's usage errors, info/health, signed heartbeats.</summary>
[Collection(WorkerCollection.Name)]
public sealed class WorkerDaemonTests(PipelineFixture fixture)
{
    [Theory]
    [InlineData("3-1", "--layers 3-1: the last layer comes before the first")]
    [InlineData("a-b", "--layers must look like A-B (e.g. 0-3), got 'a-b'")]
    [InlineData("0-9", "--layers 0-9: the model has layers 0-4")]
    public void WorkerVerb_WithBadLayers_FailsWithOneUsageLine(string layers, string message) =>
        AssertUsageError(message, "--layers", layers, "--port", "0");

    [Theory]
    [InlineData("x", "--data-port must be a port number 0..65535 or 'off', got 'x'")]
    [InlineData("70000", "--data-port must be a port number 0..65535 or 'off', got '70000'")]
    [InlineData("7123", "--data-port 7123: the data path needs a port of its own, not the gRPC --port")]
    public void WorkerVerb_WithABadDataPort_FailsWithOneUsageLine(string dataPort, string message) =>
        AssertUsageError(message, "--layers", "0-1", "--port", "7123", "--data-port", dataPort);

    /// <summary>`depin worker` with these options exits 2 with exactly one line, "depin: MESSAGE".</summary>
    private void AssertUsageError(string message, params string[] options)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DepinCli.Run(["worker", "--model", SharedModelsPath(), .. options, "--keystore", fixture.Node.KeystoreDirectory,
            "--passphrase-file", fixture.Node.PassphraseFile], stdout, stderr);
        Assert.Equal(2, code);
        Assert.Equal($"depin: {message}", stderr.ToString().Trim());
    }

    [Fact]
    public async Task Info_ReportsSpanMemoryAndMeasuredThroughput()
    {
        await new PipelineRunner().RunAsync(fixture.Route(), PipelineFixture.Job(fixture.Prompt, 8, SamplingParams.Greedy, 88));
        using var channel = GrpcChannel.ForAddress(fixture.Stage1.Address);
        InfoReply info = await new Contracts.Worker.WorkerClient(channel).InfoAsync(new InfoRequest());
        Assert.Equal((2, 4, 5, 64, 512, 512), (info.FirstLayer, info.EndLayer, info.Layers, info.Dim, info.Vocab, info.MaxPositions));
        Assert.Equal(fixture.Model.ModelId.ToString(), info.ModelId);
        Assert.Equal(fixture.Node.Address, info.NodeAddress, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(0, info.KvUsedBytes);
        Assert.Equal(1L << 30, info.KvBudgetBytes);
        Assert.True(info.PositionsPerSecond > 0);
    }

    [Fact]
    public async Task Heartbeats_ArePostedToTheCoordinator_SignedByTheNodeKey()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/heartbeat/");
        listener.Start();
        using WorkerProcess worker = await WorkerProcess.StartAsync(fixture.Node, "4-4", "--heartbeat-url", $"http://127.0.0.1:{port}/heartbeat/", "--heartbeat-seconds", "1");

        HttpListenerContext context = await listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await context.Request.InputStream.CopyToAsync(buffer);
            body = buffer.ToArray();
        }
        string signature = context.Request.Headers[HeartbeatService.SignatureHeader]!;
        context.Response.StatusCode = 204;
        context.Response.Close();

        Assert.Equal("POST", context.Request.HttpMethod);
        byte[] signed = Convert.FromHexString(signature[2..]);
        Assert.Equal(fixture.Node.Address, NodeKey.Recover(new Bytes32(Keccak256.Hash(body).AsSpan()), signed), StringComparer.OrdinalIgnoreCase);
        using JsonDocument json = JsonDocument.Parse(body);
        Assert.Equal(fixture.Node.Address, json.RootElement.GetProperty("node").GetString(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal("4", json.RootElement.GetProperty("first_layer").GetString());
        Assert.Equal(fixture.Model.ModelId.ToString(), json.RootElement.GetProperty("model_id").GetString());
    }

    private static string SharedModelsPath() => Inference.Tests.SharedModels.Stories260K;
}
