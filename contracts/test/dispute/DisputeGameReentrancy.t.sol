// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {DePinToken} from "../../src/DePinToken.sol";
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {IStepVerifier} from "../../src/verifier/IStepVerifier.sol";
import {Outcome, Reason} from "../../src/dispute/lib/Types.sol";
import {DisputeGame_Bisection_Init} from "./DisputeGameBisection.t.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice A verifier that, while recomputing a step, tries to change the game's state (claim credit, resolve)
///         before answering with the honest leaf. The game reaches verifiers by STATICCALL only.
contract ReenteringVerifier {
    error ReenteringVerifier_HonestVerifierFailed();

    IStepVerifier public immutable HONEST;
    IDisputeGame public immutable GAME;
    address public immutable BENEFICIARY;

    constructor(IStepVerifier _honest, IDisputeGame _game, address _beneficiary) {
        (HONEST, GAME, BENEFICIARY) = (_honest, _game, _beneficiary);
    }

    // The attack needs a raw call from inside the verifier's answer: a fallback with low-level calls.
    // solhint-disable-next-line no-complex-fallback
    fallback(bytes calldata _input) external returns (bytes memory output_) {
        // solhint-disable-next-line avoid-low-level-calls
        (bool reentered,) = address(GAME).call(abi.encodeCall(IDisputeGame.claimCredit, (BENEFICIARY)));
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, output_) = address(HONEST).staticcall(_input);
        // A successful reentry would answer with a wrong leaf, flipping the outcome the test checks.
        if (reentered) output_ = abi.encode(bytes32(uint256(1)), bytes32(uint256(2)));
        if (!ok) revert ReenteringVerifier_HonestVerifierFailed();
    }
}

contract DisputeGame_Reentrancy_Test is DisputeGame_Bisection_Init {
    using TraceLib for TraceLib.Trace;

    uint256 internal constant REWARD = SLASH * SLASH_REWARD_BPS / 10_000;

    function _newToken() internal override returns (DePinToken token_) {
        token_ = new ReentrantToken();
    }

    function _hostile() internal view returns (ReentrantToken token_) {
        token_ = ReentrantToken(address(token));
    }

    function _decided() internal returns (Game memory g_) {
        g_ = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _narrow(g_.id, g_.def, g_.defRecords, g_.ch, g_.chRecords, 5, 3);
        _decide(g_);
    }

    function _assertGuardTripped() internal view {
        assertEq(_hostile().attempts(), 1);
        assertFalse(_hostile().lastSucceeded());
        assertEq(
            _hostile().lastResult(),
            abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
    }

    function test_claimCredit_tokenReentersClaimCredit_succeeds() public {
        Game memory g = _decided();
        _resolve(g.id, g.defRecords, g.chRecords);
        // While paying the challenger, the token calls claimCredit again.
        _hostile().arm(address(dg), challenger, address(dg), abi.encodeCall(dg.claimCredit, (challenger)));
        uint256 before = token.balanceOf(challenger);
        dg.claimCredit(challenger);
        _assertGuardTripped();
        assertEq(token.balanceOf(challenger), before + BOND + REWARD);
        assertEq(token.balanceOf(address(dg)), 0);
    }

    function test_resolve_tokenReentersDuringSlashReward_succeeds() public {
        Game memory g = _decided();
        // The bond is credited before the StakeManager pays the reward in; a reentrant claim must not see it.
        _hostile().arm(address(stakes), address(dg), address(dg), abi.encodeCall(dg.claimCredit, (challenger)));
        _resolve(g.id, g.defRecords, g.chRecords);
        _assertGuardTripped();
        assertEq(dg.creditOf(challenger), BOND + REWARD);
        assertEq(token.balanceOf(address(dg)), BOND + REWARD);
    }

    function test_open_tokenReentersOpen_succeeds() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        // While the bond of a second dispute is pulled, the token tries to open a third.
        _hostile()
            .arm(
                challenger,
                address(dg),
                address(dg),
                abi.encodeCall(dg.open, (IDisputeGame.OpenParams(g.job.id, 1, OWN, g.defRecords, g.chRecords)))
            );
        uint256 second = _open(g.job.id, 0, 1, g.job.records0, g.job.records1);
        _assertGuardTripped();
        assertEq(second, 2);
        assertEq(dg.disputeCount(), 2);
    }

    function test_stepLayer_verifierReentersGame_succeeds() public {
        bytes32 model = keccak256("reentering");
        ReenteringVerifier bad = new ReenteringVerifier(alphabet, dg, challenger);
        registry.registerModel(model, ALPHABET_ROOT, _dims(), address(bad), "ipfs://reentering");
        jobModel = model;
        // Give the challenger something to claim, so that a reentrant claim could succeed if it were allowed.
        Game memory first = _decided();
        _resolve(first.id, first.defRecords, first.chRecords);
        _stake(pipeB[1], SLASH); // back to the minimum after its slash
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _narrow(g.id, g.def, g.defRecords, g.ch, g.chRecords, 5, 3);
        _decide(g);
        _assertOutcome(g, Outcome.ChallengerWon, Reason.Step);
        assertEq(dg.creditOf(challenger), BOND + REWARD);
    }
}
// forge-lint: disable-end(unsafe-typecast)
