using System.Numerics;
using DePinLedger.Chain.Transactions;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using DePinLedger.Inference.Conformance;
using Nethereum.Contracts;
using Game = DePinLedger.Chain.Contracts.Game;

namespace DePinLedger.Disputes.Client;

/// <summary>The interactive narrowing: bisection over positions, each side answering from its own trace.</summary>
public sealed partial class DisputeClient
{
    /// <summary>
    /// The whole dispute by bisection instead of the fast path: open, rounds of revealPosition (challenger side) and
    /// revealParts (every defender stage in one call) until the first differing position is adjacent to an agreed
    /// one, finishBisection, the step, resolve. Both traces answer here; a dispute service answers only for its own
    /// side, but the moves are the same.
    /// </summary>
    public async Task<DisputeResult> DisputeByBisectionAsync(DisputeCase job, EngineTrace agreed, ModelOpenings openings, CancellationToken cancellation)
    {
        (StepAnalysis analysis, ReplicaSide defender, ReplicaSide challenger) = Sides(job, agreed, openings);
        var moves = new List<DisputeMove>();
        (BigInteger id, DisputeMove open) = await OpenAsync(job.JobId, defender, challenger, cancellation);
        moves.Add(open);
        (Game.StepClaims claims, TracePoint at) = await BisectAsync(id, analysis.At.Position, defender, challenger, moves, cancellation);
        if (at != analysis.At) throw new InvalidOperationException($"the bisection fixed {at}; the local analysis found the first divergence at {analysis.At}");
        moves.Add(await StepAsync(id, at, claims, job, agreed, openings, cancellation));
        moves.Add(await ResolveAsync(id, defender.Stages, challenger.Stages, cancellation));
        Game.DisputeInfo info = await GetAsync(id, cancellation);
        return new DisputeResult(id, analysis, defender.Replica, (DisputeOutcome)info.Outcome, moves);
    }

    /// <summary>
    /// The challenger's side of the interactive game when the defender's trace is not wholly at hand (some of its
    /// workers are gone, or cannot open what they signed), played inline to the end: <see cref="OpenChallengeAsync"/>,
    /// then <see cref="PlayChallengeTurnAsync"/> until the game is resolved, checking every <paramref name="poll"/>
    /// while the other side is on turn. A host that must not wait (the defender's clock may run for hours) records the
    /// opened dispute and plays the turns from a durable job instead.
    /// </summary>
    public async Task<ChallengeResult> ChallengeByBisectionAsync(DisputeCase job, byte defenderReplica, IReadOnlyCollection<int> answerable, int firstPosition, EngineTrace agreed,
        ModelOpenings openings, TimeSpan poll, CancellationToken cancellation)
    {
        (BigInteger id, DisputeMove open) = await OpenChallengeAsync(job, defenderReplica, cancellation);
        var moves = new List<DisputeMove> { open };
        TracePoint? step = null;
        while (true)
        {
            ChallengeTurn turn = await PlayChallengeTurnAsync(id, job, defenderReplica, answerable, firstPosition, agreed, openings, cancellation);
            moves.AddRange(turn.Moves);
            step ??= turn.Step;
            if (turn.Progress == ChallengeProgress.Resolved) return new ChallengeResult(id, defenderReplica, turn.Outcome, turn.Reason, step, moves);
            if (turn.Progress == ChallengeProgress.Waiting) await Task.Delay(poll, cancellation);
        }
    }

    /// <summary>Opens the dispute against <paramref name="defenderReplica"/> of <paramref name="job"/> as challenger, after checking the challenger's trace against its signed roots.</summary>
    public async Task<(BigInteger Id, DisputeMove Move)> OpenChallengeAsync(DisputeCase job, byte defenderReplica, CancellationToken cancellation)
    {
        (ReplicaSide defender, ReplicaSide challenger) = ChallengeSides(job, defenderReplica);
        challenger.CheckTrace();
        return await OpenAsync(job.JobId, defender, challenger, cancellation);
    }

