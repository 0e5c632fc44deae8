using System.Net;
using System.Text;
using System.Text.Json;
using DePinLedger.Chain.Contracts.Jobs;
using DePinLedger.Gateway.Hosting;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Microsoft.AspNetCore.Builder;

namespace DePinLedger.Gateway.Tests;

/// <summary>
/// The coordinator's job API against real anvil and real worker processes: a paid job's prompt goes in, its tokens
/// stream out as server-sent events identical to the single-process engine, and the signed result lands on-chain;
/// every bad request gets the right 4xx problem document.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class JobApiTests(GatewayFixture fixture)
{
    private const string Prompt = "Once upon a time";

    [Fact]
    public async Task PaidJob_StreamsTheEnginesTokens_AndItsSignedResultLandsOnChain()
    {
        const uint temperatureQ16 = 52_429; // 0.8 → 801 thousandths, rounded up as StepProver does
        Bytes32 jobId = await fixture.CreateJobAsync(3, Prompt, maxTokens: 24, temperatureQ16: temperatureQ16, topPQ16: 60_000, seed: 77);

        using HttpResponseMessage posted = await PostJson(new { job_id = jobId.ToString(), prompt = Prompt });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        Assert.Equal($"/v1/jobs/{jobId}", posted.Headers.Location?.ToString());

        List<(string Event, JsonElement Data)> events = await ReadStreamAsync(jobId);
        var sampling = new SamplingParams(801, JobConventions.CeilMilli(60_000), SamplingParams.SeedFrom(77));
        int[] prompt = fixture.Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
        using var generator = new Generator(fixture.Model, prompt.Length + 23);
        GenerationResult expected = generator.Generate(prompt, 24, sampling, generator.NewTrace());

        int[] streamed = [.. events.Where(e => e.Event == "token").Select(e => e.Data.GetProperty("token").GetInt32())];
        Assert.Equal(expected.OutputTokens, streamed);
        (string last, JsonElement done) = events[^1];
        Assert.Equal("done", last);
        Assert.Equal("submitted", done.GetProperty("status").GetString());
        Assert.StartsWith("0x", done.GetProperty("submission_tx").GetString());
        JsonElement replica = done.GetProperty("replica_results")[0];
        Assert.Equal(Hex(expected.TraceRoot), replica.GetProperty("trace_root").GetString());
        Assert.Equal(3, replica.GetProperty("stages").GetArrayLength());

        // From the chain, not from the API: the job is submitted with the engine's commitments.
        JobInfo onChain = await fixture.OnChainAsync(jobId);
        Assert.Equal((byte)2, onChain.Status); // Submitted
        ReplicaInfo stored = await fixture.ReplicaAsync(jobId, 0);
        Assert.Equal(expected.OutputHash.ToArray(), stored.OutputHash);
        Assert.Equal(expected.TraceRoot.ToArray(), stored.ResultRoot);
        Assert.Equal((uint)expected.OutputTokens.Count, stored.TokenCount);

        // The job resource says the same, and the stream replays a finished job whole.
        JsonElement view = await GetJson($"/v1/jobs/{jobId}");
        Assert.Equal("submitted", view.GetProperty("status").GetString());
        Assert.Equal(expected.OutputTokens, view.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(events.Count, (await ReadStreamAsync(jobId)).Count);
    }

    [Fact]
    public async Task VerifiedJob_RunsOnTwoDisjointPipelines_AndBothReplicasLandOnChain()
    {
        Bytes32 jobId = await fixture.CreateJobAsync(7, Prompt, maxTokens: 16, temperatureQ16: 45_000, seed: 3, replicas: 2);
        using (HttpResponseMessage posted = await PostJson(new { job_id = jobId.ToString(), prompt = Prompt })) Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        List<(string Event, JsonElement Data)> events = await ReadStreamAsync(jobId);
        (string last, JsonElement done) = events[^1];
        Assert.True(last == "done", done.ToString());

        JsonElement replicas = done.GetProperty("replica_results");
        Assert.Equal(2, replicas.GetArrayLength());
        Assert.Equal(replicas[0].GetProperty("trace_root").GetString(), replicas[1].GetProperty("trace_root").GetString());
        Assert.Equal(3, replicas[0].GetProperty("stages").GetArrayLength());
        Assert.Equal(2, replicas[1].GetProperty("stages").GetArrayLength());
        Assert.NotEqual(replicas[0].GetProperty("stages")[0].GetProperty("node").GetString(), replicas[1].GetProperty("stages")[0].GetProperty("node").GetString());
        // On-chain: both replicas accepted (JobMarket checked the operators are disjoint), with equal commitments.
        Assert.Equal((byte)2, (await fixture.OnChainAsync(jobId)).Status);
        ReplicaInfo served = await fixture.ReplicaAsync(jobId, 0), check = await fixture.ReplicaAsync(jobId, 1);
        Assert.Equal(served.OutputHash, check.OutputHash);
        Assert.Equal(served.ResultRoot, check.ResultRoot);
        Assert.NotEqual(served.StagesHash, check.StagesHash);
        Assert.Equal(events.Count(e => e.Event == "token"), (int)served.TokenCount);
    }

    [Fact]
    public async Task BadRequests_GetProblemDetails_WithTheRightStatus()
    {
        Bytes32 job = await fixture.CreateJobAsync(4, Prompt, maxTokens: 4);
        string unknown = "0x" + new string('a', 64);

        // Routing refuses other media types before the handler (the endpoint declares application/json).
        await ExpectProblem(HttpStatusCode.UnsupportedMediaType, null,
            await fixture.Http.PostAsync("/v1/jobs", new StringContent("{}", Encoding.UTF8, "text/plain")));
        await ExpectProblem(HttpStatusCode.BadRequest, "not a valid request", await PostRaw("{\"job_id\": "));
        await ExpectProblem(HttpStatusCode.BadRequest, "not a valid request", await PostRaw("[1, 2]"));
        await ExpectProblem(HttpStatusCode.BadRequest, "a job id is 0x followed by 64 hex digits", await PostJson(new { job_id = "0x1234", prompt = Prompt }));
        await ExpectProblem(HttpStatusCode.BadRequest, "a job id is 0x followed by 64 hex digits", await PostJson(new { prompt = Prompt }));
        await ExpectProblem(HttpStatusCode.BadRequest, "prompt must be a non-empty string", await PostJson(new { job_id = job.ToString(), prompt = "" }));
        await ExpectProblem(HttpStatusCode.NotFound, "JobMarket has no job", await PostJson(new { job_id = unknown, prompt = Prompt }));
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, "committed to", await PostJson(new { job_id = job.ToString(), prompt = "Once upon a time there was" }));
        await ExpectProblem(HttpStatusCode.RequestEntityTooLarge, "too large", await PostJson(new { job_id = job.ToString(), prompt = new string('x', 70_000) }));
        await ExpectProblem(HttpStatusCode.BadRequest, "a job id is 0x", await fixture.Http.GetAsync("/v1/jobs/nonsense"));
        await ExpectProblem(HttpStatusCode.NotFound, "was not posted to this coordinator", await fixture.Http.GetAsync($"/v1/jobs/{unknown}"));
        await ExpectProblem(HttpStatusCode.NotFound, "was not posted to this coordinator", await fixture.Http.GetAsync($"/v1/jobs/{unknown}/stream"));

        // The right prompt is accepted once; posting it again is a replay.
        using (HttpResponseMessage first = await PostJson(new { job_id = job.ToString(), prompt = Prompt })) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await ExpectProblem(HttpStatusCode.Conflict, "already posted", await PostJson(new { job_id = job.ToString(), prompt = Prompt }));
        await ReadStreamAsync(job);

        // A job for another model, and a verified job at a coordinator without a second pipeline.
        var otherModel = new Bytes32(Keccak256.Hash(Encoding.UTF8.GetBytes("another model")).AsSpan());
        await fixture.RegisterModelAsync(otherModel);
        Bytes32 foreign = await fixture.CreateJobAsync(4, Prompt, maxTokens: 4, modelId: otherModel);
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, "this coordinator serves", await PostJson(new { job_id = foreign.ToString(), prompt = Prompt }));
        Bytes32 verified = await fixture.CreateJobAsync(4, Prompt, maxTokens: 4, replicas: 2);
        await using WebApplication single = await fixture.StartCoordinatorAsync(new CoordinatorOptions { ServedRoute = fixture.Route });
        using var singleHttp = new HttpClient { BaseAddress = CoordinatorHost.Address(single) };
        await ExpectProblem(HttpStatusCode.ServiceUnavailable, "no second pipeline",
            await singleHttp.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(new { job_id = verified.ToString(), prompt = Prompt }), Encoding.UTF8, "application/json")));
        await single.StopAsync();
    }

    [Fact]
    public async Task AClientOverItsRateLimit_Gets429()
    {
        await using WebApplication limited = await fixture.StartCoordinatorAsync(new CoordinatorOptions { ServedRoute = fixture.Route, RequestsPerMinute = 3 });
        using var http = new HttpClient { BaseAddress = CoordinatorHost.Address(limited) };
        string unknown = "0x" + new string('b', 64);
        for (int i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/jobs/{unknown}")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.GetAsync($"/v1/jobs/{unknown}")).StatusCode);
        // Health and the API description are not rate limited.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        JsonElement openApi = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/v1/jobs/{id}/stream", out _));
        await limited.StopAsync();
    }

    [Fact]
    public async Task BeyondTheRetentionLimit_TheOldestFinishedJobIsForgotten()
    {
        await using WebApplication small = await fixture.StartCoordinatorAsync(new CoordinatorOptions { ServedRoute = fixture.Route, RetainedJobs = 1 });
        using var http = new HttpClient { BaseAddress = CoordinatorHost.Address(small) };
        Bytes32 first = await fixture.CreateJobAsync(9, Prompt, maxTokens: 3), second = await fixture.CreateJobAsync(9, Prompt, maxTokens: 3);
        foreach (Bytes32 job in (Bytes32[])[first, second])
        {
            using HttpResponseMessage posted = await http.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(new { job_id = job.ToString(), prompt = Prompt }), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            using HttpResponseMessage stream = await http.GetAsync($"/v1/jobs/{job}/stream"); // returns when the job has finished
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/jobs/{first}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/jobs/{second}")).StatusCode);
        await small.StopAsync();
    }

    private Task<HttpResponseMessage> PostJson(object body) =>
        fixture.Http.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> PostRaw(string body) =>
        fixture.Http.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

    private async Task<JsonElement> GetJson(string path) => JsonDocument.Parse(await fixture.Http.GetStringAsync(path)).RootElement;

    /// <summary>Reads a job's server-sent events until the stream ends (after the final event).</summary>
    private async Task<List<(string, JsonElement)>> ReadStreamAsync(Bytes32 jobId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/stream");
        using HttpResponseMessage response = await fixture.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string, JsonElement)>();
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((name ?? "message", JsonDocument.Parse(line[6..]).RootElement));
        }
        return events;
    }

    private static async Task ExpectProblem(HttpStatusCode status, string? detail, HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            if (detail is null) return;
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            JsonElement problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.Contains(detail, problem.GetProperty("detail").GetString());
        }
    }

    private static string Hex(Hash32 hash) => "0x" + Convert.ToHexStringLower(hash.AsSpan());
}
