// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStakeManager} from "../../src/interfaces/IStakeManager.sol";
import {IJobMarket} from "../../src/interfaces/IJobMarket.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Trivial stand-in for the dispute game: forwards every hook so tests can drive them. It has no rules of
///         its own; the real game (issue 5) decides when to call what.
contract MockDisputeGame {
    IStakeManager public immutable STAKES;
    IJobMarket public immutable MARKET;

    constructor(IStakeManager _stakes, IJobMarket _market) {
        STAKES = _stakes;
        MARKET = _market;
    }

    function slash(address _node, uint256 _amount, uint64 _infractionTime, address _recipient)
        external
        returns (uint256 slashed_)
    {
        slashed_ = STAKES.slash(_node, _amount, _infractionTime, _recipient);
    }

    function freezeNode(address _node) external {
        STAKES.freezeNode(_node);
    }

    function unfreezeNode(address _node) external {
        STAKES.unfreezeNode(_node);
    }

    function freezeJob(bytes32 _jobId) external {
        MARKET.freezeJob(_jobId);
    }

    function unfreezeJob(bytes32 _jobId) external {
        MARKET.unfreezeJob(_jobId);
    }

    function markReplicaWrong(bytes32 _jobId, uint8 _replica) external {
        MARKET.markReplicaWrong(_jobId, _replica);
    }

    function refundClient(bytes32 _jobId) external {
        MARKET.refundClient(_jobId);
    }

    function payHonestReplica(bytes32 _jobId, uint8 _replica, IJobMarket.StageRecord[] calldata _stages) external {
        MARKET.payHonestReplica(_jobId, _replica, _stages);
    }

    /// @dev Pays from tokens this contract holds (a slash reward in the real game): approves `_budget`, the market
    ///      pulls what it paid; the allowance left is cleared.
    function payFromSlash(bytes32 _jobId, uint8 _replica, IJobMarket.StageRecord[] calldata _stages, uint256 _budget)
        external
        returns (uint256 paid_)
    {
        IERC20 token = MARKET.token();
        token.approve(address(MARKET), _budget);
        paid_ = MARKET.payFromSlash(_jobId, _replica, _stages, _budget);
        token.approve(address(MARKET), 0);
    }
}
