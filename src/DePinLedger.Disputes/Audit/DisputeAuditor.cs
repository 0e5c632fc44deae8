using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Steps;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Model;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using DePinLedger.Protocol.Receipts;
using Game = DePinLedger.Chain.Contracts.Game;
using Models = DePinLedger.Chain.Contracts.Models;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Audit;

/// <summary>The model given to the auditor is not the one the job was registered with.</summary>
public sealed class ModelMismatchException(string message) : Exception(message);

/// <summary>A checked stage: its record, and whether the submit calldata's signature recovers to its node.</summary>
public sealed record AuditedStage(int Stage, string Node, int FirstLayer, int LastLayer, string TraceRoot, bool SignatureValid);

/// <summary>A side of the dispute.</summary>
public sealed record AuditedSide(string Role, int Replica, IReadOnlyList<AuditedStage> Stages);

/// <summary>One move, in chain order.</summary>
public sealed record AuditedMove(ulong Block, string Transaction, string Sender, string Event, string Detail);

/// <summary>A Merkle opening of the narrowing, re-verified against the signed stage root.</summary>
public sealed record AuditedOpening(string Side, string Leaf, int Position, int Slot, int Stage, bool Valid);

/// <summary>The one step: where, its kind, the agreed inputs, both claims, the on-chain and the recomputed leaf.</summary>
public sealed record AuditedStep(
    int Position, int Slot, string Kind, string HiddenIn, string CarryIn, string DefenderLeaf, string ChallengerLeaf,
    string? OnChainLeaf, string? RecomputedLeaf, IReadOnlyList<string> InputChecks);

/// <summary>What the auditor concluded.</summary>
public sealed record AuditReport(
    string DisputeId, string JobId, string Client, string ModelId, string WeightsRoot, string Challenger, string Bond,
    AuditedSide Defender, AuditedSide Challenging, IReadOnlyList<AuditedMove> Moves, IReadOnlyList<AuditedOpening> Openings,
    AuditedStep? Step, string OnChainOutcome, string OnChainReason, string ExpectedOutcome, bool Agrees, IReadOnlyList<string> Problems);

/// <summary>
/// Re-checks a dispute from its chain history alone: stage receipt signatures (from the submit calldata), the
/// narrowing's Merkle openings against the signed stage roots, the step's inputs against the fixed claims, and the
/// step itself re-executed with the C# engine from the step calldata's inputs. The verdict agrees when the on-chain
/// outcome is the one the recomputed leaf implies (and the on-chain recomputed leaf is the engine's).
/// </summary>
public static class DisputeAuditor
{
    public static AuditReport Audit(DisputeHistory history, IntegerModel model)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(model);
        var problems = new List<string>();
        Bytes32 registeredRoot = CheckModel(history.Model, model, history.Job);

        Game.DisputeOpenedEvent opened = history.Opened;
        JobRequest request = history.Job.Request;
        var jobId = StageCommitment.Word(opened.JobId);
        AuditedSide defender = Side("defender", opened.DefenderReplica, history, jobId, problems);
        AuditedSide challenging = opened.ConflictingReplica == DisputeClient.OwnCommitment
            ? new AuditedSide("challenger (own commitment)", DisputeClient.OwnCommitment,
                opened.OwnStages.Select((s, i) => new AuditedStage(i, s.Node, s.FirstLayer, s.LastLayer, Hex(s.TraceRoot), SignatureValid: true)).ToList())
            : Side("challenger", opened.ConflictingReplica, history, jobId, problems);

        var openings = new List<AuditedOpening>();
        Game.StepFixedEvent? fixedStep = history.Last<Game.StepFixedEvent>();
        IReadOnlyList<StageCommitment>? defenderStages = history.Job.Replicas.FirstOrDefault(r => r.Replica == opened.DefenderReplica)?.Stages;
        IReadOnlyList<StageCommitment>? challengerStages = opened.ConflictingReplica == DisputeClient.OwnCommitment
            ? opened.OwnStages.Select(StageCommitment.From).ToList()
            : history.Job.Replicas.FirstOrDefault(r => r.Replica == opened.ConflictingReplica)?.Stages;
        var checks = new OpeningChecks(model.Config.Layers, defenderStages, challengerStages, openings, problems);
        if (fixedStep is { Narrowed: true }) checks.Narrowing(history, fixedStep);
        checks.Bisection(history);

