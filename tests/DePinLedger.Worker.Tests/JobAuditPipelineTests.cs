using DePinLedger.Chain.Contracts.Models;
using DePinLedger.Disputes.Audit;
using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Pipeline;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;

namespace DePinLedger.Worker.Tests;

/// <summary>
/// The job auditor against what real worker processes commit: a replica run through the fixture's three-stage
/// pipeline, its receipts and result as the coordinator would submit them (ResultSubmitter), audited from the request
/// and the prompt text. Nothing here reads the chain (the Disputes tests run the verb against anvil).
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class JobAuditPipelineTests(PipelineFixture fixture)
{
    private const string Prompt = "Once upon a time";
    private const string Client = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

    [Fact]
    public async Task ASampledJob_ThroughRealWorkers_MatchesTheRecomputation_StageByStage()
    {
        var request = Request(maxTokens: 9, temperatureMilli: 700, topPMilli: 900, seed: 3);
        PipelineResult result = await RunAsync(request, fixture.Route());

        JobAuditReport report = JobAuditor.Audit(Subject(request, result), fixture.Model, Prompt, parallelRuns: 1);

        Assert.True(report.Consistent, string.Join("; ", report.Problems));
        AuditedReplica replica = Assert.Single(report.Replicas);
        Assert.Null(replica.FirstMismatch);
        Assert.Equal(3, replica.Stages.Count);
        Assert.All(replica.Stages, s => Assert.Empty(s.Differs));
        Assert.All(replica.Stages, s => Assert.True(s.SignatureValid));
        Assert.Equal(result.OutputTokens.Count, report.TokenCount);
        Assert.Equal(result.TraceRoot.ToString(), report.ResultRoot);
    }

    [Fact]
    public async Task AMiddleStageCommittingAWrongLeaf_IsNamed_WithItsTraceRoot_AndNothingElseOfTheOtherStages()
    {
        // The worker computes honestly but commits a wrong hash for block 3's leaf (slot 4) at position 7.
        var request = Request(maxTokens: 14, temperatureMilli: 0, topPMilli: 1000, seed: 0);
        using WorkerProcess faulty = await WorkerProcess.StartAsync(fixture.Node, "2-3", "--fault-corrupt-leaf", "7:4");
        PipelineResult result = await RunAsync(request, fixture.RouteWith(1, faulty.Address));

        JobAuditReport report = JobAuditor.Audit(Subject(request, result), fixture.Model, Prompt, parallelRuns: 1);

        Assert.False(report.Consistent);
        AuditedReplica replica = Assert.Single(report.Replicas);
        Assert.Equal(new CommitmentMismatch(1, JobAuditor.TraceRoot, result.Receipts[1].Receipt.TraceRoot.ToString(), replica.Stages[1].ExpectedTraceRoot), replica.FirstMismatch);
        Assert.Equal(["", JobAuditor.TraceRoot, ""], replica.Stages.Select(s => string.Join(",", s.Differs)));
        Assert.Equal([JobAuditor.ResultRoot], replica.Differs);
    }

    private JobRequest Request(uint maxTokens, int temperatureMilli, int topPMilli, ulong seed) =>
        new(new Bytes32(fixture.Model.ModelId.AsSpan()), JobConventions.PromptHash(fixture.Prompt), maxTokens, JobConventions.Q16FromMilli(temperatureMilli),
            JobConventions.Q16FromMilli(topPMilli), seed, 1, 1, 4_000_000_000, Keccak.Hash($"audit-{maxTokens}-{seed}"));

    // The pipeline job the coordinator derives from the request (JobCoordinator.RunAsync).
    private Task<PipelineResult> RunAsync(JobRequest request, IReadOnlyList<StageRoute> route) =>
        new PipelineRunner().RunAsync(route, new PipelineJob(new(request.JobId(Client).Span), 0, fixture.Prompt, (int)request.MaxTokens, JobTerms.Sampling(request),
            PipelineFixture.ChainId, PipelineFixture.JobMarket));

    /// <summary>What the chain would record for the replica once submitted: the receipts' stages and signatures, the result root, output hash and token count.</summary>
    private JobAuditSubject Subject(JobRequest request, PipelineResult result)
    {
        var stages = result.Receipts.Select(r => new StageCommitment(r.Signer, new StageSpan(r.Receipt.FirstLayer, r.Receipt.LastLayer),
            r.Receipt.InputRoot, r.Receipt.TraceRoot, r.Receipt.OutputRoot)).ToList();
        var replica = new SubmittedReplica(0, stages, [.. result.Receipts.Select(r => r.Signature)], "(the pipeline's result, not submitted)")
        {
            ResultRoot = new Bytes32(result.TraceRoot.AsSpan()), OutputHash = new Bytes32(result.OutputHash.AsSpan()), TokenCount = (uint)result.OutputTokens.Count,
        };
        return new JobAuditSubject
        {
            Job = new JobOnChain(request.JobId(Client), Client, request, [replica]),
            ChainId = PipelineFixture.ChainId,
            JobMarket = PipelineFixture.JobMarket,
            Status = "submitted",
            WrongMask = 0,
            Model = new ModelRegisteredEvent { WeightsRoot = fixture.Model.WeightsRoot.AsSpan().ToArray(), Dims = new ModelDims { LayerCount = (ushort)fixture.Model.Config.Layers } },
            Disputes = [],
        };
    }
}
