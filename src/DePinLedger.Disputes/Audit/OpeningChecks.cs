using DePinLedger.Disputes.Client;
using DePinLedger.Disputes.Traces;
using DePinLedger.Inference.Commitments;
using Game = DePinLedger.Chain.Contracts.Game;
using Prover = DePinLedger.Chain.Contracts.Prover;

namespace DePinLedger.Disputes.Audit;

/// <summary>
/// Re-verifies every Merkle opening a dispute's moves carried (fast narrowing, the bisection's position and part
/// reveals) against the stage trace roots logged at submission (signed by the nodes), never against roots the
/// moves themselves re-supply.
/// </summary>
internal sealed class OpeningChecks(int layers, IReadOnlyList<StageCommitment>? defender, IReadOnlyList<StageCommitment>? challenger,
    List<AuditedOpening> openings, List<string> problems)
{
    public void Narrowing(DisputeHistory history, Game.StepFixedEvent fixedStep)
    {
        LoggedMove move = history.Moves.Last(m => m.Data is Game.StepFixedEvent);
        Prover.NarrowFunction? narrow = ChainRecords.Decode<Prover.NarrowFunction>(move.Input);
        if (narrow is null)
        {
            problems.Add("the narrowing transaction is not a direct StepProver.narrow call; its openings were not re-checked");
            return;
        }
        Prover.Narrowing n = narrow.Narrowing;
        var at = new TracePoint((int)n.Position, n.Slot);
        if (n.Position != fixedStep.Position || n.Slot != fixedStep.Slot) problems.Add($"narrow calldata names {at}, the StepFixed event ({fixedStep.Position}, {fixedStep.Slot})");
        Side("defender", defender, n.DefenderStages, n.Defender, Hex(fixedStep.DefenderLeaf));
        Side("challenger", challenger, n.ChallengerStages, n.Challenger, Hex(fixedStep.ChallengerLeaf));

        void Side(string side, IReadOnlyList<StageCommitment>? logged, List<Prover.StageRecord> records, Prover.SideOpenings o, string claimed)
        {
            if (!SameStages(side, "narrow", logged, records.Select(StageCommitment.From))) return;
            Hash32 claim = Open(side, "claim", at, o.Claim.A, o.Claim.B, o.Claim.Proof, logged!);
            if (claim.ToString() != claimed) problems.Add($"{side}: the opened leaf {claim} is not the StepFixed claim {claimed}");
            if (at.Slot >= 1) Open(side, "hidden input", at with { Slot = at.Slot - 1 }, o.HiddenIn.A, o.HiddenIn.B, o.HiddenIn.Proof, logged!);
            if (at.Position >= 1 && at.Slot <= layers)
                Open(side, "carried input", new TracePoint(at.Position - 1, at.Slot == 0 ? layers + 1 : at.Slot), o.CarryIn.A, o.CarryIn.B, o.CarryIn.Proof, logged!);
        }
    }

    /// <summary>Every revealPosition and revealParts move of a bisection.</summary>
    public void Bisection(DisputeHistory history)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (LoggedMove move in history.Moves)
        {
            if (move.Data is Game.PositionRevealedEvent revealed && seen.Add(move.Transaction))
                Position(move, revealed);
            else if (move.Data is Game.PartRevealedEvent && seen.Add(move.Transaction))
                Parts(move);
        }
    }

    private void Position(LoggedMove move, Game.PositionRevealedEvent revealed)
    {
        Game.RevealPositionFunction? call = ChainRecords.Decode<Game.RevealPositionFunction>(move.Input);
        if (call is null)
        {
            problems.Add($"transaction {move.Transaction} is not a direct revealPosition call; its openings were not re-checked");
            return;
        }
        Game.PositionReveal r = call.Reveal;
        if (r.Position != revealed.Position || r.Fields.Count != 2 * (layers + 2) || r.Proofs.Count != layers + 2)
        {
            problems.Add($"the revealPosition calldata of {move.Transaction} does not match its event or the model's {layers + 2} slots");
            return;
        }
        if (!SameStages("challenger", "revealPosition", challenger, r.Stages.Select(StageCommitment.From))) return;
        for (int slot = 0; slot < layers + 2; slot++)
            Open("challenger", $"round {revealed.Round}", new TracePoint((int)r.Position, slot), r.Fields[2 * slot], r.Fields[2 * slot + 1], r.Proofs[slot], challenger!);
    }

    private void Parts(LoggedMove move)
    {
        Game.RevealPartsFunction? call = ChainRecords.Decode<Game.RevealPartsFunction>(move.Input);
        uint position = ((Game.PartRevealedEvent)move.Data).Position;
        if (call is null)
        {
            problems.Add($"transaction {move.Transaction} is not a direct revealParts call; its openings were not re-checked");
            return;
        }
        if (!SameStages("defender", "revealParts", defender, call.Stages.Select(StageCommitment.From))) return;
        StageLayout layout = Layout(defender!);
        foreach (Game.PartReveal part in call.Parts)
        {
            if (part.Stage >= layout.Stages.Count)
            {
                problems.Add($"revealParts names stage {part.Stage} of {layout.Stages.Count}");
                continue;
            }
            if (part.Absent)
            {
                Absent(part, (int)position, layout, defender!);
                continue;
            }
            int[] slots = Enumerable.Range(0, layers + 2).Where(s => layout.Stages[part.Stage].Owns(s, layers)).ToArray();
            if (part.Fields.Count != 2 * slots.Length || part.Proofs.Count != slots.Length)
            {
                problems.Add($"defender stage {part.Stage}'s part at position {position} has {part.Fields.Count} fields and {part.Proofs.Count} proofs for {slots.Length} slots");
                continue;
            }
            for (int i = 0; i < slots.Length; i++)
                Open("defender", $"stage {part.Stage} part", new TracePoint((int)position, slots[i]), part.Fields[2 * i], part.Fields[2 * i + 1], part.Proofs[i], defender!);
        }
    }

    // An absence: a zero padding leaf at j = position · n inside the padded tree, or the stage's first leaf at index 0
    // with a proof too short for the tree to reach j.
    private void Absent(Game.PartReveal part, int position, StageLayout layout, IReadOnlyList<StageCommitment> stages)
    {
        StageSpan span = layout.Stages[part.Stage];
        long j = (long)position * span.SlotsPerPosition(layers);
        var root = new Hash32(stages[part.Stage].TraceRoot.Span);
        bool valid = false;
        if (part.Proofs.Count == 1 && part.Proofs[0].Count < 31 && part.Proofs[0].All(w => w.Length == 32) && part.Fields.All(w => w.Length == 32))
        {
            List<Hash32> proof = part.Proofs[0].Select(w => new Hash32(w)).ToList();
            if (part.Fields.Count == 0)
                valid = j < 1L << proof.Count && MerkleTree.Verify(root, Hash32.Zero, (int)j, proof);
            else if (part.Fields.Count == 2)
            {
                var first = new TracePoint(0, span.FirstLayer == 0 ? 0 : span.FirstLayer + 1);
                valid = j >= 1L << proof.Count && MerkleTree.Verify(root, new LeafFields(new Hash32(part.Fields[0]), new Hash32(part.Fields[1])).Leaf(first), 0, proof);
            }
        }
        if (!valid) problems.Add($"defender stage {part.Stage}'s absence proof at position {position} does not verify against its signed root {root}");
        openings.Add(new AuditedOpening("defender", $"stage {part.Stage} absence", position, -1, part.Stage, valid));
    }

    private bool SameStages(string side, string call, IReadOnlyList<StageCommitment>? logged, IEnumerable<StageCommitment> supplied)
    {
        // The openings are only as good as the roots they open against: those must be the signed, logged ones.
        if (logged is not null && supplied.SequenceEqual(logged)) return true;
        problems.Add($"the {side} stage records in the {call} calldata are not the ones logged at submission; its openings were not checked");
        return false;
    }

    private Hash32 Open(string side, string what, TracePoint at, byte[] a, byte[] b, IReadOnlyList<byte[]> proof, IReadOnlyList<StageCommitment> stages)
    {
        if (a.Length != 32 || b.Length != 32 || proof.Any(w => w.Length != 32) || proof.Count >= 31)
        {
            problems.Add($"{side} {what} opening at {at} is malformed");
            openings.Add(new AuditedOpening(side, what, at.Position, at.Slot, -1, false));
            return Hash32.Zero;
        }
        StageLayout layout = Layout(stages);
        Hash32 leaf = new LeafFields(new Hash32(a), new Hash32(b)).Leaf(at);
        int stage = layout.StageOf(at.Slot);
        var root = new Hash32(stages[stage].TraceRoot.Span);
        bool valid = MerkleTree.Verify(root, leaf, layout.Stages[stage].LeafIndex(at.Position, at.Slot, layers), proof.Select(w => new Hash32(w)).ToList());
        if (!valid) problems.Add($"{side} {what} opening at {at} does not verify against stage {stage}'s signed root {root}");
        openings.Add(new AuditedOpening(side, what, at.Position, at.Slot, stage, valid));
        return leaf;
    }

    private StageLayout Layout(IReadOnlyList<StageCommitment> stages) => new(layers, stages.Select(s => s.Span).ToList());

    private static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);
}