        AuditedStep? step = fixedStep is null ? null : Step(history, fixedStep, model, request, problems);
        Game.DisputeDecidedEvent? decided = history.Last<Game.DisputeDecidedEvent>();
        var onChain = decided is null ? DisputeOutcome.None : (DisputeOutcome)decided.Outcome;
        string reason = decided is null ? "undecided" : ReasonName(decided.Reason);
        DisputeOutcome expected = onChain;
        bool agrees = true;
        if (decided is not null && decided.Reason == 1)
        {
            if (step?.RecomputedLeaf is null)
            {
                agrees = false;
                problems.Add("the dispute was decided by a step the auditor could not re-execute");
            }
            else
            {
                bool defenderWrong = step.DefenderLeaf != step.RecomputedLeaf, challengerWrong = step.ChallengerLeaf != step.RecomputedLeaf;
                expected = (defenderWrong, challengerWrong) switch
                {
                    (true, true) => DisputeOutcome.BothWrong,
                    (true, false) => DisputeOutcome.ChallengerWon,
                    (false, true) => DisputeOutcome.DefenderWon,
                    _ => DisputeOutcome.None,
                };
                agrees = expected == onChain && step.OnChainLeaf == step.RecomputedLeaf;
            }
        }
        var moves = history.Moves.Select(m => new AuditedMove(m.Block, m.Transaction, m.Sender, m.Event, Describe(m.Data))).ToList();
        return new AuditReport(history.DisputeId.ToString(System.Globalization.CultureInfo.InvariantCulture), jobId.ToString(), history.Job.Client,
            request.ModelId.ToString(), registeredRoot.ToString(), AddressText.Checksum(opened.Challenger), opened.Bond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            defender, challenging, moves, openings, step, onChain.ToString(), reason, expected.ToString(), agrees, problems);
    }

    private static AuditedSide Side(string role, byte replica, DisputeHistory history, Bytes32 jobId, List<string> problems)
    {
        SubmittedReplica? submitted = history.Job.Replicas.FirstOrDefault(r => r.Replica == replica);
        if (submitted is null)
        {
            problems.Add($"replica {replica} has no ResultSubmitted event");
            return new AuditedSide(role, replica, []);
        }
        var domain = Eip712Domain.For(history.ChainId, history.JobMarket);
        var stages = new List<AuditedStage>();
        for (int i = 0; i < submitted.Stages.Count; i++)
        {
            StageCommitment s = submitted.Stages[i];
            bool valid = SignatureValid(submitted, i, jobId, domain);
            if (!valid) problems.Add($"replica {replica} stage {i}: the receipt signature in the submit calldata does not recover to node {s.Node}");
            stages.Add(new AuditedStage(i, s.Node, s.Span.FirstLayer, s.Span.LastLayer, s.TraceRoot.ToString(), valid));
        }
        return new AuditedSide(role, replica, stages);
    }

    /// <summary>The registered weights root, after checking that <paramref name="model"/> is the job's registered model.</summary>
    internal static Bytes32 CheckModel(Models.ModelRegisteredEvent registered, IntegerModel model, JobOnChain job)
    {
        var registeredRoot = StageCommitment.Word(registered.WeightsRoot);
        if (!model.WeightsRoot.AsSpan().SequenceEqual(registeredRoot.Span))
            throw new ModelMismatchException($"the model given has weights root {model.WeightsRoot}; job {job.JobId} runs model {job.Request.ModelId} with weights root {registeredRoot}");
        if (model.Config.Layers != registered.Dims.LayerCount)
            throw new ModelMismatchException($"the model given has {model.Config.Layers} blocks; the registered one has {registered.Dims.LayerCount}");
        return registeredRoot;
    }

    /// <summary>Whether stage <paramref name="stage"/>'s receipt signature (from the submit calldata) recovers to the stage's recorded node.</summary>
    internal static bool SignatureValid(SubmittedReplica submitted, int stage, Bytes32 jobId, Eip712Domain domain)
    {
        if (stage >= submitted.Signatures.Count || submitted.Signatures[stage].Length != 65) return false;
        StageCommitment s = submitted.Stages[stage];
        var receipt = new StageReceipt(jobId, submitted.Replica, (byte)stage, (ushort)s.Span.FirstLayer, (ushort)s.Span.LastLayer, s.InputRoot, s.TraceRoot, s.OutputRoot);
        return NodeKey.TryRecover(receipt.Digest(domain), submitted.Signatures[stage], out string? signer, out _) && string.Equals(signer, s.Node, StringComparison.OrdinalIgnoreCase);
    }

    private static AuditedStep Step(DisputeHistory history, Game.StepFixedEvent f, IntegerModel model, JobRequest request, List<string> problems)
    {
        int layers = model.Config.Layers, t = (int)f.Position, slot = f.Slot;
        string kind = slot == 0 ? "embedding" : slot == layers + 1 ? "head" : $"block {slot - 1}";
        var checks = new List<string>();
        var hiddenIn = new Hash32(f.HiddenIn);
        var carryIn = new Hash32(f.CarryIn);
        string? onChain = history.Last<Game.StepVerifiedEvent>() is { } verified ? Hex(verified.CorrectLeaf) : null;
        Hash32? recomputed = null;
        try
        {
            if (Decode<Prover.StepLayerFunction>(history) is { } layer)
            {
                Prover.LayerStep s = layer.Step;
                int[] hidden = StepReplay.Unpack(s.Hidden);
                Expect(Keccak256.Hash(s.Hidden) == hiddenIn, "keccak(hidden) is the agreed hiddenIn", checks, problems);
                Expect(new Hash32(s.KvRootPrev) == carryIn, "kvRootPrev is the agreed carryIn", checks, problems);
                recomputed = StepReplay.Layer(model, t, slot, hidden, StepReplay.Unpack(s.Kv), new Hash32(s.KvRootPrev));
            }
            else if (Decode<Prover.StepEmbeddingFunction>(history) is { } embedding)
            {
                int[] prompt = embedding.Job.Prompt.Select(x => checked((int)x)).ToArray();
                int token = t == 0 ? prompt.FirstOrDefault() : StepWitness.TokenOf(carryIn);
                // The game's stop rule: after a sampled BOS/EOS or at the token limit no leaf may exist at t.
                bool stopped = t > 0 && ((t >= prompt.Length && Inference.Engine.Generator.IsStop(token)) || t >= prompt.Length - 1 + request.MaxTokens);
                if (Hex(f.DefenderLeaf) == Hash32.Zero.ToString())
                {
                    Expect(JobTerms.PromptHash(prompt) == request.PromptHash, "the prompt hashes to the job's promptHash", checks, problems);
                    checks.Add($"ok: the defender's trace ends before position {t}; generation had {(stopped ? "" : "not ")}stopped there");
                }
                if (stopped && Hex(f.DefenderLeaf) == Hash32.Zero.ToString()) recomputed = Hash32.Zero;
                else
                {
                    Expect(embedding.Step.Token == (uint)token, "the embedded token is the agreed one", checks, problems);
                    recomputed = StepReplay.Embedding(model, t, token);
                }
            }
            else if (Decode<Prover.StepHeadFunction>(history) is { } head)
            {
                int[] prompt = head.Job.Prompt.Select(x => checked((int)x)).ToArray();
                Expect(JobTerms.PromptHash(prompt) == request.PromptHash, "the prompt hashes to the job's promptHash", checks, problems);
                Expect(Keccak256.Hash(head.Step.Hidden) == hiddenIn || t + 1 < prompt.Length, "keccak(hidden) is the agreed hiddenIn", checks, problems);
                recomputed = StepReplay.Head(model, t, prompt, StepReplay.Unpack(head.Step.Hidden), JobTerms.Sampling(request)).Leaf;
            }
            else if (onChain is not null)
            {
                problems.Add("the step transaction is not a direct StepProver step call; the step was not re-executed");
            }
        }
        catch (StepInputException e)
        {
            problems.Add($"the step's inputs are inconsistent: {e.Message}");
        }
        return new AuditedStep(t, slot, kind, hiddenIn.ToString(), carryIn.ToString(), Hex(f.DefenderLeaf), Hex(f.ChallengerLeaf), onChain, recomputed?.ToString(), checks);
    }

    private static TFunction? Decode<TFunction>(DisputeHistory history) where TFunction : Nethereum.Contracts.FunctionMessage, Chain.Contracts.IAbiFunction, new() =>
        ChainRecords.Decode<TFunction>(history.StepVerifiedInput);

    private static void Expect(bool ok, string what, List<string> checks, List<string> problems)
    {
        checks.Add((ok ? "ok: " : "FAILED: ") + what);
        if (!ok) problems.Add($"step input check failed: {what}");
    }

    private static string Describe(object e) => e switch
    {
        Game.DisputeOpenedEvent o => $"challenger {AddressText.Checksum(o.Challenger)} bonded {o.Bond} against replica {o.DefenderReplica}, naming {(o.ConflictingReplica == DisputeClient.OwnCommitment ? "its own commitment" : $"replica {o.ConflictingReplica}")}",
        Game.PositionRevealedEvent p => $"round {p.Round}: the challenger revealed position {p.Position}",
        Game.PartRevealedEvent p => $"round {p.Round}: defender stage {p.Stage} revealed position {p.Position}{(p.Absent ? " as absent" : "")}",
        Game.RoundCompletedEvent r => $"round {r.Round} at position {r.Position}: first different slot {r.FirstDifferentSlot}",
        Game.StepFixedEvent s => $"step fixed at (position {s.Position}, slot {s.Slot}){(s.Narrowed ? " by fast narrowing" : " by bisection")}",
        Game.StepVerifiedEvent v => $"the verifier recomputed leaf {Hex(v.CorrectLeaf)}",
        Game.DisputeDecidedEvent d => $"decided: {(DisputeOutcome)d.Outcome} ({ReasonName(d.Reason)})",
        Game.NodePenalizedEvent n => $"node {AddressText.Checksum(n.Node)} ({(n.Side == 0 ? "defender" : "challenger")} side) slashed {n.Slashed}",
        Game.CreditedEvent c => $"{AddressText.Checksum(c.Recipient)} credited {c.Amount}",
        Game.DisputeResolvedEvent r => $"resolved: {(DisputeOutcome)r.Outcome}, winner {AddressText.Checksum(r.Winner)}",
        _ => "",
    };

    private static string ReasonName(byte reason) => reason switch
    {
        1 => "Step",
        2 => "DefenderTimedOut",
        3 => "ChallengerTimedOut",
        4 => "NoDisagreement",
        _ => "None",
    };

    private static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);
}
