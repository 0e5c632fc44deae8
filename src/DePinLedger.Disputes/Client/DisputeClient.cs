using System.Numerics;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Transactions;
using DePinLedger.Disputes.Steps;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Conformance;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Jobs;
using Nethereum.Contracts;
using Game = DePinLedger.Chain.Contracts.Game;
using Prover = DePinLedger.Chain.Contracts.Prover;
using Token = DePinLedger.Chain.Contracts.Token;

namespace DePinLedger.Disputes.Client;

/// <summary>The dispute game's outcome values (Types.sol <c>Outcome</c>).</summary>
public enum DisputeOutcome : byte { None, ChallengerWon, DefenderWon, BothWrong }

/// <summary>Why a dispute was decided (Types.sol <c>Reason</c>).</summary>
public enum DisputeReason : byte { None, Step, DefenderTimedOut, ChallengerTimedOut, NoDisagreement }

/// <summary>The dispute game's phases (Types.sol <c>Phase</c>).</summary>
public enum DisputePhase : byte { None, Bisect, Bisected, Step, Decided, Resolved }

/// <summary>A job whose two replicas disagree, with what the step needs: the request and the prompt.</summary>
public sealed record DisputeCase(Bytes32 JobId, JobRequest Request, IReadOnlyList<int> Prompt, ReplicaSide First, ReplicaSide Second);

/// <summary>What the local re-execution found: the step, the correct leaf and who holds a wrong one.</summary>
public sealed record StepAnalysis(TracePoint At, Hash32 CorrectLeaf, Hash32 FirstLeaf, Hash32 SecondLeaf)
{
    /// <summary>One trace ends before <see cref="At"/>: only the bisection (with absence proofs) can reach it.</summary>
    public bool OneAbsent { get; init; }

    public bool FirstWrong => FirstLeaf != CorrectLeaf;

    public bool SecondWrong => SecondLeaf != CorrectLeaf;
}

/// <summary>One sent move: what, the transaction and its gas.</summary>
public sealed record DisputeMove(string Name, string Transaction, ulong Block, BigInteger GasUsed);

/// <summary>How a dispute the client played went.</summary>
public sealed record DisputeResult(BigInteger DisputeId, StepAnalysis Step, byte DefenderReplica, DisputeOutcome Outcome, IReadOnlyList<DisputeMove> Moves)
{
    public BigInteger TotalGas => Moves.Aggregate(BigInteger.Zero, (sum, m) => sum + m.GasUsed);
}

/// <summary>How a dispute the challenger played with its own trace alone went; <see cref="Step"/> is null when the defender ran out of time first.</summary>
public sealed record ChallengeResult(BigInteger DisputeId, byte DefenderReplica, DisputeOutcome Outcome, DisputeReason Reason, TracePoint? Step, IReadOnlyList<DisputeMove> Moves)
{
    public BigInteger TotalGas => Moves.Aggregate(BigInteger.Zero, (sum, m) => sum + m.GasUsed);
}

/// <summary>What one challenger turn did: sent its moves, waits for the other side (whose clock still runs), or found the game resolved.</summary>
public enum ChallengeProgress { Moved, Waiting, Resolved }

/// <summary>One turn of a challenge: the moves sent, the step proven (when this turn proved one), and the verdict once resolved.</summary>
public sealed record ChallengeTurn(ChallengeProgress Progress, IReadOnlyList<DisputeMove> Moves, TracePoint? Step, DisputeOutcome Outcome, DisputeReason Reason);

