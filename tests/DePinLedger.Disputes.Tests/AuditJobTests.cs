using System.Text.Json;
using DePinLedger.Chain.Clients;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Transactions;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Tests.Support;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Tests;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;

namespace DePinLedger.Disputes.Tests;

/// <summary>
/// <c>depin audit job</c> as users run it (the built depin.dll): a verified job whose replicas committed what worker
/// pipelines commit (replica 0 on two stages, replica 1 on one), honest or with replica 1 faulty, re-run from the
/// chain's record and the prompt.
/// </summary>
public sealed class AuditJobTests : AuditChainTests
{
    private const string Prompt = "Once upon a time";

    [Fact]
    public async Task HonestJob_BothReplicasConsistent_Exit0_AndAnotherPromptExits1()
    {
        DisputeScenario s = await DisputeScenario.StartAsync(Anvil, faultyReplica: 0, fault: null, Prompt, pipelineCommitments: true);

        DepinProcess.Result audit = await Audit(s.JobId.ToString(), "--prompt", Prompt, "--json");

        Assert.True(audit.ExitCode == 0, audit.Error + audit.Out);
        JsonElement report = JsonDocument.Parse(audit.Out).RootElement;
        Assert.True(report.GetProperty("consistent").GetBoolean());
        Assert.Equal(s.JobId.ToString(), report.GetProperty("job_id").GetString());
        Assert.Equal("submitted", report.GetProperty("status").GetString());
        Assert.Empty(report.GetProperty("wrong_replicas").EnumerateArray());
        Assert.Empty(report.GetProperty("disputes").EnumerateArray());
        Assert.Empty(report.GetProperty("problems").EnumerateArray());
        Assert.Equal(s.Prompt.Length, report.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(6, report.GetProperty("token_count").GetInt32());
        JsonElement[] replicas = [.. report.GetProperty("replicas").EnumerateArray()];
        Assert.Equal(2, replicas.Length);
        int[] stageCounts = [2, 1];
        for (int r = 0; r < 2; r++)
        {
            JsonElement replica = replicas[r];
            Assert.Equal(r, replica.GetProperty("replica").GetInt32());
            Assert.True(replica.GetProperty("consistent").GetBoolean());
            Assert.Equal(JsonValueKind.Null, replica.GetProperty("first_mismatch").ValueKind);
            Assert.Equal(report.GetProperty("result_root").GetString(), replica.GetProperty("result_root").GetString());
            JsonElement[] stages = [.. replica.GetProperty("stages").EnumerateArray()];
            Assert.Equal(stageCounts[r], stages.Length);
            for (int i = 0; i < stages.Length; i++)
            {
                StageCommitment committed = s.Replicas[r].Stages[i];
                Assert.True(stages[i].GetProperty("signature_valid").GetBoolean());
                Assert.Empty(stages[i].GetProperty("differs").EnumerateArray());
                Assert.Equal(committed.TraceRoot.ToString(), stages[i].GetProperty("expected_trace_root").GetString());
                Assert.Equal(committed.InputRoot.ToString(), stages[i].GetProperty("expected_input_root").GetString());
                Assert.Equal(committed.OutputRoot.ToString(), stages[i].GetProperty("expected_output_root").GetString());
            }
        }
        // Replica 0's stage boundary: what stage 0 sent is what stage 1 received.
        Assert.Equal(replicas[0].GetProperty("stages")[0].GetProperty("output_root").GetString(), replicas[0].GetProperty("stages")[1].GetProperty("input_root").GetString());

        DepinProcess.Result readable = await Audit(s.JobId.ToString(), "--prompt", Prompt, "--model", SharedModels.Stories260K, "--threads", "1");
        Assert.True(readable.ExitCode == 0, readable.Error);
        Assert.Contains("replica 0: consistent with the recomputation", readable.Out);
        Assert.Contains("replica 1: consistent with the recomputation", readable.Out);
        Assert.Contains("every submitted replica matches the recomputation", readable.Out);

        AssertFailed(await Audit(s.JobId.ToString(), "--prompt", "Once upon a tim"), "is not this job's prompt");
    }

    [Fact]
    public async Task FaultyReplica1_Exit2_NamesTheReplicaTheStageAndTheRoot()
    {
        // Replica 1 (one stage) samples a wrong last token: its only stage's trace root (the head leaf) and output root
        // (the output hash) differ; the embedded tokens, hence its input root, do not (the last token is never embedded).
        int promptTokens = DisputeScenario.Model.Tokenizer.Encode(Prompt, bos: true, eos: false).Length;
        var lastHead = new TracePoint(promptTokens + 6 - 2, DisputeScenario.Model.Config.Layers + 1);
        DisputeScenario s = await DisputeScenario.StartAsync(Anvil, faultyReplica: 1, new TraceFault(lastHead), Prompt, pipelineCommitments: true);

        DepinProcess.Result audit = await Audit(s.JobId.ToString(), "--prompt", Prompt, "--json");

        Assert.True(audit.ExitCode == 2, audit.Error + audit.Out);
        JsonElement report = JsonDocument.Parse(audit.Out).RootElement;
        Assert.False(report.GetProperty("consistent").GetBoolean());
        JsonElement honest = report.GetProperty("replicas")[0], faulty = report.GetProperty("replicas")[1];
        Assert.True(honest.GetProperty("consistent").GetBoolean());
        Assert.False(faulty.GetProperty("consistent").GetBoolean());
        Assert.Equal(1, faulty.GetProperty("replica").GetInt32());
        JsonElement mismatch = faulty.GetProperty("first_mismatch");
        Assert.Equal(0, mismatch.GetProperty("stage").GetInt32());
        Assert.Equal("trace_root", mismatch.GetProperty("commitment").GetString());
        Assert.Equal(s.Replicas[1].Stages[0].TraceRoot.ToString(), mismatch.GetProperty("committed").GetString());
        Assert.Equal(faulty.GetProperty("stages")[0].GetProperty("expected_trace_root").GetString(), mismatch.GetProperty("recomputed").GetString());
        Assert.NotEqual(mismatch.GetProperty("committed").GetString(), mismatch.GetProperty("recomputed").GetString());
        Assert.Equal(["trace_root", "output_root"], faulty.GetProperty("stages")[0].GetProperty("differs").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["result_root", "output_hash"], faulty.GetProperty("differs").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(6u, faulty.GetProperty("token_count").GetUInt32());
        Assert.True(faulty.GetProperty("stages")[0].GetProperty("signature_valid").GetBoolean());

        DepinProcess.Result readable = await Audit(s.JobId.ToString(), "--prompt", Prompt);
        Assert.Equal(2, readable.ExitCode);
        Assert.Contains("replica 0: consistent with the recomputation", readable.Out);
        Assert.Contains($"replica 1: DIFFERS from the recomputation, first at stage 0 trace root: committed {s.Replicas[1].Stages[0].TraceRoot}", readable.Out);
        Assert.Contains("some replica DIFFERS from the recomputation", readable.Out);
        Assert.Contains("no dispute was opened about this job", readable.Out);

        // Once the challenger has disputed replica 1 and won, the audit points at the dispute and the wrong replica.
        await Anvil.MintAsync(AnvilChain.DevAddress(DisputeScenario.Challenger), 1_000);
        var client = new DisputeClient(await Anvil.SenderAsync(DisputeScenario.Challenger), Anvil.Deployment);
        using EngineTrace agreed = s.Recompute();
        DisputeResult result = await client.DisputeAsync(await s.CaseFromChainAsync(), agreed, DisputeScenario.Openings, default);
        Assert.Equal(DisputeOutcome.ChallengerWon, result.Outcome);

        DepinProcess.Result after = await Audit(s.JobId.ToString(), "--prompt", Prompt, "--json");
        Assert.Equal(2, after.ExitCode);
        JsonElement again = JsonDocument.Parse(after.Out).RootElement;
        Assert.Equal([1], again.GetProperty("wrong_replicas").EnumerateArray().Select(r => r.GetInt32()));
        JsonElement dispute = Assert.Single(again.GetProperty("disputes").EnumerateArray());
        Assert.Equal(result.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture), dispute.GetProperty("dispute_id").GetString());
        Assert.Equal(1, dispute.GetProperty("defender_replica").GetInt32());
        Assert.Equal(AnvilChain.DevAddress(DisputeScenario.Challenger), dispute.GetProperty("challenger").GetString(), StringComparer.OrdinalIgnoreCase);
        Assert.Contains($"replay it with 'depin audit replay {result.DisputeId}'", (await Audit(s.JobId.ToString(), "--prompt", Prompt)).Out);
    }

    [Fact]
    public async Task UnknownJob_JobWithoutResult_MalformedId_EmptyPrompt_Exit1WithOneClearLine()
    {
        // A job paid for but not run yet: there is nothing to compare.
        await ModelRegistration.RegisterAsync(await Anvil.SenderAsync(0), Anvil.Deployment, DisputeScenario.Model, Anvil.Deployment.StepVerifier, "stories260K", default);
        TransactionSender client = await Anvil.SenderAsync(DisputeScenario.Client);
        await Anvil.MintAsync(client.Address, 1_000);
        int[] prompt = DisputeScenario.Model.Tokenizer.Encode(Prompt, bos: true, eos: false);
        var request = new JobRequest(new Bytes32(DisputeScenario.Model.ModelId.AsSpan()), JobTerms.PromptHash(prompt), 6, 0, JobRequest.Q16One, 7, 1, DisputeScenario.Token,
            (ulong)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), Keccak.Hash("audit-open-job"));
        (Bytes32 open, _) = await new JobClient(client, Anvil.Deployment).CreateAsync(request, null, default);
        AssertFailed(await Audit(open.ToString(), "--prompt", Prompt), $"job {open} has no submitted result yet (it is open)");

        string unknown = Keccak.Hash("no such job").ToString();
        AssertFailed(await Audit(unknown, "--prompt", Prompt), $"job {unknown} does not exist on chain 31337");
        AssertFailed(await Audit("0x1234", "--prompt", Prompt), "expected a job id (0x and 64 hex digits) as JOB_ID, got '0x1234'");
        AssertFailed(await Audit(unknown[2..], "--prompt", Prompt), "expected a job id");
        AssertFailed(await Audit(unknown), "--prompt is required");
        AssertFailed(await Audit(unknown, "--prompt", Prompt, "--threads", "0"), "--threads must be 1 to 64, got 0");
        AssertFailed(await DepinProcess.RunAsync("audit", "job", unknown, "--prompt", Prompt, "--rpc", "ftp://127.0.0.1", "--deployment", DeploymentPath), "--rpc expects an http(s) URL");
    }

    private Task<DepinProcess.Result> Audit(string id, params string[] more) => AuditAsync("job", id, more);
}
