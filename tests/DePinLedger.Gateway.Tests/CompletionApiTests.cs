using System.Net;
using System.Text;
using System.Text.Json;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Gateway.Tests;

/// <summary>The OpenAI-style endpoint: a completion of a job paid on-chain, whole or streamed, and refusals of requests that are not the paid job.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CompletionApiTests(GatewayFixture fixture)
{
    private const string Prompt = "Once upon a time";

    [Fact]
    public async Task Completion_WaitsForTheOnChainResult_AndAnswersInOpenAiShape()
    {
        Bytes32 jobId = await fixture.CreateJobAsync(8, Prompt, maxTokens: 10);
        using HttpResponseMessage response = await Post(new { model = "stories260K", prompt = Prompt, max_tokens = 10, temperature = 0, job_id = jobId.ToString() });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);

        JsonElement completion = JsonDocument.Parse(body).RootElement;
        GenerationResult expected = Reference(10);
        Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        Assert.Equal("cmpl-" + jobId.ToString()[2..], completion.GetProperty("id").GetString());
        Assert.Equal(TextOf(expected.OutputTokens), completion.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(expected.OutputTokens.Count, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("submitted", completion.GetProperty("depin").GetProperty("status").GetString());
        Assert.Equal((byte)2, (await fixture.OnChainAsync(jobId)).Status);
    }

    [Fact]
    public async Task StreamedCompletion_SendsOneChunkPerToken_ThenDone()
    {
        Bytes32 jobId = await fixture.CreateJobAsync(8, Prompt, maxTokens: 8);
        using HttpResponseMessage response = await Post(new { prompt = Prompt, stream = true, job_id = jobId.ToString() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] data = [.. (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..])];

        Assert.Equal("[DONE]", data[^1]);
        JsonElement[] chunks = [.. data[..^1].Select(d => JsonDocument.Parse(d).RootElement)];
        GenerationResult expected = Reference(8);
        Assert.Equal(expected.OutputTokens.Count + 1, chunks.Length);
        Assert.Equal(TextOf(expected.OutputTokens), string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.NotNull(chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ARequestThatIsNotThePaidJob_Is422_AndAMissingJobId400()
    {
        Bytes32 jobId = await fixture.CreateJobAsync(8, Prompt, maxTokens: 6, temperatureQ16: 0, seed: 5);
        await Expect(HttpStatusCode.UnprocessableEntity, "max_tokens 7 differs from the paid job's 6", new { prompt = Prompt, max_tokens = 7, job_id = jobId.ToString() });
        await Expect(HttpStatusCode.UnprocessableEntity, "temperature 0.7 differs", new { prompt = Prompt, temperature = 0.7, job_id = jobId.ToString() });
        await Expect(HttpStatusCode.UnprocessableEntity, "seed 6 differs from the paid job's 5", new { prompt = Prompt, seed = 6, job_id = jobId.ToString() });
        await Expect(HttpStatusCode.UnprocessableEntity, "is not the served model", new { model = "gpt-4", prompt = Prompt, job_id = jobId.ToString() });
        await Expect(HttpStatusCode.BadRequest, "a job id is 0x", new { prompt = Prompt });
        await Expect(HttpStatusCode.UnprocessableEntity, "committed to", new { prompt = "Twice upon a time", job_id = jobId.ToString() });
    }

    private async Task Expect(HttpStatusCode status, string detail, object body)
    {
        using HttpResponseMessage response = await Post(body);
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(detail, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }

    private Task<HttpResponseMessage> Post(object body) =>
        fixture.Http.PostAsync("/v1/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    /// <summary>The text of the tokens as the coordinator streams it: each token decoded after its predecessor, BOS and EOS as nothing.</summary>
    private string TextOf(IReadOnlyList<int> tokens)
    {
        var text = new StringBuilder();
        int previous = 1;
        foreach (int token in tokens)
        {
            if (token is not (1 or 2)) text.Append(fixture.Model.Tokenizer.Decode(previous, token));
            previous = token;
        }
        return text.ToString();
    }

    private GenerationResult Reference(int maxTokens)
    {
        int[] prompt = fixture.Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
        using var generator = new Generator(fixture.Model, prompt.Length + maxTokens - 1);
        return generator.Generate(prompt, maxTokens, SamplingParams.Greedy, generator.NewTrace());
    }
}
