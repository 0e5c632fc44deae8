using DePinLedger.Chain.Errors;

namespace DePinLedger.Chain.Contracts.Errors;

// One-line explanations of the dispute game's errors most likely to reach a user (DisputeGame and StepProver).
// Enum values follow contracts/src/dispute/lib/Types.sol (Phase, Side).

public sealed partial class DisputeGameUnknownDisputeError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"dispute {DisputeId} does not exist";
}

public sealed partial class DisputeGameWrongPhaseError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"dispute {DisputeId} is in phase {DisputePhases.Name(Phase)}, which does not take this move";
}

public sealed partial class DisputeGameClockExpiredError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the {DisputePhases.SideName(Side)}'s clock in dispute {DisputeId} ran out at {Deadline} (unix time); only 'resolve' is left";
}

public sealed partial class DisputeGameChallengeWindowClosedError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the challenge window of job 0x{Convert.ToHexStringLower(JobId)} closed at {EndedAt} (unix time)";
}

public sealed partial class DisputeGameDisputeAlreadyOpenError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"replica {Replica} of job 0x{Convert.ToHexStringLower(JobId)} is already disputed (dispute {DisputeId})";
}

public sealed partial class DisputeGameInvalidProofError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the {DisputePhases.SideName(Side)}'s Merkle opening of leaf (position {Position}, slot {Slot}) does not verify against its signed stage root";
}

public sealed partial class DisputeGameClaimsAgreeError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"both traces hold the same leaf at (position {Position}, slot {Slot}): it is not a divergent step";
}

public sealed partial class DisputeGameInputsDisagreeError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the traces already differ in the inputs of (position {Position}, slot {Slot}): it is not the first divergent step";
}

public sealed partial class DisputeGameStagesMismatchError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the {DisputePhases.SideName(Side)}'s stage records are not the ones submitted (their hash is 0x{Convert.ToHexStringLower(Actual)}, expected 0x{Convert.ToHexStringLower(Expected)})";
}

public sealed partial class DisputeGameNotResolvableError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"dispute {DisputeId} cannot be resolved yet: it is in phase {DisputePhases.Name(Phase)} and the side on turn still has time";
}

public sealed partial class DisputeGameNoCreditError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"{Recipient} has no credit in the dispute game";
}

public sealed partial class DisputeGameStepClaimsMismatchError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"the step claims given are not the ones fixed for dispute {DisputeId} (see its StepFixed event)";
}

public sealed partial class DisputeGameReplicaAlreadyWrongError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"replica {Replica} of job 0x{Convert.ToHexStringLower(JobId)} was already proven wrong";
}

public sealed partial class DisputeGameNotYourTurnError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"it is the {DisputePhases.SideName(OnTurn)}'s turn in dispute {DisputeId}";
}

public sealed partial class DisputeGameJobNotDisputableError : IDescribedError
{
    public string Describe(AmountFormatter amount) => $"job 0x{Convert.ToHexStringLower(JobId)} cannot be disputed: it is {DisputePhases.JobStatus(Status)}, not submitted";
}

/// <summary>Names of the game's Phase and Side values and of JobMarket's JobStatus.</summary>
internal static class DisputePhases
{
    private static readonly string[] Phases = ["None", "Bisect", "Bisected", "Step", "Decided", "Resolved"];

    public static string Name(byte phase) => phase < Phases.Length ? Phases[phase] : $"#{phase}";

    private static readonly string[] JobStatuses = ["unknown", "open", "submitted", "finalized", "refunded"];

    public static string JobStatus(byte status) => status < JobStatuses.Length ? JobStatuses[status] : $"in status #{status}";

    public static string SideName(byte side) => side == 0 ? "defender" : "challenger";
}
