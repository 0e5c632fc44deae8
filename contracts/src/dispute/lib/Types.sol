// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A leaf hash of an inference trace (SPEC.md §9): keccak256(u32 position ‖ u16 slot ‖ bytes32 a ‖ bytes32 b).
///         The zero claim stands for "no leaf": a defender proved that its trace has no entry there.
type Claim is bytes32;

/// @notice A step of a trace: a token position and a slot within it.
/// @dev Bit layout (uint64, most significant first):
///      | bits  | field    | meaning                                                   |
///      |-------|----------|-----------------------------------------------------------|
///      | 63-48 | (zero)   | unused                                                    |
///      | 47-16 | position | token position t, 0-based                                 |
///      | 15-0  | slot     | 0 = embedding, 1..L = transformer block slot − 1, L+1 = head |
type Position is uint64;

/// @notice A chess clock of one party of a dispute.
/// @dev Bit layout (uint128, most significant first):
///      | bits   | field     | meaning                                                                  |
///      |--------|-----------|--------------------------------------------------------------------------|
///      | 127-64 | used      | seconds the party has spent on its finished turns (plus extensions given) |
///      | 63-0   | startedAt | start of the party's current turn; zero when it is not the party's turn  |
type Clock is uint128;

/// @notice The two parties of a dispute. The defender is the disputed replica (its signed stage traces); the
///         challenger is the conflicting replica or the challenger's own commitment.
enum Side {
    Defender,
    Challenger
}

/// @notice Life cycle of a dispute.
enum Phase {
    None, // no such dispute
    Bisect, // narrowing: fast (narrow) or interactive (revealPosition / revealParts)
    Bisected, // the bisection found its step; finishBisection fixes the step's claims
    Step, // the step is fixed; one of stepLayer / stepEmbedding / stepHead decides it
    Decided, // the outcome is known; resolve settles it
    Resolved // settled: slashed, bonds credited, JobMarket told, nodes and job unfrozen
}

/// @notice Who was proven wrong.
enum Outcome {
    None,
    ChallengerWon, // the defender's leaf is wrong (or the defender ran out of time)
    DefenderWon, // the challenger's leaf is wrong (or the challenger ran out of time / showed no disagreement)
    BothWrong // neither leaf is the recomputed one
}

/// @notice How the outcome was reached.
enum Reason {
    None,
    Step, // the one-step verification
    DefenderTimedOut, // the defender did not reveal in time
    ChallengerTimedOut, // the challenger did not reveal or step in time
    NoDisagreement // the challenger's first revealed position equals the defender's
}

/// @notice The claims of a fixed step: what the step's recomputation reads and the two leaves it judges. The game
///         stores keccak256(abi.encode(StepClaims)); the step functions re-supply them.
struct StepClaims {
    bytes32 hiddenIn; // keccak256 of the input hidden vector (`a` of leaf (t, s − 1)); zero for the embedding
    bytes32 carryIn; // kvRootPrev (`b` of (t − 1, s), block slots) or the token to embed (`b` of (t − 1, L + 1))
    Claim defenderLeaf; // zero when the defender proved the position absent
    Claim challengerLeaf;
}
