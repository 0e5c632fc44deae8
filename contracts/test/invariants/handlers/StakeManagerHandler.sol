// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Handlers steer time on purpose; timestamps here are the test's clock, not a validator's.
// forge-lint: disable-start(block-timestamp)
import {Test} from "forge-std/Test.sol";
import {DePinToken} from "../../../src/DePinToken.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {IStakeManager} from "../../../src/interfaces/IStakeManager.sol";
import {MockDisputeGame} from "../../mocks/MockDisputeGame.sol";

/// @notice Honest operators staking, unbonding and withdrawing, and an honest dispute game slashing and freezing.
///         Keeps a shadow model of every node (active stake, unbonding queue) written from the rules in
///         DESIGN.md, and records any deviation of the contract from it in ghost flags.
contract StakeManagerHandler is Test {
    struct Entry {
        uint256 amount;
        uint64 startedAt;
    }

    DePinToken internal immutable TOKEN;
    StakeManager internal immutable STAKES;
    MockDisputeGame internal immutable GAME;
    address internal immutable DEPLOYER;
    uint64 internal immutable DELAY;
    uint64 internal immutable START;

    address[] internal nodes;
    address[] internal operators;
    mapping(address node => uint256 amount) internal shadowActive;
    mapping(address node => Entry[] queue) internal shadowQueue;
    mapping(address node => uint32 count) internal shadowFrozen;

    uint256 public ghostStakedIn;
    uint256 public ghostWithdrawn;
    uint256 public ghostSlashed;
    bool public ghostEarlyWithdrawal;
    bool public ghostFrozenWithdrawal;
    bool public ghostOverSlash;
    bool public ghostShadowMismatch;
    mapping(bytes32 action => uint256 count) public calls;

    constructor(
        DePinToken _token,
        StakeManager _stakes,
        MockDisputeGame _game,
        address _deployer,
        address[] memory _nodes,
        address[] memory _operators
    ) {
        TOKEN = _token;
        STAKES = _stakes;
        GAME = _game;
        DEPLOYER = _deployer;
        DELAY = _stakes.unbondingDelay();
        START = uint64(block.timestamp);
        nodes = _nodes;
        operators = _operators;
    }

    function nodeCount() external view returns (uint256 count_) {
        count_ = nodes.length;
    }

    function nodeAt(uint256 _i) external view returns (address node_) {
        node_ = nodes[_i];
    }

    function shadowUnbonding(address _node) public view returns (uint256 sum_) {
        Entry[] storage queue = shadowQueue[_node];
        for (uint256 i; i < queue.length; ++i) {
            sum_ += queue[i].amount;
        }
    }

    function shadowActiveOf(address _node) external view returns (uint256 amount_) {
        amount_ = shadowActive[_node];
    }

    // ------------------------------------------------------------------ actions

    function stake(uint256 _seed, uint256 _amount) external {
        (address node, address operator) = _pick(_seed);
        _amount = bound(_amount, 1, 1_000_000e18);
        vm.prank(DEPLOYER);
        TOKEN.mint(operator, _amount);
        vm.startPrank(operator);
        TOKEN.approve(address(STAKES), _amount);
        STAKES.stake(node, _amount);
        vm.stopPrank();
        shadowActive[node] += _amount;
        ghostStakedIn += _amount;
        ++calls["stake"];
        _compare(node);
    }

    function requestUnbond(uint256 _seed, uint256 _amount) external {
        (address node, address operator) = _pickWithActive(_seed);
        uint256 active = shadowActive[node];
        if (active == 0) return;
        _amount = bound(_amount, 1, active);
        Entry[] storage queue = shadowQueue[node];
        uint64 now_ = uint64(block.timestamp);
        bool merge = queue.length != 0 && queue[queue.length - 1].startedAt == now_;
        if (!merge && queue.length >= STAKES.MAX_UNBONDINGS()) return; // the honest operator knows the cap
        vm.prank(operator);
        uint64 release = STAKES.requestUnbond(node, _amount);
        if (release != now_ + DELAY) ghostShadowMismatch = true;
        shadowActive[node] -= _amount;
        if (merge) queue[queue.length - 1].amount += _amount;
        else queue.push(Entry({amount: _amount, startedAt: now_}));
        ++calls["requestUnbond"];
        _compare(node);
    }

    function withdraw(uint256 _seed, uint256 _wait) external {
        vm.warp(block.timestamp + bound(_wait, 0, DELAY)); // operators come back some time later
        (address node, address operator) = _pickWithReleased(_seed);
        uint256 releasable = _shadowReleasable(node);
        uint256 balanceBefore = TOKEN.balanceOf(operator);
        vm.prank(operator);
        try STAKES.withdraw(node) returns (uint256 amount) {
            // INVARIANT under test: never more than what has reached its release time, never while frozen.
            if (amount > releasable) ghostEarlyWithdrawal = true;
            if (shadowFrozen[node] != 0) ghostFrozenWithdrawal = true;
            if (amount != releasable || TOKEN.balanceOf(operator) != balanceBefore + amount) {
                ghostShadowMismatch = true;
            }
            _popReleased(node);
            ghostWithdrawn += amount;
            ++calls["withdraw"];
        } catch {
            // Honest expectation: it fails exactly when frozen or nothing is released.
            if (shadowFrozen[node] == 0 && releasable != 0) ghostShadowMismatch = true;
            ++calls["withdraw-reverted"];
        }
        _compare(node);
    }

    function slash(uint256 _seed, uint256 _amount, uint256 _back) external {
        (address node,) = _pick(_seed);
        uint64 infraction = uint64(block.timestamp - bound(_back, 0, block.timestamp - START));
        uint256 had = shadowActive[node] + shadowUnbonding(node);
        uint256 slashable = _shadowSlashable(node, infraction);
        // Mostly partial slashes (so stake survives to be withdrawn), sometimes more than the node has.
        _amount = _amount % 8 == 0 ? bound(_amount, 0, had + 1e18) : bound(_amount, 0, had / 4);
        uint256 slashed = GAME.slash(node, _amount, infraction, address(GAME));
        // INVARIANT under test: a slash takes at most what the node had, and exactly what the rules allow.
        if (slashed > had) ghostOverSlash = true;
        if (slashed != (_amount < slashable ? _amount : slashable)) ghostShadowMismatch = true;
        _applySlash(node, _amount, infraction);
        ghostSlashed += slashed;
        ++calls["slash"];
        _compare(node);
    }

    function freeze(uint256 _seed) external {
        (address node,) = _pick(_seed);
        if (shadowFrozen[node] != 0) return; // one open dispute per node keeps withdrawals reachable
        GAME.freezeNode(node);
        ++shadowFrozen[node];
        ++calls["freeze"];
    }

    function unfreeze(uint256 _seed) external {
        (address node,) = _pick(_seed);
        if (shadowFrozen[node] == 0) return;
        GAME.unfreezeNode(node);
        --shadowFrozen[node];
        ++calls["unfreeze"];
    }

    function warp(uint256 _seconds) external {
        vm.warp(block.timestamp + bound(_seconds, 1, DELAY));
        ++calls["warp"];
    }

    // ------------------------------------------------------------------ shadow model

    function _pick(uint256 _seed) internal view returns (address node_, address operator_) {
        uint256 i = _seed % nodes.length;
        node_ = nodes[i];
        operator_ = operators[i];
    }

    /// @dev The first node from the seed on that has active stake (operators unbond what they have).
    function _pickWithActive(uint256 _seed) internal view returns (address node_, address operator_) {
        for (uint256 k; k < nodes.length; ++k) {
            (node_, operator_) = _pick(_seed % nodes.length + k);
            if (shadowActive[node_] != 0) return (node_, operator_);
        }
        (node_, operator_) = _pick(_seed);
    }

    /// @dev The first node from the seed on with a released entry (operators withdraw when they can); the seed's
    ///      node when there is none, to exercise the reverting paths.
    function _pickWithReleased(uint256 _seed) internal view returns (address node_, address operator_) {
        for (uint256 k; k < nodes.length; ++k) {
            (node_, operator_) = _pick(_seed % nodes.length + k);
            if (_shadowReleasable(node_) != 0) return (node_, operator_);
        }
        (node_, operator_) = _pick(_seed);
    }

    function _shadowReleasable(address _node) internal view returns (uint256 sum_) {
        Entry[] storage queue = shadowQueue[_node];
        for (uint256 i; i < queue.length; ++i) {
            if (uint256(queue[i].startedAt) + DELAY <= block.timestamp) sum_ += queue[i].amount;
        }
    }

    function _shadowSlashable(address _node, uint64 _infraction) internal view returns (uint256 sum_) {
        sum_ = shadowActive[_node];
        Entry[] storage queue = shadowQueue[_node];
        for (uint256 i; i < queue.length; ++i) {
            if (queue[i].startedAt >= _infraction) sum_ += queue[i].amount;
        }
    }

    function _popReleased(address _node) internal {
        Entry[] storage queue = shadowQueue[_node];
        uint256 kept;
        for (uint256 i; i < queue.length; ++i) {
            if (uint256(queue[i].startedAt) + DELAY > block.timestamp) queue[kept++] = queue[i];
        }
        while (queue.length > kept) queue.pop();
    }

    function _applySlash(address _node, uint256 _amount, uint64 _infraction) internal {
        uint256 fromActive = _amount < shadowActive[_node] ? _amount : shadowActive[_node];
        shadowActive[_node] -= fromActive;
        uint256 remaining = _amount - fromActive;
        Entry[] storage queue = shadowQueue[_node];
        for (uint256 i = queue.length; i > 0 && remaining != 0; --i) {
            Entry storage e = queue[i - 1];
            if (e.startedAt < _infraction) break;
            uint256 take = e.amount < remaining ? e.amount : remaining;
            e.amount -= take;
            remaining -= take;
        }
        while (queue.length != 0 && queue[queue.length - 1].amount == 0) queue.pop();
    }

    function _compare(address _node) internal {
        if (STAKES.activeStake(_node) != shadowActive[_node]) ghostShadowMismatch = true;
        IStakeManager.Unbonding[] memory entries = STAKES.getUnbondings(_node);
        Entry[] storage queue = shadowQueue[_node];
        if (entries.length != queue.length) {
            ghostShadowMismatch = true;
            return;
        }
        for (uint256 i; i < entries.length; ++i) {
            if (entries[i].amount != queue[i].amount || entries[i].startedAt != queue[i].startedAt) {
                ghostShadowMismatch = true;
            }
            if (entries[i].releaseAt != queue[i].startedAt + DELAY) ghostShadowMismatch = true;
        }
    }
}
