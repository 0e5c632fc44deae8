// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test stand-in for the dispute game: set once as StakeManager's dispute game, it forwards any call, so a test can
// slash, freeze, unfreeze, mark replicas wrong and refund as the real game will. Bytecode in MockDisputeGame.bin
// (node ../DePinLedger.Indexer.Benchmarks/compile-sol.js MockDisputeGame.sol).
contract MockDisputeGame {
    function exec(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
