using System.Globalization;
using System.Text;
using System.Text.Json;
using DePinLedger.Inference.Commitments;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Worker.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Worker.Heartbeats;

/// <summary>
/// Signed heartbeats to the coordinator: every interval, a JSON body (node address, model id, span, open sessions,
/// KV memory, measured throughput, unix time) POSTed to the configured URL, with header
/// <c>X-Depin-Signature</c> = 0x-hex of the node key's 65-byte signature over keccak256(body bytes). Minimal on
/// purpose: the coordinator that receives them (and the uptime part of reputation) arrives later. Also drops idle sessions.
/// </summary>
public sealed class HeartbeatService(WorkerNode node, IHttpClientFactory http, ILogger<HeartbeatService> logger) : BackgroundService
{
    public const string SignatureHeader = "X-Depin-Signature";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan period = node.Options.HeartbeatUrl is null ? TimeSpan.FromMinutes(1) : node.Options.HeartbeatInterval;
        using var timer = new PeriodicTimer(period);
        do
        {
            int dropped = node.DropIdle(DateTime.UtcNow);
            if (dropped > 0) WorkerLog.DroppedIdle(logger, dropped);
            if (node.Options.HeartbeatUrl is { } url) await SendAsync(url, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The heartbeat body and its signature.</summary>
    public static (byte[] Body, byte[] Signature) Sign(WorkerNode node, DateTimeOffset now)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["node"] = node.Key.Address,
            ["model_id"] = node.Model.ModelId.ToString(),
            ["first_layer"] = node.Options.FirstLayer.ToString(CultureInfo.InvariantCulture),
            ["last_layer"] = node.Options.LastLayer.ToString(CultureInfo.InvariantCulture),
            ["open_sessions"] = node.OpenSessions.ToString(CultureInfo.InvariantCulture),
            ["kv_used_bytes"] = node.KvUsedBytes.ToString(CultureInfo.InvariantCulture),
            ["kv_budget_bytes"] = node.Options.KvBudgetBytes.ToString(CultureInfo.InvariantCulture),
            ["positions_per_second"] = node.PositionsPerSecond.ToString("F1", CultureInfo.InvariantCulture),
            ["time"] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        });
        return (body, node.Key.Sign(new Bytes32(Keccak256.Hash(body).AsSpan())));
    }

    private async Task SendAsync(Uri url, CancellationToken cancellationToken)
    {
        (byte[] body, byte[] signature) = Sign(node, DateTimeOffset.UtcNow);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = Encoding.UTF8.WebName };
        request.Headers.Add(SignatureHeader, "0x" + Convert.ToHexStringLower(signature));
        try
        {
            using HttpResponseMessage response = await http.CreateClient(nameof(HeartbeatService)).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode) WorkerLog.HeartbeatFailed(logger, url, $"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            WorkerLog.HeartbeatFailed(logger, url, e.Message);
        }
    }
}
