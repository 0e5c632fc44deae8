// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Amounts, times and counters in events are data, not lookup keys: topics are kept for node and account ids.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IStakeManager
/// @notice Node registry and stake ledger: operators register nodes, bond stake per node, unbond through a delay
///         that outlasts any dispute, and lose stake only through the dispute game.
/// @dev A node is identified by its signing address (the key that signs EIP-712 stage receipts). The operator is
///      the account that registered it, owns its stake and receives its pay. One operator may run many nodes;
///      each one carries its own stake (Sybil cost).
interface IStakeManager {
    /// @notice Compact hardware profile the scheduler ranks nodes by (one storage slot, 112 bits).
    struct HardwareProfile {
        uint32 memoryMiB; // accelerator (or host) memory available for weights and KV cache, MiB
        uint32 computeGops; // sustained int8 throughput, giga-operations per second
        uint32 bandwidthMBps; // memory bandwidth, MB/s
        uint16 regionCode; // operator-declared region (UN M.49 numeric code)
    }

    /// @notice Everything known about a node, as returned by {getNode}.
    struct NodeInfo {
        address operator; // zero when the node is not registered
        uint64 registeredAt; // block timestamp of registration
        uint256 activeStake; // bonded stake that counts for eligibility; slashable
        uint256 unbondingStake; // sum of pending unbonding entries; slashable by infraction time
        uint32 freezeCount; // open disputes involving the node; withdraw is blocked while non-zero
        uint32 pendingUnbondings; // number of pending unbonding entries
        bool eligible; // registered and activeStake >= MIN_STAKE
        HardwareProfile hardware;
        string endpoint; // worker endpoint (e.g. "https://node.example:7443")
    }

    /// @notice One pending unbonding entry, as returned by {getUnbondings}.
    struct Unbonding {
        uint256 amount; // what is left of it (slashing may have reduced it)
        uint64 startedAt; // block timestamp of {requestUnbond}; the entry is slashable for infractions at or before it
        uint64 releaseAt; // startedAt + UNBONDING_DELAY; withdrawable from this second on
    }

    /// @notice A node was registered by `operator`.
    event NodeRegistered(address indexed node, address indexed operator, string endpoint, HardwareProfile hardware);
    /// @notice A node's endpoint or hardware profile changed.
    event NodeUpdated(address indexed node, string endpoint, HardwareProfile hardware);
    /// @notice `amount` was bonded to `node`; `activeStake` is the node's new active stake.
    event Staked(address indexed node, address indexed operator, uint256 amount, uint256 activeStake);
    /// @notice `amount` left the active stake of `node` and started unbonding.
    event UnbondRequested(
        address indexed node, uint256 amount, uint64 startedAt, uint64 releaseAt, uint256 activeStake
    );
    /// @notice Released unbonding entries of `node` were paid out to its operator.
    event Withdrawn(address indexed node, address indexed operator, uint256 amount);
    /// @notice The dispute game slashed `node` for an infraction at `infractionTime`.
    event Slashed(
        address indexed node,
        address indexed rewardRecipient,
        uint64 infractionTime,
        uint256 fromActive,
        uint256 fromUnbonding,
        uint256 reward,
        uint256 burned
    );
    /// @notice The dispute game opened a dispute involving `node`; `freezeCount` open disputes now block withdraw.
    event NodeFrozen(address indexed node, uint32 freezeCount);
    /// @notice The dispute game closed a dispute involving `node`; `freezeCount` remain open.
    event NodeUnfrozen(address indexed node, uint32 freezeCount);
    /// @notice The dispute game was set; it can never change again.
    event DisputeGameSet(address indexed disputeGame);