    /// <summary>
    /// One turn of the challenger's game in dispute <paramref name="disputeId"/> (opened with
    /// <see cref="OpenChallengeAsync"/>), from the game's state alone, so that any process holding the same case can
    /// take it up: reveals a position on the challenger's turn (<paramref name="firstPosition"/> first, a position where
    /// the replicas' committed leaves differ), answers for the defender stages in <paramref name="answerable"/> (honest
    /// nodes whose retained trace it holds, so that only the stages nobody can answer for time out), finishes the
    /// bisection and proves the step once the defender's whole part was answered, and resolves once decided or once
    /// the side on turn let its clock run out by the chain's time. <see cref="ChallengeProgress.Waiting"/> when the
    /// other side is on turn and its clock still runs.
    /// </summary>
    public async Task<ChallengeTurn> PlayChallengeTurnAsync(BigInteger disputeId, DisputeCase job, byte defenderReplica, IReadOnlyCollection<int> answerable, int firstPosition,
        EngineTrace agreed, ModelOpenings openings, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(answerable);
        (ReplicaSide defender, ReplicaSide challenger) = ChallengeSides(job, defenderReplica);
        Game.DisputeInfo info = await GetAsync(disputeId, cancellation);
        var phase = (DisputePhase)info.Phase;
        if (phase is DisputePhase.Resolved) return new ChallengeTurn(ChallengeProgress.Resolved, [], null, (DisputeOutcome)info.Outcome, (DisputeReason)info.Reason);
        if (phase is DisputePhase.Bisect && info.OnTurn == ChallengerSide)
            return Moved(await RevealPositionAsync(disputeId, info.HiSet ? NextPosition(info) : firstPosition, challenger, cancellation));
        if (answerable.Count > 0 && await AnswerIfOnTurnAsync(disputeId, defender, answerable, cancellation) is { } answered) return Moved(answered);
        if (phase is DisputePhase.Bisected or DisputePhase.Step)
        {
            var moves = new List<DisputeMove>();
            (Game.StepClaims claims, TracePoint at) = phase is DisputePhase.Bisected
                ? await FinishBisectionAsync(disputeId, challenger, moves, cancellation)
                : await FixedStepAsync(disputeId, cancellation); // finished before a restart: the step is still to prove
            moves.Add(await StepAsync(disputeId, at, claims, job, agreed, openings, cancellation));
            return new ChallengeTurn(ChallengeProgress.Moved, moves, at, DisputeOutcome.None, DisputeReason.None);
        }
        if (await ResolveIfTimedOutAsync(disputeId, defender.Stages, challenger.Stages, cancellation) is { } resolved) return Moved(resolved);
        return new ChallengeTurn(ChallengeProgress.Waiting, [], null, DisputeOutcome.None, DisputeReason.None);

        static ChallengeTurn Moved(DisputeMove move) => new(ChallengeProgress.Moved, [move], null, DisputeOutcome.None, DisputeReason.None);
    }

    /// <summary>The case's defending and challenging sides for a challenge against <paramref name="defenderReplica"/>.</summary>
    private static (ReplicaSide Defender, ReplicaSide Challenger) ChallengeSides(DisputeCase job, byte defenderReplica)
    {
        ArgumentNullException.ThrowIfNull(job);
        (ReplicaSide defender, ReplicaSide challenger) = defenderReplica == job.First.Replica ? (job.First, job.Second) : (job.Second, job.First);
        if (defender.Replica != defenderReplica) throw new ArgumentException($"job {job.JobId} has no replica {defenderReplica} in this case", nameof(defenderReplica));
        return (defender, challenger);
    }

    /// <summary>The step a finished bisection fixed and its claims, from the dispute's StepFixed log.</summary>
    private async Task<(Game.StepClaims Claims, TracePoint At)> FixedStepAsync(BigInteger disputeId, CancellationToken cancellation)
    {
        var logs = await ChainRecords.LogsAsync(sender.Chain, deployment, deployment.DisputeGame, ChainRecords.Topic(disputeId), cancellation);
        Game.StepFixedEvent fixedStep = ChainRecords.Decoded(
            () => logs.Where(l => l.IsLogForEvent<Game.StepFixedEvent>()).Select(l => l.DecodeEvent<Game.StepFixedEvent>().Event).LastOrDefault(),
            $"StepFixed of dispute {disputeId}")
            ?? throw new InvalidDataException($"dispute {disputeId} waits for its step but no step was fixed");
        return (Claims(fixedStep), new TracePoint((int)fixedStep.Position, fixedStep.Slot));
    }

    private static Game.StepClaims Claims(Game.StepFixedEvent fixedStep) => new()
    {
        HiddenIn = fixedStep.HiddenIn, CarryIn = fixedStep.CarryIn, DefenderLeaf = fixedStep.DefenderLeaf, ChallengerLeaf = fixedStep.ChallengerLeaf,
    };

    /// <summary>The game's Side.Challenger (onTurn values: 0 defender, 1 challenger).</summary>
    private const byte ChallengerSide = 1;

