// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {console} from "forge-std/console.sol";
import {Outcome, Phase} from "../../src/dispute/lib/Types.sol";
import {DisputeGame_Bisection_Init} from "./DisputeGameBisection.t.sol";
import {TraceLib} from "./utils/TraceLib.sol";

/// @notice The game's own gas for a complete fast-path dispute (open → narrow → step → resolve → claimCredit),
///         with the AlphabetVerifier, whose step costs almost nothing: what is measured is the game. Under
///         `--isolate` each call is its own transaction and `vm.lastCallGas().gasTotalUsed` is its full gas
///         (intrinsic + calldata + execution − refunds); contracts/GAS.md:
///         `forge test --isolate --match-contract DisputeGame_Gas_Test -vv`.
contract DisputeGame_Gas_Test is DisputeGame_Bisection_Init {
    /// @dev Goal for the game's overhead of a whole fast-path dispute, all transactions together.
    uint256 internal constant OVERHEAD_GOAL = 1_000_000;

    function _gas(string memory _what) internal view returns (uint256 gas_) {
        Vm.Gas memory g = vm.lastCallGas();
        gas_ = g.gasTotalUsed;
        console.log(_what, gas_);
    }

    function test_gas_fastPathDispute() public {
        // Replica 0: 2 stages; replica 1: 3 stages, wrong at block slot 3 of position 5; the challenger names
        // replica 0. Positions 0..8, so each stage tree has 16 to 64 leaves (proofs of 4 to 6 siblings).
        _mint(challenger, 10 * BOND); // a balance that stays non-zero, as for a live challenger
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        uint256 total = _gas("open (2 + 3 stages, 5 nodes frozen)");
        _narrow(g.id, g.def, g.defRecords, g.ch, g.chRecords, 5, 3);
        total += _gas("narrow (6 openings)");
        _decide(g);
        total += _gas("stepLayer (AlphabetVerifier)");
        _assertOutcome(g, Outcome.ChallengerWon, _info(g.id).reason);
        _resolve(g.id, g.defRecords, g.chRecords);
        total += _gas("resolve (1 slash, replica marked, 5 nodes unfrozen)");
        vm.prank(anyone);
        dg.claimCredit(challenger);
        total += _gas("claimCredit");
        console.log("total", total);
        assertEq(uint8(_info(g.id).phase), uint8(Phase.Resolved));
        assertLe(total, OVERHEAD_GOAL);
    }

    /// @dev The served replica 0 wrong: resolve also refunds the client and pays replica 1's three stages from the
    ///      slash reward (approve, three credits, the market's pull).
    function test_gas_resolveServedReplicaWrong() public {
        Game memory g = _replicaGame(_fault(TraceLib.FaultKind.Hidden, 5, 3), _none(), 0, 6);
        _narrow(g.id, g.def, g.defRecords, g.ch, g.chRecords, 5, 3);
        _decide(g);
        _resolve(g.id, g.defRecords, g.chRecords);
        uint256 gas = _gas("resolve (1 slash, refund, replica 1 paid from the slash, 5 nodes unfrozen)");
        assertEq(uint8(_info(g.id).phase), uint8(Phase.Resolved));
        assertLe(gas, OVERHEAD_GOAL);
    }

    function test_gas_bisectionRound() public {
        Game memory g = _replicaGame(_none(), _fault(TraceLib.FaultKind.Hidden, 5, 3), 1, 6);
        _challengerMove(g.id, g.ch, g.chRecords, 8);
        _gas("revealPosition (7 leaves)");
        _defenderMove(g.id, g.def, g.defRecords, g.ch);
        _gas("revealParts (3 stages, 7 leaves)");
        assertEq(_info(g.id).round, 1);
    }
}