    /// @notice A constructor or setup argument is the zero address.
    error StakeManager_ZeroAddress();
    /// @notice The minimum stake is zero or does not fit the 96-bit stake fields.
    error StakeManager_InvalidMinimumStake(uint256 minStake);
    /// @notice The challenge window is zero.
    error StakeManager_ZeroChallengeWindow();
    /// @notice The unbonding delay is not strictly longer than the challenge window plus the longest dispute.
    error StakeManager_UnbondingTooShort(uint64 unbondingDelay, uint256 mustExceed);
    /// @notice The unbonding delay exceeds 2^32 seconds (136 years).
    error StakeManager_UnbondingTooLong(uint64 unbondingDelay, uint64 max);
    /// @notice The winner's share of a slash would leave nothing to burn.
    error StakeManager_RewardShareTooHigh(uint16 rewardBps, uint16 maxBps);
    /// @notice Only the deployer may set the dispute game.
    error StakeManager_NotDisputeGameSetter(address caller);
    /// @notice The dispute game is already set and is final.
    error StakeManager_DisputeGameAlreadySet(address disputeGame);
    /// @notice The dispute game must be a contract.
    error StakeManager_NotAContract(address account);
    /// @notice Only the dispute game may call this.
    error StakeManager_NotDisputeGame(address caller);
    /// @notice The node address is already registered.
    error StakeManager_NodeAlreadyRegistered(address node, address operator);
    /// @notice The node address is not registered.
    error StakeManager_NodeNotRegistered(address node);
    /// @notice The node key's authorization of the operator does not recover to the node address.
    error StakeManager_InvalidNodeSignature(address node, address recovered);
    /// @notice The endpoint string is empty.
    error StakeManager_EmptyEndpoint();
    /// @notice Only the node's operator may call this.
    error StakeManager_NotOperator(address node, address caller);
    /// @notice An amount of zero was given.
    error StakeManager_ZeroAmount();
    /// @notice The resulting stake would not fit the 96-bit stake fields.
    error StakeManager_AmountTooLarge(uint256 amount, uint256 max);
    /// @notice The node has less active stake than requested.
    error StakeManager_InsufficientActiveStake(uint256 have, uint256 need);
    /// @notice The node already has the maximum number of pending unbonding entries.
    error StakeManager_TooManyUnbondings(address node, uint256 pending);
    /// @notice The node is involved in open disputes and cannot withdraw.
    error StakeManager_NodeFrozen(address node, uint32 freezeCount);
    /// @notice The node has no open dispute to close.
    error StakeManager_NodeNotFrozen(address node);
    /// @notice No unbonding entry is released yet; `nextReleaseAt` is zero when none is pending.
    error StakeManager_NothingToWithdraw(address node, uint64 nextReleaseAt);
    /// @notice The infraction time lies in the future.
    error StakeManager_InfractionInFuture(uint64 infractionTime, uint64 now_);

    /// @notice Sets the dispute game, once. Only the deployer may call it, and only while it is unset.
    /// @dev Emits {DisputeGameSet}. Reverts with {StakeManager_NotDisputeGameSetter},
    ///      {StakeManager_DisputeGameAlreadySet} or {StakeManager_NotAContract}. Until it is set nobody can slash or
    ///      freeze; once set, neither the deployer nor anyone else can change it.
    /// @param _disputeGame The dispute game contract.
    function setDisputeGame(address _disputeGame) external;

    /// @notice Registers node `_node` with the caller as its operator.
    /// @dev Emits {NodeRegistered}. When `_node` differs from the caller, `_nodeSignature` must be the node key's
    ///      EIP-712 signature of `NodeKey(address operator)` (domain "DePinLedger", version "1", this chain, this
    ///      contract), so nobody can claim a key they do not hold. Reverts with {StakeManager_ZeroAddress},
    ///      {StakeManager_NodeAlreadyRegistered}, {StakeManager_EmptyEndpoint} or {StakeManager_InvalidNodeSignature}.
    /// @param _node The node's signing address (its id).
    /// @param _endpoint Worker endpoint.
    /// @param _hardware Hardware profile.
    /// @param _nodeSignature 65-byte signature by `_node`, ignored when `_node` is the caller.
    function registerNode(
        address _node,
        string calldata _endpoint,
        HardwareProfile calldata _hardware,
        bytes calldata _nodeSignature
    ) external;