/// <summary>
/// Plays the dispute game from C#: finds the first divergent leaf of two replicas, re-executes that step locally to
/// learn which side is wrong, opens the dispute against it naming the other replica, narrows with both traces in one
/// transaction (StepProver.narrow), proves the step with the model's verifier (stepLayer, stepEmbedding or stepHead),
/// resolves, and claims credits; it also resolves disputes whose other side let its clock run out. A library API:
/// the coordinator hosts it (Mediator notifications, Hangfire jobs). Contract refusals surface as
/// <see cref="Chain.Errors.ContractRevertedException"/> with the decoded custom error's message.
/// </summary>
public sealed partial class DisputeClient(TransactionSender sender, DeploymentFile deployment, IProgress<TransactionProgress>? progress = null)
{
    /// <summary>The game's marker for "the challenger's own commitment" (DisputeGame.OWN_COMMITMENT).</summary>
    public const byte OwnCommitment = 255;

    /// <summary>
    /// Re-executes the first divergent step of the two replicas with the engine, from the agreed inputs of
    /// <paramref name="agreed"/> (a trace whose leaves before the step equal both replicas'; an honest recomputation).
    /// </summary>
    public static StepAnalysis Analyse(ReplicaSide first, ReplicaSide second, EngineTrace agreed, ModelOpenings openings)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(agreed);
        Divergence divergence = DivergenceFinder.First(first.Trace, second.Trace)
            ?? throw new InvalidOperationException("the replicas' traces are identical: there is nothing to dispute");
        TracePoint at = divergence.At;
        int layers = first.Trace.Layout.Layers;
        foreach (TracePoint input in Inputs(at, layers))
            if (agreed.Fields(input) != first.Trace.Fields(input))
                throw new InvalidOperationException($"the recomputed trace differs from both replicas at {input}, before their first disagreement {at}: the job's inputs are not the ones the replicas ran");
        Hash32 correct;
        if (!divergence.BothPresent)
        {
            // One trace ends at position t (slot 0) where the other goes on: right iff generation had stopped, i.e. the
            // token sampled at t − 1 is BOS/EOS or the token limit is reached (the game's stop rule).
            int p = agreed.Prompt.Count, t = at.Position;
            int previous = StepWitness.TokenOf(agreed.Fields(new TracePoint(t - 1, layers + 1)).B);
            bool stopped = (t >= p && Inference.Engine.Generator.IsStop(previous)) || t >= p - 1 + agreed.MaxTokens;
            correct = stopped ? Hash32.Zero : StepWitness.Embedding(agreed, openings, at).Leaf;
        }
        else
        {
            correct = at.Slot == 0 ? StepWitness.Embedding(agreed, openings, at).Leaf
                : at.Slot == layers + 1 ? StepWitness.Head(agreed, openings, at).Leaf
                : StepWitness.Layer(agreed, openings, at).Leaf;
        }
        return new StepAnalysis(at, correct, LeafOrAbsent(first.Trace, at), LeafOrAbsent(second.Trace, at)) { OneAbsent = !divergence.BothPresent };
    }

    /// <summary>The leaf at <paramref name="at"/>, zero when the trace ends before it (the game's "no leaf").</summary>
    private static Hash32 LeafOrAbsent(IReplicaTrace trace, TracePoint at) => at.Position < trace.Positions ? trace.Fields(at).Leaf(at) : Hash32.Zero;

    /// <summary>
    /// The whole fast path: analyse, open against the wrong replica (the first one when both are wrong) naming the
    /// other, narrow, prove the step and resolve. The caller's account bonds. When one trace ends where the other
    /// goes on, the fast path cannot open the missing leaf and the dispute goes by bisection.
    /// </summary>
    public async Task<DisputeResult> DisputeAsync(DisputeCase job, EngineTrace agreed, ModelOpenings openings, CancellationToken cancellation)
    {
        (StepAnalysis analysis, ReplicaSide defender, ReplicaSide challenger) = Sides(job, agreed, openings);
        if (analysis.OneAbsent) return await DisputeByBisectionAsync(job, agreed, openings, cancellation);
        var moves = new List<DisputeMove>();

        (BigInteger id, DisputeMove open) = await OpenAsync(job.JobId, defender, challenger, cancellation);
        moves.Add(open);
        (Game.StepClaims claims, DisputeMove narrow) = await NarrowAsync(id, analysis.At, defender, challenger, cancellation);
        moves.Add(narrow);
        moves.Add(await StepAsync(id, analysis.At, claims, job, agreed, openings, cancellation));
        moves.Add(await ResolveAsync(id, defender.Stages, challenger.Stages, cancellation));
        Game.DisputeInfo info = await GetAsync(id, cancellation);
        return new DisputeResult(id, analysis, defender.Replica, (DisputeOutcome)info.Outcome, moves);
    }

    /// <summary>
    /// Checks both traces against their signed roots, re-executes the divergent step, and picks the defender: the
    /// replica whose leaf is wrong (the first one when both are), the other one challenging.
    /// </summary>
    private static (StepAnalysis Analysis, ReplicaSide Defender, ReplicaSide Challenger) Sides(DisputeCase job, EngineTrace agreed, ModelOpenings openings)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.First.CheckTrace();
        job.Second.CheckTrace();
        StepAnalysis analysis = Analyse(job.First, job.Second, agreed, openings);
        if (!analysis.FirstWrong && !analysis.SecondWrong) throw new InvalidOperationException($"both leaves at {analysis.At} are the recomputed one; the replicas do not differ there");
        if (analysis.OneAbsent && analysis.CorrectLeaf == Hash32.Zero)
            throw new NotSupportedException($"the longer trace goes on past the stop rule at {analysis.At}; the game cannot dispute a trace that is too long (contracts/README.md, limits)");
        return analysis.FirstWrong ? (analysis, job.First, job.Second) : (analysis, job.Second, job.First);
    }

    /// <summary>Opens a dispute against <paramref name="defender"/> naming <paramref name="challenger"/>; approves the bond first when needed.</summary>
    public async Task<(BigInteger Id, DisputeMove Move)> OpenAsync(Bytes32 jobId, ReplicaSide defender, ReplicaSide challenger, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(defender);
        ArgumentNullException.ThrowIfNull(challenger);
        await ApproveBondAsync(cancellation);
        var open = new Game.OpenFunction
        {
            Params = new Game.OpenParams
            {
                JobId = jobId.ToArray(),
                DefenderReplica = defender.Replica,
                ConflictingReplica = challenger.Replica,
                DefenderStages = defender.Stages.Select(s => s.ToGame()).ToList(),
                ChallengerStages = challenger.Stages.Select(s => s.ToGame()).ToList(),
            },
        };
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, open, $"open dispute on job {jobId} replica {defender.Replica}", progress, cancellation);
        Game.DisputeOpenedEvent opened = sent.Receipt.DecodeAllEvents<Game.DisputeOpenedEvent>().Select(e => e.Event).SingleOrDefault()
            ?? throw new InvalidDataException($"transaction {sent.Hash} opened no dispute (no DisputeOpened event)");
        return (opened.DisputeId, Move("open", sent));
    }

    /// <summary>Fast narrowing: proves leaf <paramref name="at"/> differs while its inputs agree, in both traces.</summary>
    public async Task<(Game.StepClaims Claims, DisputeMove Move)> NarrowAsync(BigInteger disputeId, TracePoint at, ReplicaSide defender, ReplicaSide challenger, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(defender);
        ArgumentNullException.ThrowIfNull(challenger);
        var narrow = new Prover.NarrowFunction
        {
            DisputeId = disputeId,
            Narrowing = new Prover.Narrowing
            {
                Position = (uint)at.Position,
                Slot = (ushort)at.Slot,
                DefenderStages = defender.Stages.Select(s => s.ToProver()).ToList(),
                ChallengerStages = challenger.Stages.Select(s => s.ToProver()).ToList(),
                Defender = Openings(defender.Trace, at),
                Challenger = Openings(challenger.Trace, at),
            },
        };
        SentTransaction sent = await sender.SendAsync(deployment.StepProver, narrow, $"narrow dispute {disputeId} to {at}", progress, cancellation);
        Game.StepFixedEvent fixedStep = sent.Receipt.DecodeAllEvents<Game.StepFixedEvent>().Select(e => e.Event).SingleOrDefault()
            ?? throw new InvalidDataException($"transaction {sent.Hash} fixed no step (no StepFixed event)");
        var claims = new Game.StepClaims
        {
            HiddenIn = fixedStep.HiddenIn, CarryIn = fixedStep.CarryIn, DefenderLeaf = fixedStep.DefenderLeaf, ChallengerLeaf = fixedStep.ChallengerLeaf,
        };
        return (claims, Move("narrow", sent));
    }

    /// <summary>Proves the fixed step with the verifier input built from the agreed trace.</summary>
    public async Task<DisputeMove> StepAsync(BigInteger disputeId, TracePoint at, Game.StepClaims claims, DisputeCase job, EngineTrace agreed, ModelOpenings openings, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(job);
        int layers = agreed.Model.Config.Layers;
        var proverClaims = new Prover.StepClaims { HiddenIn = claims.HiddenIn, CarryIn = claims.CarryIn, DefenderLeaf = claims.DefenderLeaf, ChallengerLeaf = claims.ChallengerLeaf };
        var inputs = new Prover.JobInputs { Request = JobTerms.ToProver(job.Request), Prompt = job.Prompt.Select(t => (uint)t).ToList() };
        string description = $"prove step {at} of dispute {disputeId}";
        SentTransaction sent;
        if (at.Slot == 0)
            sent = await sender.SendAsync(deployment.StepProver, new Prover.StepEmbeddingFunction
            {
                DisputeId = disputeId, Claims = proverClaims, Job = inputs, Step = StepWitness.Embedding(agreed, openings, at).Step,
            }, description, progress, cancellation);
        else if (at.Slot == layers + 1)
            sent = await sender.SendAsync(deployment.StepProver, new Prover.StepHeadFunction
            {
                DisputeId = disputeId, Claims = proverClaims, Job = inputs, Step = StepWitness.Head(agreed, openings, at).Step,
            }, description, progress, cancellation);
        else
            sent = await sender.SendAsync(deployment.StepProver, new Prover.StepLayerFunction
            {
                DisputeId = disputeId, Claims = proverClaims, Step = StepWitness.Layer(agreed, openings, at).Step,
            }, description, progress, cancellation);
        return Move("step", sent);
    }

    /// <summary>Settles a decided dispute (or decides one whose side on turn ran out of time): slashing, bonds, JobMarket.</summary>
    public async Task<DisputeMove> ResolveAsync(BigInteger disputeId, IReadOnlyList<StageCommitment> defenderStages, IReadOnlyList<StageCommitment> challengerStages, CancellationToken cancellation)
    {
        var resolve = new Game.ResolveFunction
        {
            DisputeId = disputeId,
            DefenderStages = defenderStages.Select(s => s.ToGame()).ToList(),
            ChallengerStages = challengerStages.Select(s => s.ToGame()).ToList(),
        };
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, resolve, $"resolve dispute {disputeId}", progress, cancellation);
        return Move("resolve", sent);
    }

    /// <summary>
    /// Resolves a dispute whose side on turn let its clock run out (the other side wins); null when it cannot be
    /// resolved that way yet (already decided, or the deadline is still ahead by the chain's clock).
    /// </summary>
    public async Task<DisputeMove?> ResolveIfTimedOutAsync(BigInteger disputeId, IReadOnlyList<StageCommitment> defenderStages, IReadOnlyList<StageCommitment> challengerStages, CancellationToken cancellation)
    {
        Game.DisputeInfo info = await GetAsync(disputeId, cancellation);
        var phase = (DisputePhase)info.Phase;
        if (phase is DisputePhase.Resolved) return null;
        if (phase is not DisputePhase.Decided)
        {
            if (info.Deadline == 0 || await sender.Chain.LatestBlockTimeAsync(cancellation) <= info.Deadline) return null;
        }
        return await ResolveAsync(disputeId, defenderStages, challengerStages, cancellation);
    }

    /// <summary>Pays <paramref name="account"/> its credit in the game (bond back, slash reward); null when it has none.</summary>
    public async Task<DisputeMove?> ClaimCreditAsync(string account, CancellationToken cancellation)
    {
        BigInteger credit = await sender.Chain.QueryAsync<Game.CreditOfFunction, BigInteger>(deployment.DisputeGame, new Game.CreditOfFunction { Account = account }, cancellation);
        if (credit.IsZero) return null;
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, new Game.ClaimCreditFunction { Recipient = account }, $"claim dispute credit of {account}", progress, cancellation);
        return Move("claimCredit", sent);
    }

    /// <summary>The dispute as the game reports it; <see cref="InvalidOperationException"/> when there is no such dispute.</summary>
    public async Task<Game.DisputeInfo> GetAsync(BigInteger disputeId, CancellationToken cancellation)
    {
        Game.GetDisputeOutput output = await sender.Chain.QueryOutputAsync<Game.GetDisputeFunction, Game.GetDisputeOutput>(
            deployment.DisputeGame, new Game.GetDisputeFunction { DisputeId = disputeId }, cancellation);
        if ((DisputePhase)output.Info.Phase == DisputePhase.None) throw new InvalidOperationException($"dispute {disputeId} does not exist");
        return output.Info;
    }

    private async Task ApproveBondAsync(CancellationToken cancellation)
    {
        BigInteger bond = await sender.Chain.QueryAsync<Game.ChallengerBondFunction, BigInteger>(deployment.DisputeGame, new(), cancellation);
        BigInteger allowance = await sender.Chain.QueryAsync<Token.AllowanceFunction, BigInteger>(deployment.Token,
            new Token.AllowanceFunction { Owner = sender.Address, Spender = deployment.DisputeGame }, cancellation);
        if (allowance >= bond) return;
        await sender.SendAsync(deployment.Token, new Token.ApproveFunction { Spender = deployment.DisputeGame, Value = bond }, "approve the challenger bond", progress, cancellation);
    }

    /// <summary>The leaves a step reads besides its own: (t, s−1) for s ≥ 1, and (t−1, s) — (t−1, L+1) for the embedding — for t ≥ 1.</summary>
    internal static IEnumerable<TracePoint> Inputs(TracePoint at, int layers)
    {
        if (at.Slot >= 1) yield return at with { Slot = at.Slot - 1 };
        if (at.Position >= 1 && at.Slot <= layers) yield return new TracePoint(at.Position - 1, at.Slot == 0 ? layers + 1 : at.Slot);
    }

    private static Prover.SideOpenings Openings(IReplicaTrace trace, TracePoint at)
    {
        int layers = trace.Layout.Layers;
        var openings = new Prover.SideOpenings { Claim = Opening(trace, at) };
        if (at.Slot >= 1) openings.HiddenIn = Opening(trace, at with { Slot = at.Slot - 1 });
        if (at.Position >= 1 && at.Slot <= layers) openings.CarryIn = Opening(trace, new TracePoint(at.Position - 1, at.Slot == 0 ? layers + 1 : at.Slot));
        return openings;
    }

    private static Prover.LeafOpening Opening(IReplicaTrace trace, TracePoint at)
    {
        LeafFields fields = trace.Fields(at);
        return new Prover.LeafOpening { A = fields.A.ToArray(), B = fields.B.ToArray(), Proof = StepWitness.Words(trace.Proof(at)) };
    }

    private static DisputeMove Move(string name, SentTransaction sent) => new(name, sent.Hash, sent.BlockNumber, sent.GasUsed);
}