    /// <summary>
    /// Plays the bisection rounds from <paramref name="firstPosition"/> (a position where the traces differ) and
    /// ends it with finishBisection; returns the fixed step and its claims.
    /// </summary>
    public async Task<(Game.StepClaims Claims, TracePoint At)> BisectAsync(
        BigInteger disputeId, int firstPosition, ReplicaSide defender, ReplicaSide challenger, List<DisputeMove> moves, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(defender);
        ArgumentNullException.ThrowIfNull(challenger);
        ArgumentNullException.ThrowIfNull(moves);
        int position = firstPosition;
        while (true)
        {
            List<byte[]> fields = PositionFields(challenger.Trace, position);
            moves.Add(await RevealPositionAsync(disputeId, position, challenger, fields, cancellation));
            moves.Add(await RevealPartsAsync(disputeId, position, defender, fields, cancellation));
            Game.DisputeInfo info = await GetAsync(disputeId, cancellation);
            var phase = (DisputePhase)info.Phase;
            if (phase == DisputePhase.Bisected) break;
            if (phase != DisputePhase.Bisect)
                throw new InvalidOperationException($"dispute {disputeId} left the bisection in phase {phase} (outcome {(DisputeOutcome)info.Outcome}): the first position showed no disagreement");
            position = NextPosition(info);
        }
        return await FinishBisectionAsync(disputeId, challenger, moves, cancellation);
    }

    /// <summary>The position the game expects next: the middle of (lo, hi), lo = −1 while unset.</summary>
    private static int NextPosition(Game.DisputeInfo info)
    {
        long lo = info.LoSet ? info.Lo : -1;
        return (int)(lo + (info.Hi - lo) / 2);
    }

