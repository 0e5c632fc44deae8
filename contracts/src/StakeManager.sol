// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Lint choices for this file: deadlines, windows and release times are protocol rules in seconds (a validator can
// skew a timestamp by seconds, far below any window here); boundaries are written as the rules state them
// (`>=`, `<=`) rather than rewritten for a few gas.
// forge-lint: disable-start(block-timestamp)
/* solhint-disable gas-strict-inequalities */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title StakeManager
/// @notice Per-node stake with unbonding that outlasts every dispute, and slashing by infraction time.
/// @dev Rules this contract keeps:
///      - The token balance of this contract equals the sum over nodes of active plus unbonding stake; nothing
///        else is ever held (a slash pays its reward and burn out in the same call).
///      - Only the dispute game slashes or freezes. It is set once by the deployer ({setDisputeGame}) and can never
///        change; before that nobody can slash. There is no owner, no pause and no path that moves a node's stake
///        anywhere but back to its operator or, by a slash, to the game's reward recipient and the burn address.
///      - UNBONDING_DELAY > CHALLENGE_WINDOW + MAX_DISPUTE_DURATION (checked in the constructor; JobMarket adds
///        its longest job: MAX_JOB_DURATION + CHALLENGE_WINDOW + MAX_DISPUTE_DURATION < UNBONDING_DELAY), so an
///        unbonding entry started at or after a job's creation is still here when any dispute about that job
///        ends; and a node with an open dispute (freezeCount > 0) cannot withdraw at all.
///      - Slash order: active stake first, then unbonding entries newest first, stopping at the first entry that
///        started before the infraction (entries are sorted by start time). Entries at or after the infraction
///        time are slashable (Cosmos semantics).
///      - At most MAX_UNBONDINGS pending entries per node bound the slash loop (requests in the same second merge).
///
///      Storage layout of a node (`_nodes[node]`):
///      | slot | bits    | field          |
///      |------|---------|----------------|
///      | 0    | 0-159   | operator       |
///      | 0    | 160-255 | activeStake    |
///      | 1    | 0-95    | unbondingStake |
///      | 1    | 96-159  | registeredAt   |
///      | 1    | 160-191 | freezeCount    |
///      | 1    | 192-223 | unbondHead     |
///      | 1    | 224-255 | unbondTail     |
///      | 2    | 0-111   | hardware       |
///      Unbonding entries live in `_unbondings[node][i]` for head <= i < tail (amount 96 bits, startedAt 64 bits).
contract StakeManager is IStakeManager, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Most pending unbonding entries per node; bounds the work of {slash} and {withdraw}.
    uint256 public constant MAX_UNBONDINGS = 16;
    /// @notice Where the burned part of a slash goes (the token need not support burning).
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @notice EIP-712 type the node key signs to authorize its operator.
    bytes32 public constant NODE_KEY_TYPEHASH = keccak256("NodeKey(address operator)");

    uint16 private constant _BPS = 10_000;
    uint256 private constant _MAX_STAKE = type(uint96).max;

    IERC20 private immutable TOKEN;
    uint256 private immutable MIN_STAKE;
    uint64 private immutable UNBONDING_DELAY;
    uint64 private immutable CHALLENGE_WINDOW;
    uint64 private immutable MAX_DISPUTE_DURATION;
    uint16 private immutable SLASH_REWARD_BPS;
    address private immutable DISPUTE_GAME_SETTER;

    struct Node {
        address operator;
        uint96 activeStake;
        uint96 unbondingStake;
        uint64 registeredAt;
        uint32 freezeCount;
        uint32 unbondHead;
        uint32 unbondTail;
        HardwareProfile hardware;
    }

    struct UnbondingEntry {
        uint96 amount;
        uint64 startedAt;
    }

    address private _disputeGame;
    mapping(address node => Node record) private _nodes;
    mapping(address node => string endpoint) private _endpoints;
    mapping(address node => mapping(uint256 index => UnbondingEntry entry)) private _unbondings;

    /// @param _token Staking token (any ERC-20 without transfer fees).
    /// @param _minStake Active stake a node needs to be eligible.
    /// @param _unbondingDelay Seconds from {requestUnbond} to release.
    /// @param _challengeWindow Seconds after a result during which it can be disputed.
    /// @param _maxDisputeDuration Longest possible dispute, in seconds.
    /// @param _slashRewardBps Share of a slash paid to the winner, basis points (< 10 000).
    constructor(
        IERC20 _token,
        uint256 _minStake,
        uint64 _unbondingDelay,
        uint64 _challengeWindow,
        uint64 _maxDisputeDuration,
        uint16 _slashRewardBps
    ) EIP712("DePinLedger", "1") {
        // INVARIANT: a token must exist to hold stake.
        if (address(_token) == address(0)) revert StakeManager_ZeroAddress();
        // INVARIANT: eligibility means something and fits the packed stake fields.
        if (_minStake == 0 || _minStake > _MAX_STAKE) revert StakeManager_InvalidMinimumStake(_minStake);
        // INVARIANT: results can be challenged.
        if (_challengeWindow == 0) revert StakeManager_ZeroChallengeWindow();
        // INVARIANT: stake that starts unbonding after an infraction outlives any dispute about it.
        uint256 mustExceed = uint256(_challengeWindow) + uint256(_maxDisputeDuration);
        if (_unbondingDelay <= mustExceed) revert StakeManager_UnbondingTooShort(_unbondingDelay, mustExceed);
        // INVARIANT: release times (now + delay) fit 64 bits for the life of the chain (cap: 2^32 s, 136 years).
        if (_unbondingDelay > type(uint32).max) {
            revert StakeManager_UnbondingTooLong(_unbondingDelay, type(uint32).max);
        }
        // INVARIANT: some of every slash is burned, so challenging oneself never pays.
        if (_slashRewardBps >= _BPS) revert StakeManager_RewardShareTooHigh(_slashRewardBps, _BPS - 1);

        TOKEN = _token;
        MIN_STAKE = _minStake;
        UNBONDING_DELAY = _unbondingDelay;
        CHALLENGE_WINDOW = _challengeWindow;
        MAX_DISPUTE_DURATION = _maxDisputeDuration;
        SLASH_REWARD_BPS = _slashRewardBps;
        DISPUTE_GAME_SETTER = msg.sender;
    }

    // ------------------------------------------------------------------ setup

    /// @inheritdoc IStakeManager
    function setDisputeGame(address _game) external {
        // INVARIANT: only the deployer sets up the game.
        if (msg.sender != DISPUTE_GAME_SETTER) revert StakeManager_NotDisputeGameSetter(msg.sender);
        // INVARIANT: the game is set once; nobody can redirect slashing afterwards.
        if (_disputeGame != address(0)) revert StakeManager_DisputeGameAlreadySet(_disputeGame);
        // INVARIANT: the game is code that can be audited, not a key.
        if (_game.code.length == 0) revert StakeManager_NotAContract(_game);
        _disputeGame = _game;
        emit DisputeGameSet(_game);
    }

    // ------------------------------------------------------------------ operators

    /// @inheritdoc IStakeManager
    function registerNode(
        address _node,
        string calldata _endpoint,
        HardwareProfile calldata _hardware,
        bytes calldata _nodeSignature
    ) external {
        // INVARIANT: the zero address cannot sign receipts.
        if (_node == address(0)) revert StakeManager_ZeroAddress();
        // INVARIANT: one record (and one stake) per node key.
        address current = _nodes[_node].operator;
        if (current != address(0)) revert StakeManager_NodeAlreadyRegistered(_node, current);
        // INVARIANT: schedulers need a way to reach the node.
        if (bytes(_endpoint).length == 0) revert StakeManager_EmptyEndpoint();
        // INVARIANT: an operator can only register a key it controls (or its own address).
        if (_node != msg.sender) {
            (address recovered,,) = ECDSA.tryRecoverCalldata(nodeKeyDigest(msg.sender), _nodeSignature);
            if (recovered != _node) revert StakeManager_InvalidNodeSignature(_node, recovered);
        }
        _registerNode(_node, msg.sender, _endpoint, _hardware);
    }

    /// @inheritdoc IStakeManager
    function updateNode(address _node, string calldata _endpoint, HardwareProfile calldata _hardware) external {
        _checkOperator(_node);
        // INVARIANT: schedulers need a way to reach the node.
        if (bytes(_endpoint).length == 0) revert StakeManager_EmptyEndpoint();
        _nodes[_node].hardware = _hardware;
        _endpoints[_node] = _endpoint;
        emit NodeUpdated(_node, _endpoint, _hardware);
    }

    /// @inheritdoc IStakeManager
    function stake(address _node, uint256 _amount) external nonReentrant {
        _checkOperator(_node);
        // INVARIANT: no empty stake events.
        if (_amount == 0) revert StakeManager_ZeroAmount();
        Node storage node = _nodes[_node];
        uint256 newActive = uint256(node.activeStake) + _amount;
        // INVARIANT: per-node stake fits its 96-bit field.
        if (newActive > _MAX_STAKE) revert StakeManager_AmountTooLarge(_amount, _MAX_STAKE - node.activeStake);
        _stake(_node, node, _amount, newActive);
    }

    /// @inheritdoc IStakeManager
    function requestUnbond(address _node, uint256 _amount) external returns (uint64 releaseAt_) {
        _checkOperator(_node);
        // INVARIANT: no empty unbonding entries.
        if (_amount == 0) revert StakeManager_ZeroAmount();
        Node storage node = _nodes[_node];
        // INVARIANT: only active stake can start unbonding.
        if (_amount > node.activeStake) revert StakeManager_InsufficientActiveStake(node.activeStake, _amount);
        // INVARIANT: the unbonding total fits its 96-bit field.
        if (uint256(node.unbondingStake) + _amount > _MAX_STAKE) {
            revert StakeManager_AmountTooLarge(_amount, _MAX_STAKE - node.unbondingStake);
        }
        releaseAt_ = _requestUnbond(_node, node, _amount);
    }

    /// @inheritdoc IStakeManager
    function withdraw(address _node) external nonReentrant returns (uint256 amount_) {
        _checkOperator(_node);
        Node storage node = _nodes[_node];
        // INVARIANT: stake under an open dispute stays until the dispute is settled.
        if (node.freezeCount != 0) revert StakeManager_NodeFrozen(_node, node.freezeCount);
        amount_ = _withdraw(_node, node);
    }

    // ------------------------------------------------------------------ dispute game

    /// @inheritdoc IStakeManager
    function slash(address _node, uint256 _amount, uint64 _infractionTime, address _rewardRecipient)
        external
        nonReentrant
        returns (uint256 slashed_)
    {
        _checkDisputeGame();
        // INVARIANT: only registered nodes hold stake.
        if (_nodes[_node].operator == address(0)) revert StakeManager_NodeNotRegistered(_node);
        // INVARIANT: work cannot have been done in the future; a future time would spare no entry anyway.
        if (_infractionTime > block.timestamp) {
            revert StakeManager_InfractionInFuture(_infractionTime, uint64(block.timestamp));
        }
        slashed_ = _slash(_node, _amount, _infractionTime, _rewardRecipient);
    }

    /// @inheritdoc IStakeManager
    function freezeNode(address _node) external {
        _checkDisputeGame();
        Node storage node = _nodes[_node];
        // INVARIANT: only registered nodes can be in a dispute.
        if (node.operator == address(0)) revert StakeManager_NodeNotRegistered(_node);
        uint32 count = node.freezeCount + 1;
        node.freezeCount = count;
        emit NodeFrozen(_node, count);
    }

    /// @inheritdoc IStakeManager
    function unfreezeNode(address _node) external {
        _checkDisputeGame();
        Node storage node = _nodes[_node];
        // INVARIANT: every unfreeze matches an earlier freeze.
        if (node.freezeCount == 0) revert StakeManager_NodeNotFrozen(_node);
        uint32 count;
        // unchecked: freezeCount >= 1 was checked just above, so the subtraction cannot underflow.
        unchecked {
            count = node.freezeCount - 1;
        }
        node.freezeCount = count;
        emit NodeUnfrozen(_node, count);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStakeManager
    function token() external view returns (IERC20 token_) {
        token_ = TOKEN;
    }

    /// @inheritdoc IStakeManager
    function minStake() external view returns (uint256 minStake_) {
        minStake_ = MIN_STAKE;
    }

    /// @inheritdoc IStakeManager
    function unbondingDelay() external view returns (uint64 unbondingDelay_) {
        unbondingDelay_ = UNBONDING_DELAY;
    }

    /// @inheritdoc IStakeManager
    function challengeWindow() external view returns (uint64 challengeWindow_) {
        challengeWindow_ = CHALLENGE_WINDOW;
    }

    /// @inheritdoc IStakeManager
    function maxDisputeDuration() external view returns (uint64 maxDisputeDuration_) {
        maxDisputeDuration_ = MAX_DISPUTE_DURATION;
    }

    /// @inheritdoc IStakeManager
    function slashRewardBps() external view returns (uint16 rewardBps_) {
        rewardBps_ = SLASH_REWARD_BPS;
    }

    /// @inheritdoc IStakeManager
    function disputeGameSetter() external view returns (address setter_) {
        setter_ = DISPUTE_GAME_SETTER;
    }

    /// @inheritdoc IStakeManager
    function disputeGame() external view returns (address disputeGame_) {
        disputeGame_ = _disputeGame;
    }

    /// @inheritdoc IStakeManager
    function getNode(address _node) external view returns (NodeInfo memory info_) {
        Node storage node = _nodes[_node];
        info_.operator = node.operator;
        info_.registeredAt = node.registeredAt;
        info_.activeStake = node.activeStake;
        info_.unbondingStake = node.unbondingStake;
        info_.freezeCount = node.freezeCount;
        info_.pendingUnbondings = node.unbondTail - node.unbondHead;
        info_.eligible = node.operator != address(0) && node.activeStake >= MIN_STAKE;
        info_.hardware = node.hardware;
        info_.endpoint = _endpoints[_node];
    }

    /// @inheritdoc IStakeManager
    function operatorOf(address _node) external view returns (address operator_) {
        operator_ = _nodes[_node].operator;
    }

    /// @inheritdoc IStakeManager
    function eligibility(address _node) external view returns (address operator_, bool eligible_) {
        Node storage node = _nodes[_node];
        operator_ = node.operator;
        eligible_ = operator_ != address(0) && node.activeStake >= MIN_STAKE;
    }

    /// @inheritdoc IStakeManager
    function isEligible(address _node) external view returns (bool eligible_) {
        Node storage node = _nodes[_node];
        eligible_ = node.operator != address(0) && node.activeStake >= MIN_STAKE;
    }

    /// @inheritdoc IStakeManager
    function activeStake(address _node) external view returns (uint256 amount_) {
        amount_ = _nodes[_node].activeStake;
    }

    /// @inheritdoc IStakeManager
    function unbondingStake(address _node) external view returns (uint256 amount_) {
        amount_ = _nodes[_node].unbondingStake;
    }

    /// @inheritdoc IStakeManager
    function freezeCountOf(address _node) external view returns (uint32 freezeCount_) {
        freezeCount_ = _nodes[_node].freezeCount;
    }

    /// @inheritdoc IStakeManager
    function getUnbondings(address _node) external view returns (Unbonding[] memory unbondings_) {
        Node storage node = _nodes[_node];
        uint256 head = node.unbondHead;
        uint256 tail = node.unbondTail;
        unbondings_ = new Unbonding[](tail - head);
        for (uint256 i = head; i < tail; ++i) {
            UnbondingEntry storage entry = _unbondings[_node][i];
            unbondings_[i - head] = Unbonding({
                amount: entry.amount, startedAt: entry.startedAt, releaseAt: entry.startedAt + UNBONDING_DELAY
            });
        }
    }

    /// @inheritdoc IStakeManager
    function withdrawable(address _node) external view returns (uint256 amount_) {
        Node storage node = _nodes[_node];
        uint256 tail = node.unbondTail;
        for (uint256 i = node.unbondHead; i < tail; ++i) {
            UnbondingEntry storage entry = _unbondings[_node][i];
            if (uint256(entry.startedAt) + UNBONDING_DELAY > block.timestamp) break;
            amount_ += entry.amount;
        }
    }

    /// @inheritdoc IStakeManager
    function slashableStake(address _node, uint64 _infractionTime) external view returns (uint256 amount_) {
        Node storage node = _nodes[_node];
        amount_ = node.activeStake;
        uint256 head = node.unbondHead;
        for (uint256 i = node.unbondTail; i > head; --i) {
            UnbondingEntry storage entry = _unbondings[_node][i - 1];
            if (entry.startedAt < _infractionTime) break;
            amount_ += entry.amount;
        }
    }

    /// @inheritdoc IStakeManager
    function nodeKeyDigest(address _operator) public view returns (bytes32 digest_) {
        digest_ = _hashTypedDataV4(keccak256(abi.encode(NODE_KEY_TYPEHASH, _operator)));
    }

    // ------------------------------------------------------------------ internals

    /// @dev Reverts unless the caller is the operator of `_node` (which also means the node is registered).
    function _checkOperator(address _node) internal view {
        // INVARIANT: only a node's operator moves or describes its stake.
        address operator = _nodes[_node].operator;
        if (operator == address(0)) revert StakeManager_NodeNotRegistered(_node);
        if (operator != msg.sender) revert StakeManager_NotOperator(_node, msg.sender);
    }

    /// @dev Reverts unless the caller is the dispute game (never true before it is set).
    function _checkDisputeGame() internal view {
        // INVARIANT: only the dispute game slashes and freezes.
        if (msg.sender != _disputeGame || msg.sender == address(0)) revert StakeManager_NotDisputeGame(msg.sender);
    }

    /// @dev Writes a new node record. Caller checked the key, the endpoint and that the id is free.
    function _registerNode(
        address _node,
        address _operator,
        string calldata _endpoint,
        HardwareProfile calldata _hardware
    ) internal virtual {
        Node storage node = _nodes[_node];
        node.operator = _operator;
        node.registeredAt = uint64(block.timestamp);
        node.hardware = _hardware;
        _endpoints[_node] = _endpoint;
        emit NodeRegistered(_node, _operator, _endpoint, _hardware);
    }

    /// @dev Credits stake, then pulls the tokens (checks-effects-interactions).
    function _stake(address _node, Node storage _record, uint256 _amount, uint256 _newActive) internal virtual {
        // Safe cast: the caller checked _newActive <= type(uint96).max.
        // forge-lint: disable-next-line(unsafe-typecast)
        _record.activeStake = uint96(_newActive);
        emit Staked(_node, msg.sender, _amount, _newActive);
        TOKEN.safeTransferFrom(msg.sender, address(this), _amount);
    }

    /// @dev Moves `_amount` from active stake into the newest unbonding entry (merged when it started this second).
    function _requestUnbond(address _node, Node storage _record, uint256 _amount)
        internal
        virtual
        returns (uint64 releaseAt_)
    {
        uint64 now_ = uint64(block.timestamp);
        uint32 head = _record.unbondHead;
        uint32 tail = _record.unbondTail;
        bool merge = tail > head && _unbondings[_node][tail - 1].startedAt == now_;
        // INVARIANT: the slash loop stays bounded.
        if (!merge && tail - head >= MAX_UNBONDINGS) revert StakeManager_TooManyUnbondings(_node, tail - head);
        // Safe cast: the caller checked _amount <= activeStake < 2^96.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 amount = uint96(_amount);
        // unchecked: the caller checked amount <= activeStake (no underflow) and unbondingStake + amount <= 2^96 - 1
        // (no overflow), and a merged entry is part of unbondingStake. tail grows by one per new entry and new
        // entries start in distinct seconds (same-second requests merge), so tail + 1 < 2^32 for 136 years.
        unchecked {
            _record.activeStake -= amount;
            _record.unbondingStake += amount;
            if (merge) {
                _unbondings[_node][tail - 1].amount += amount;
            } else {
                _unbondings[_node][tail] = UnbondingEntry({amount: amount, startedAt: now_});
                _record.unbondTail = tail + 1;
            }
        }
        releaseAt_ = now_ + UNBONDING_DELAY;
        emit UnbondRequested(_node, _amount, now_, releaseAt_, _record.activeStake);
    }

    /// @dev Pops every released entry from the head of the queue and pays the sum to the operator.
    function _withdraw(address _node, Node storage _record) internal virtual returns (uint256 amount_) {
        uint32 head = _record.unbondHead;
        uint32 tail = _record.unbondTail;
        mapping(uint256 => UnbondingEntry) storage queue = _unbondings[_node];
        while (head < tail) {
            UnbondingEntry storage entry = queue[head];
            uint64 startedAt = entry.startedAt;
            // INVARIANT: nothing is paid before its release time; entries are sorted, so stop at the first one.
            if (uint256(startedAt) + UNBONDING_DELAY > block.timestamp) break;
            amount_ += entry.amount;
            delete queue[head];
            // unchecked: head < tail <= type(uint32).max, so head + 1 cannot overflow.
            unchecked {
                ++head;
            }
        }
        if (amount_ == 0) {
            uint64 next = head < tail ? queue[head].startedAt + UNBONDING_DELAY : 0;
            revert StakeManager_NothingToWithdraw(_node, next);
        }
        _record.unbondHead = head;
        // unchecked: amount_ is a sum of entries whose total is unbondingStake, so it cannot exceed it (and it
        // fits 96 bits).
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            _record.unbondingStake -= uint96(amount_);
        }
        address operator = _record.operator;
        emit Withdrawn(_node, operator, amount_);
        TOKEN.safeTransfer(operator, amount_);
    }

    /// @dev Takes up to `_amount` from active stake, then from entries started at or after `_infractionTime`
    ///      (newest first); pays the reward share and burns the rest.
    function _slash(address _node, uint256 _amount, uint64 _infractionTime, address _rewardRecipient)
        internal
        virtual
        returns (uint256 slashed_)
    {
        Node storage node = _nodes[_node];
        uint256 fromActive = node.activeStake;
        if (fromActive > _amount) fromActive = _amount;
        // unchecked: fromActive <= activeStake by construction, and it fits 96 bits because activeStake does.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            node.activeStake -= uint96(fromActive);
        }
        uint256 fromUnbonding;
        if (_amount > fromActive) {
            fromUnbonding = _slashUnbondings(_node, node, _amount - fromActive, _infractionTime);
        }
        slashed_ = fromActive + fromUnbonding;
        uint256 reward = _rewardRecipient == address(0) ? 0 : slashed_ * SLASH_REWARD_BPS / _BPS;
        uint256 burned = slashed_ - reward;
        emit Slashed(_node, _rewardRecipient, _infractionTime, fromActive, fromUnbonding, reward, burned);
        if (reward != 0) TOKEN.safeTransfer(_rewardRecipient, reward);
        if (burned != 0) TOKEN.safeTransfer(BURN_ADDRESS, burned);
    }

    /// @dev Takes up to `_amount` from the unbonding entries of `_node` that started at or after
    ///      `_infractionTime`, newest first; pops entries it empties. Returns what it took.
    function _slashUnbondings(address _node, Node storage _record, uint256 _amount, uint64 _infractionTime)
        internal
        returns (uint256 taken_)
    {
        uint32 head = _record.unbondHead;
        uint32 tail = _record.unbondTail;
        mapping(uint256 => UnbondingEntry) storage queue = _unbondings[_node];
        uint256 remaining = _amount;
        // Walk from the newest entry back; entries are sorted by startedAt.
        for (uint32 i = tail; i > head && remaining != 0;) {
            // unchecked: i > head >= 0, so i - 1 cannot underflow.
            unchecked {
                --i;
            }
            UnbondingEntry storage entry = queue[i];
            // INVARIANT: stake that started unbonding before the infraction is not liable for it.
            if (entry.startedAt < _infractionTime) break;
            uint256 take = entry.amount;
            if (take > remaining) take = remaining;
            // unchecked: take <= entry.amount < 2^96 and take <= remaining; taken_ sums takes from distinct
            // entries, so it stays <= unbondingStake < 2^96.
            unchecked {
                // forge-lint: disable-next-line(unsafe-typecast)
                entry.amount -= uint96(take);
                remaining -= take;
                taken_ += take;
            }
            // Entries emptied here are the newest ones, so they sit at the tail: pop them.
            if (entry.amount == 0 && i + 1 == tail) {
                delete queue[i];
                tail = i;
            }
        }
        _record.unbondTail = tail;
        // unchecked: taken_ <= unbondingStake (see above), and it fits 96 bits.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            _record.unbondingStake -= uint96(taken_);
        }
    }
}
// forge-lint: disable-end(block-timestamp)