    /// @notice Replaces a node's endpoint and hardware profile. Operator only.
    /// @dev Emits {NodeUpdated}. Reverts with {StakeManager_NotOperator} or {StakeManager_EmptyEndpoint}.
    /// @param _node Node id.
    /// @param _endpoint New endpoint.
    /// @param _hardware New hardware profile.
    function updateNode(address _node, string calldata _endpoint, HardwareProfile calldata _hardware) external;

    /// @notice Bonds `_amount` tokens from the caller to `_node`. Operator only; needs an allowance.
    /// @dev Emits {Staked}. Reverts with {StakeManager_NotOperator}, {StakeManager_ZeroAmount} or
    ///      {StakeManager_AmountTooLarge}.
    /// @param _node Node id.
    /// @param _amount Token amount.
    function stake(address _node, uint256 _amount) external;

    /// @notice Moves `_amount` of the node's active stake into a new unbonding entry released after
    ///         UNBONDING_DELAY. The entry stays slashable for infractions at or before its start. Operator only.
    /// @dev Emits {UnbondRequested}. Two requests in the same second share one entry. Reverts with
    ///      {StakeManager_NotOperator}, {StakeManager_ZeroAmount}, {StakeManager_InsufficientActiveStake},
    ///      {StakeManager_AmountTooLarge} or {StakeManager_TooManyUnbondings}.
    /// @param _node Node id.
    /// @param _amount Token amount.
    /// @return releaseAt_ First second at which the entry can be withdrawn.
    function requestUnbond(address _node, uint256 _amount) external returns (uint64 releaseAt_);

    /// @notice Pays every released unbonding entry of `_node` to its operator. Operator only; blocked while the
    ///         node is frozen by an open dispute.
    /// @dev Emits {Withdrawn}. Reverts with {StakeManager_NotOperator}, {StakeManager_NodeFrozen} or
    ///      {StakeManager_NothingToWithdraw}.
    /// @param _node Node id.
    /// @return amount_ Tokens paid out.
    function withdraw(address _node) external returns (uint256 amount_);

    /// @notice Slashes up to `_amount` from `_node` for an infraction at `_infractionTime`: first from active
    ///         stake, then from unbonding entries started at or after `_infractionTime`, newest first. Pays
    ///         SLASH_REWARD_BPS of the slashed amount to `_rewardRecipient` and burns the rest (sends it to
    ///         BURN_ADDRESS). Dispute game only.
    /// @dev Emits {Slashed}. Reverts with {StakeManager_NotDisputeGame}, {StakeManager_NodeNotRegistered} or
    ///      {StakeManager_InfractionInFuture}. Slashing less than asked (even zero) is not an error.
    /// @param _node Node id.
    /// @param _amount Most to slash; `type(uint256).max` slashes everything slashable.
    /// @param _infractionTime Earliest moment the slashed work can have been done (JobMarket: the job's createdAt).
    /// @param _rewardRecipient Receives the reward share; zero burns everything.
    /// @return slashed_ Amount actually taken.
    function slash(address _node, uint256 _amount, uint64 _infractionTime, address _rewardRecipient)
        external
        returns (uint256 slashed_);

    /// @notice Records an open dispute involving `_node`; the node cannot withdraw while any is open.
    ///         Dispute game only.
    /// @dev Emits {NodeFrozen}. Reverts with {StakeManager_NotDisputeGame} or {StakeManager_NodeNotRegistered}.
    /// @param _node Node id.
    function freezeNode(address _node) external;

    /// @notice Records that a dispute involving `_node` closed. Dispute game only.
    /// @dev Emits {NodeUnfrozen}. Reverts with {StakeManager_NotDisputeGame} or {StakeManager_NodeNotFrozen}.
    /// @param _node Node id.
    function unfreezeNode(address _node) external;

    /// @notice The staking token.
    /// @return token_ ERC-20 address.
    function token() external view returns (IERC20 token_);