    /// <summary>Ends a bisected dispute with the challenger's fields at hi − 1 and hi; returns the fixed step and its claims.</summary>
    private async Task<(Game.StepClaims Claims, TracePoint At)> FinishBisectionAsync(BigInteger disputeId, ReplicaSide challenger, List<DisputeMove> moves, CancellationToken cancellation)
    {
        Game.DisputeInfo done = await GetAsync(disputeId, cancellation);
        int hi = (int)done.Hi;
        var finish = new Game.FinishBisectionFunction
        {
            DisputeId = disputeId,
            LoFields = hi == 0 ? [] : PositionFields(challenger.Trace, hi - 1),
            HiFields = PositionFields(challenger.Trace, hi),
        };
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, finish, $"finish the bisection of dispute {disputeId} at position {hi}", progress, cancellation);
        moves.Add(Move("finishBisection", sent));
        Game.StepFixedEvent fixedStep = sent.Receipt.DecodeAllEvents<Game.StepFixedEvent>().Select(e => e.Event).SingleOrDefault()
            ?? throw new InvalidDataException($"transaction {sent.Hash} fixed no step (no StepFixed event)");
        return (Claims(fixedStep), new TracePoint((int)fixedStep.Position, fixedStep.Slot));
    }

    /// <summary>The challenger side's move: every leaf of <paramref name="position"/> of its trace, with openings.</summary>
    public Task<DisputeMove> RevealPositionAsync(BigInteger disputeId, int position, ReplicaSide challenger, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(challenger);
        return RevealPositionAsync(disputeId, position, challenger, PositionFields(challenger.Trace, position), cancellation);
    }

    /// <summary>The challenger side's move with its fields already laid out (a, b per slot).</summary>
    public async Task<DisputeMove> RevealPositionAsync(BigInteger disputeId, int position, ReplicaSide challenger, List<byte[]> fields, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(challenger);
        int layers = challenger.Trace.Layout.Layers;
        var reveal = new Game.RevealPositionFunction
        {
            DisputeId = disputeId,
            Reveal = new Game.PositionReveal
            {
                Position = (uint)position,
                Stages = challenger.Stages.Select(s => s.ToGame()).ToList(),
                Fields = fields,
                Proofs = Enumerable.Range(0, layers + 2).Select(slot => Steps.StepWitness.Words(challenger.Trace.Proof(new TracePoint(position, slot)))).ToList(),
            },
        };
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, reveal, $"reveal position {position} in dispute {disputeId}", progress, cancellation);
        return Move("revealPosition", sent);
    }

    /// <summary>The defender's move: every defender stage's leaves at the round's position (or proof that its trace has none there), in one call.</summary>
    public Task<DisputeMove> RevealPartsAsync(BigInteger disputeId, int position, ReplicaSide defender, List<byte[]> challengerFields, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(defender);
        return RevealPartsAsync(disputeId, position, defender, challengerFields, Enumerable.Range(0, defender.Trace.Layout.Stages.Count), cancellation);
    }

    /// <summary>The defender's move for some of its stages (the game completes the round once every stage has revealed).</summary>
    private async Task<DisputeMove> RevealPartsAsync(BigInteger disputeId, int position, ReplicaSide defender, List<byte[]> challengerFields, IEnumerable<int> stages, CancellationToken cancellation)
    {
        StageLayout layout = defender.Trace.Layout;
        var parts = new List<Game.PartReveal>();
        foreach (int stage in stages)
        {
            if (position >= defender.Trace.Positions)
            {
                (IReadOnlyList<Hash32> fields, IReadOnlyList<Hash32> proof) = defender.Trace.Absence(stage, position);
                parts.Add(new Game.PartReveal { Stage = (byte)stage, Absent = true, Fields = Steps.StepWitness.Words(fields), Proofs = [Steps.StepWitness.Words(proof)] });
                continue;
            }
            int[] slots = Enumerable.Range(0, layout.Layers + 2).Where(s => layout.Stages[stage].Owns(s, layout.Layers)).ToArray();
            parts.Add(new Game.PartReveal
            {
                Stage = (byte)stage,
                Absent = false,
                Fields = slots.SelectMany(s => Words(defender.Trace.Fields(new TracePoint(position, s)))).ToList(),
                Proofs = slots.Select(s => Steps.StepWitness.Words(defender.Trace.Proof(new TracePoint(position, s)))).ToList(),
            });
        }
        var reveal = new Game.RevealPartsFunction
        {
            DisputeId = disputeId,
            Stages = defender.Stages.Select(s => s.ToGame()).ToList(),
            Parts = parts,
            ChallengerFields = challengerFields,
        };
        SentTransaction sent = await sender.SendAsync(deployment.DisputeGame, reveal, $"reveal the defender's parts of position {position} in dispute {disputeId}", progress, cancellation);
        return Move("revealParts", sent);
    }

    /// <summary>
    /// The defender service's move: when it is the defender's turn in a bisection round, reveals every defender stage's
    /// part of the round's position from <paramref name="defender"/>'s trace (compared with the challenger's fields as
    /// logged by PositionRevealed). Returns null when there is nothing to answer (another phase, or the challenger's
    /// turn). Call it before the defender's clock runs out; anyone may make the move.
    /// </summary>
    public Task<DisputeMove?> AnswerIfOnTurnAsync(BigInteger disputeId, ReplicaSide defender, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(defender);
        return AnswerIfOnTurnAsync(disputeId, defender, [.. Enumerable.Range(0, defender.Trace.Layout.Stages.Count)], cancellation);
    }

    /// <summary>As <see cref="AnswerIfOnTurnAsync(BigInteger, ReplicaSide, CancellationToken)"/> for the stages of <paramref name="stages"/> not yet revealed this round; null when none is left.</summary>
    private async Task<DisputeMove?> AnswerIfOnTurnAsync(BigInteger disputeId, ReplicaSide defender, IReadOnlyCollection<int> stages, CancellationToken cancellation)
    {
        Game.DisputeInfo info = await GetAsync(disputeId, cancellation);
        if ((DisputePhase)info.Phase != DisputePhase.Bisect || info.OnTurn != 0 || info.Deadline == 0) return null;
        int[] unrevealed = [.. stages.Where(stage => (info.PartsMask & (1u << stage)) == 0)];
        if (unrevealed.Length == 0) return null;
        var logs = await ChainRecords.LogsAsync(sender.Chain, deployment, deployment.DisputeGame, ChainRecords.Topic(disputeId), cancellation);
        Game.PositionRevealedEvent revealed = ChainRecords.Decoded(
            () => logs.Where(l => l.IsLogForEvent<Game.PositionRevealedEvent>()).Select(l => l.DecodeEvent<Game.PositionRevealedEvent>().Event).LastOrDefault(),
            $"PositionRevealed of dispute {disputeId}")
            ?? throw new InvalidDataException($"dispute {disputeId} waits for the defender but no position was revealed");
        if (revealed.Position != info.RoundPosition)
            throw new InvalidDataException($"the last revealed position {revealed.Position} is not the round's position {info.RoundPosition}");
        return await RevealPartsAsync(disputeId, (int)revealed.Position, defender, revealed.Fields, unrevealed, cancellation);
    }

    /// <summary>a, b of every slot of a position, in slot order (the game's field layout).</summary>
    private static List<byte[]> PositionFields(IReplicaTrace trace, int position) =>
        Enumerable.Range(0, trace.Layout.Layers + 2).SelectMany(s => Words(trace.Fields(new TracePoint(position, s)))).ToList();

    private static IEnumerable<byte[]> Words(LeafFields fields) => [fields.A.ToArray(), fields.B.ToArray()];
}
