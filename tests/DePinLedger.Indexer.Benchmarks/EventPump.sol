// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Benchmark load generator: registers itself as a node and stakes 1 unit per iteration, so one transaction emits
// `n` StakeManager.Staked events and `n` token Transfer events. Compiled bytecode is in EventPump.bin
// (solc 0.8.37 from node_modules, optimizer 200 runs): regenerate with `node compile-sol.js EventPump.sol` after a change.

interface IPumpToken {
    function approve(address spender, uint256 amount) external returns (bool);
}

interface IPumpStakeManager {
    struct HardwareProfile {
        uint32 memoryMiB;
        uint32 computeGops;
        uint32 bandwidthMBps;
        uint16 regionCode;
    }

    function registerNode(address node, string calldata endpoint, HardwareProfile calldata hardware, bytes calldata sig) external;

    function stake(address node, uint256 amount) external;
}

contract EventPump {
    function setUp(IPumpToken token, IPumpStakeManager stakeManager) external {
        token.approve(address(stakeManager), type(uint256).max);
        stakeManager.registerNode(address(this), "pump", IPumpStakeManager.HardwareProfile(1, 1, 1, 1), "");
    }

    function pump(IPumpStakeManager stakeManager, uint256 n) external {
        for (uint256 i; i < n; ++i) {
            stakeManager.stake(address(this), 1);
        }
    }
}