    /// @notice Active stake a node needs to be eligible for jobs.
    /// @return minStake_ Token amount.
    function minStake() external view returns (uint256 minStake_);

    /// @notice Seconds between {requestUnbond} and the release of the entry.
    /// @return unbondingDelay_ Seconds; strictly greater than CHALLENGE_WINDOW + MAX_DISPUTE_DURATION.
    function unbondingDelay() external view returns (uint64 unbondingDelay_);

    /// @notice Seconds after a result submission during which a dispute can be opened (used by JobMarket).
    /// @return challengeWindow_ Seconds.
    function challengeWindow() external view returns (uint64 challengeWindow_);

    /// @notice Longest time a dispute can take from opening to resolution (the dispute game must honour it).
    /// @return maxDisputeDuration_ Seconds.
    function maxDisputeDuration() external view returns (uint64 maxDisputeDuration_);

    /// @notice Share of a slash paid to the reward recipient, in basis points; the rest is burned.
    /// @return rewardBps_ Basis points, below 10 000.
    function slashRewardBps() external view returns (uint16 rewardBps_);

    /// @notice The deployer, the only account that can set the dispute game (once).
    /// @return setter_ Address.
    function disputeGameSetter() external view returns (address setter_);

    /// @notice The dispute game, or zero before it is set.
    /// @return disputeGame_ Address.
    function disputeGame() external view returns (address disputeGame_);

    /// @notice Full record of a node (all zero for an unknown node).
    /// @param _node Node id.
    /// @return info_ Node record.
    function getNode(address _node) external view returns (NodeInfo memory info_);

    /// @notice Operator of a node, or zero when not registered.
    /// @param _node Node id.
    /// @return operator_ Operator address.
    function operatorOf(address _node) external view returns (address operator_);

    /// @notice Operator and eligibility in one storage read (what JobMarket checks per stage).
    /// @param _node Node id.
    /// @return operator_ Operator address, zero when not registered.
    /// @return eligible_ Registered and active stake at least MIN_STAKE.
    function eligibility(address _node) external view returns (address operator_, bool eligible_);

    /// @notice Whether a node may be scheduled: registered and active stake at least MIN_STAKE.
    /// @param _node Node id.
    /// @return eligible_ Eligibility.
    function isEligible(address _node) external view returns (bool eligible_);

    /// @notice Active (bonded) stake of a node.
    /// @param _node Node id.
    /// @return amount_ Tokens.
    function activeStake(address _node) external view returns (uint256 amount_);

    /// @notice Sum of a node's pending unbonding entries.
    /// @param _node Node id.
    /// @return amount_ Tokens.
    function unbondingStake(address _node) external view returns (uint256 amount_);

    /// @notice Number of open disputes involving a node.
    /// @param _node Node id.
    /// @return freezeCount_ Count.
    function freezeCountOf(address _node) external view returns (uint32 freezeCount_);

    /// @notice Pending unbonding entries of a node, oldest first.
    /// @param _node Node id.
    /// @return unbondings_ Entries.
    function getUnbondings(address _node) external view returns (Unbonding[] memory unbondings_);

    /// @notice Tokens {withdraw} would pay now, ignoring the freeze.
    /// @param _node Node id.
    /// @return amount_ Released tokens.
    function withdrawable(address _node) external view returns (uint256 amount_);

    /// @notice Tokens {slash} could take for an infraction at `_infractionTime`.
    /// @param _node Node id.
    /// @param _infractionTime Infraction time.
    /// @return amount_ Active stake plus unbonding entries started at or after `_infractionTime`.
    function slashableStake(address _node, uint64 _infractionTime) external view returns (uint256 amount_);

    /// @notice EIP-712 digest the node key signs to authorize `_operator` (for {registerNode}).
    /// @param _operator Operator address.
    /// @return digest_ Typed-data hash of `NodeKey(address operator)`.
    function nodeKeyDigest(address _operator) external view returns (bytes32 digest_);
}
