using System.Net;
using System.Text;
using System.Text.Json;
using DePinLedger.Worker.Tests;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// The coordinator with a database: the indexer follows the chain (the registered nodes appear in GET /v1/nodes), a
/// real worker's signed heartbeats are taken (its span shows), and bad heartbeats and queries are refused.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NodeApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task IndexedNodes_AndAWorkersSignedHeartbeats_ShowInTheNodeList()
    {
        string node = fixture.Node.Address.ToLowerInvariant(), other = new DePinLedger.Protocol.Receipts.NodeKey(fixture.CheckNode.PrivateKey).Address.ToLowerInvariant();
        JsonElement listed = await PollAsync("/v1/nodes", nodes => nodes.EnumerateArray().Count() >= 2);
        Assert.Contains(listed.EnumerateArray(), n => n.GetProperty("address").GetString()!.Equals(node, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(listed.EnumerateArray(), n => n.GetProperty("address").GetString()!.Equals(other, StringComparison.OrdinalIgnoreCase));

        // A worker that reports to the coordinator every second.
        Uri heartbeats = new(fixture.Http.BaseAddress!, "/v1/heartbeats");
        using WorkerProcess reporting = await WorkerProcess.StartAsync(fixture.Node, "2-3", "--heartbeat-url", heartbeats.ToString(), "--heartbeat-seconds", "1");
        JsonElement updated = await PollAsync("/v1/nodes", nodes => nodes.EnumerateArray().Any(n =>
            n.GetProperty("address").GetString()!.Equals(node, StringComparison.OrdinalIgnoreCase) && n.GetProperty("lastHeartbeatAt").ValueKind == JsonValueKind.String));
        JsonElement mine = updated.EnumerateArray().Single(n => n.GetProperty("address").GetString()!.Equals(node, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(2, mine.GetProperty("firstLayer").GetInt32());
        Assert.Equal(3, mine.GetProperty("lastLayer").GetInt32());
        Assert.Equal(fixture.Model.ModelId.ToString(), mine.GetProperty("servedModel").GetString(), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ANodesRoundTrip_IsMeasuredAtItsRegisteredEndpoint_AndKeptWithItsHeartbeats()
    {
        // A node of its own (dev account 8 operates it) whose registered endpoint is its running worker.
        using var node = new TestNode("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
        Uri heartbeats = new(fixture.Http.BaseAddress!, "/v1/heartbeats");
        using WorkerProcess worker = await WorkerProcess.StartAsync(node, "0-1", "--heartbeat-url", heartbeats.ToString(), "--heartbeat-seconds", "1");
        await fixture.Chain.RegisterAndStakeAsync(8, node, endpoint: worker.Address.ToString());

        // Once indexed, its heartbeats are taken; each one after the first carries the round trip measured after the previous.
        JsonElement listed = await PollAsync("/v1/nodes", nodes => nodes.EnumerateArray().Any(n =>
            n.GetProperty("address").GetString()!.Equals(node.Address, StringComparison.OrdinalIgnoreCase) && n.GetProperty("rttMs").ValueKind == JsonValueKind.Number));
        double rtt = listed.EnumerateArray().Single(n => n.GetProperty("address").GetString()!.Equals(node.Address, StringComparison.OrdinalIgnoreCase)).GetProperty("rttMs").GetDouble();
        // A loopback round trip: far below the 50 ms the scheduler assumes for a node it has not measured.
        Assert.InRange(rtt, 0.001, 50);

        // The fixture's nodes are registered at an endpoint where nothing listens: no measurement, the default applies.
        JsonElement unreachable = await PollAsync("/v1/nodes", _ => true);
        Assert.All(unreachable.EnumerateArray().Where(n => n.GetProperty("address").GetString()!.Equals(fixture.Node.Address, StringComparison.OrdinalIgnoreCase)),
            n => Assert.Equal(JsonValueKind.Null, n.GetProperty("rttMs").ValueKind));
    }

    [Fact]
    public async Task BadHeartbeatsAndQueries_AreRefusedWithProblemDetails()
    {
        await Expect(HttpStatusCode.BadRequest, "sort must be one of", await fixture.Http.GetAsync("/v1/nodes?sort=bogus"));
        await Expect(HttpStatusCode.BadRequest, "model must be a model id", await fixture.Http.GetAsync("/v1/nodes?model=llama"));
        await Expect(HttpStatusCode.BadRequest, null, await PostHeartbeat("{}", signature: null));
        await Expect(HttpStatusCode.BadRequest, null, await PostHeartbeat("not json", signature: "0x" + new string('1', 130)));
        await Expect(HttpStatusCode.RequestEntityTooLarge, "at most 4096 bytes", await PostHeartbeat(new string(' ', 5000), signature: "0x00"));
    }

    private Task<HttpResponseMessage> PostHeartbeat(string body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/heartbeats") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.Add("X-Depin-Signature", signature);
        return fixture.Http.SendAsync(request);
    }

    private async Task<JsonElement> PollAsync(string path, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            JsonElement body = JsonDocument.Parse(await fixture.Http.GetStringAsync(path)).RootElement;
            if (done(body)) return body;
            Assert.True(DateTime.UtcNow < deadline, $"{path} never got there: {body}");
            await Task.Delay(250);
        }
    }

    private static async Task Expect(HttpStatusCode status, string? detail, HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            if (detail is not null) Assert.Contains(detail, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        }
    }
}
