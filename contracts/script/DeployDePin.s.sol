// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Script} from "forge-std/Script.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {DePinToken} from "../src/DePinToken.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {DisputeGame} from "../src/DisputeGame.sol";
import {LayerStepVerifier} from "../src/verifier/LayerStepVerifier.sol";

/// @title DeployDePin
/// @notice Deploys the token (unless DEPIN_TOKEN names an existing ERC-20), ModelRegistry, StakeManager,
///         JobMarket, the LayerStepVerifier (for models to register with) and the DisputeGame (which creates its
///         StepProver), sets the game in the StakeManager (once, forever), then writes the addresses and parameters
///         to deploy/addresses/<chainId>.json (or to DEPIN_ADDRESSES_FILE) for the C# side.
/// @dev Usage (anvil):
///      forge script contracts/script/DeployDePin.s.sol --rpc-url http://127.0.0.1:8545 --broadcast \
///        --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcab7817f2da3b0ef2
///      Every parameter has a default and an environment override: DEPIN_MIN_STAKE (wei),
///      DEPIN_UNBONDING_DELAY, DEPIN_CHALLENGE_WINDOW, DEPIN_MAX_DISPUTE_DURATION, DEPIN_MAX_JOB_DURATION
///      (seconds), DEPIN_SLASH_REWARD_BPS, DEPIN_PROTOCOL_FEE_BPS, DEPIN_TREASURY (default: the deployer),
///      DEPIN_CHALLENGER_BOND, DEPIN_SLASH_AMOUNT (wei; the default slashes all slashable stake),
///      DEPIN_CLOCK_DURATION and DEPIN_CLOCK_EXTENSION (seconds; zero or unset: derived from the longest dispute
///      so that 2 x clock + 2 x 33 x extension fits it, see {defaultClock}).
contract DeployDePin is Script {
    /// @notice Deployment parameters.
    struct Config {
        address token; // existing ERC-20, or zero to deploy a DePinToken
        uint256 minStake;
        uint64 unbondingDelay;
        uint64 challengeWindow;
        uint64 maxDisputeDuration;
        uint16 slashRewardBps;
        address treasury;
        uint16 protocolFeeBps;
        uint64 maxJobDuration;
        uint256 challengerBond;
        uint256 slashAmount;
        uint64 clockDuration;
        uint64 clockExtension;
    }

    /// @notice What was deployed.
    struct Deployment {
        address token;
        ModelRegistry modelRegistry;
        StakeManager stakeManager;
        JobMarket jobMarket;
        LayerStepVerifier stepVerifier;
        DisputeGame disputeGame;
        uint256 startBlock; // block the script ran against; the contracts appear after it (index from here)
    }

    // Defaults: 1 000 tokens minimum stake; a day to challenge, a week for the longest dispute, a day for the
    // longest job, two weeks to unbond (1 + 7 + 1 < 14 days); half of a slash to the winner; 5 % protocol fee.
    uint256 internal constant DEFAULT_MIN_STAKE = 1_000e18;
    uint64 internal constant DEFAULT_UNBONDING_DELAY = 14 days;
    uint64 internal constant DEFAULT_CHALLENGE_WINDOW = 1 days;
    uint64 internal constant DEFAULT_MAX_DISPUTE_DURATION = 7 days;
    uint64 internal constant DEFAULT_MAX_JOB_DURATION = 1 days;
    uint16 internal constant DEFAULT_SLASH_REWARD_BPS = 5_000;
    uint16 internal constant DEFAULT_PROTOCOL_FEE_BPS = 500;
    // A challenger bonds a tenth of the minimum stake; a proven wrong node loses all its slashable stake.
    uint256 internal constant DEFAULT_CHALLENGER_BOND = 100e18;
    uint256 internal constant DEFAULT_SLASH_AMOUNT = type(uint256).max;
    // Chess clocks: the extension is 1/168 of the longest dispute (1 hour of 7 days); a bisection has at most 33
    // rounds (DisputeGame.MAX_ROUNDS), so 2 x 33 extensions and two clocks fill it.
    uint64 internal constant EXTENSION_DIVISOR = 168;
    uint64 internal constant MAX_ROUNDS = 33;

    /// @notice Deploys with the configuration from the environment and writes the addresses file.
    /// @return deployment_ Deployed contracts.
    function run() external returns (Deployment memory deployment_) {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        Config memory config = configFromEnv(deployer);
        deployment_ = deploy(config);
        vm.stopBroadcast();
        writeAddresses(deployment_, config, deployer, addressesFile());
    }

    /// @notice Reads the configuration from the environment, with the defaults above.
    /// @param _deployer Default treasury.
    /// @return config_ Configuration.
    function configFromEnv(address _deployer) public view returns (Config memory config_) {
        config_.token = vm.envOr("DEPIN_TOKEN", address(0));
        config_.minStake = vm.envOr("DEPIN_MIN_STAKE", DEFAULT_MIN_STAKE);
        config_.unbondingDelay = SafeCast.toUint64(vm.envOr("DEPIN_UNBONDING_DELAY", uint256(DEFAULT_UNBONDING_DELAY)));
        config_.challengeWindow =
            SafeCast.toUint64(vm.envOr("DEPIN_CHALLENGE_WINDOW", uint256(DEFAULT_CHALLENGE_WINDOW)));
        config_.maxDisputeDuration =
            SafeCast.toUint64(vm.envOr("DEPIN_MAX_DISPUTE_DURATION", uint256(DEFAULT_MAX_DISPUTE_DURATION)));
        config_.slashRewardBps =
            SafeCast.toUint16(vm.envOr("DEPIN_SLASH_REWARD_BPS", uint256(DEFAULT_SLASH_REWARD_BPS)));
        config_.treasury = vm.envOr("DEPIN_TREASURY", _deployer);
        config_.protocolFeeBps =
            SafeCast.toUint16(vm.envOr("DEPIN_PROTOCOL_FEE_BPS", uint256(DEFAULT_PROTOCOL_FEE_BPS)));
        config_.maxJobDuration =
            SafeCast.toUint64(vm.envOr("DEPIN_MAX_JOB_DURATION", uint256(DEFAULT_MAX_JOB_DURATION)));
        config_.challengerBond = vm.envOr("DEPIN_CHALLENGER_BOND", DEFAULT_CHALLENGER_BOND);
        config_.slashAmount = vm.envOr("DEPIN_SLASH_AMOUNT", DEFAULT_SLASH_AMOUNT);
        // Zero: derived from maxDisputeDuration when deploying ({defaultClock}).
        config_.clockDuration = SafeCast.toUint64(vm.envOr("DEPIN_CLOCK_DURATION", uint256(0)));
        config_.clockExtension = SafeCast.toUint64(vm.envOr("DEPIN_CLOCK_EXTENSION", uint256(0)));
    }

    /// @notice Chess-clock parameters that make the longest dispute fit `_maxDisputeDuration`.
    /// @param _maxDisputeDuration The StakeManager's longest dispute, seconds.
    /// @return clock_ Each side's budget: (max − 2 x 33 x extension) / 2.
    /// @return extension_ max / 168, at least 1 s.
    function defaultClock(uint64 _maxDisputeDuration) public pure returns (uint64 clock_, uint64 extension_) {
        extension_ = _maxDisputeDuration / EXTENSION_DIVISOR;
        if (extension_ == 0) extension_ = 1;
        uint64 extensions = 2 * MAX_ROUNDS * extension_;
        clock_ = _maxDisputeDuration > extensions ? (_maxDisputeDuration - extensions) / 2 : 0;
    }

    /// @notice Deploys every contract from the current sender. The constructors check the parameters.
    /// @param _config Configuration.
    /// @return deployment_ Deployed contracts.
    function deploy(Config memory _config) public returns (Deployment memory deployment_) {
        deployment_.startBlock = block.number;
        deployment_.token = _config.token == address(0) ? address(new DePinToken("DePin Token", "DPIN")) : _config.token;
        deployment_.modelRegistry = new ModelRegistry();
        deployment_.stakeManager = new StakeManager(
            IERC20(deployment_.token),
            _config.minStake,
            _config.unbondingDelay,
            _config.challengeWindow,
            _config.maxDisputeDuration,
            _config.slashRewardBps
        );
        deployment_.jobMarket = new JobMarket(
            IERC20(deployment_.token),
            deployment_.modelRegistry,
            deployment_.stakeManager,
            _config.treasury,
            _config.protocolFeeBps,
            _config.maxJobDuration
        );
        deployment_.stepVerifier = new LayerStepVerifier();
        (uint64 clock, uint64 extension) = defaultClock(_config.maxDisputeDuration);
        if (_config.clockDuration != 0) clock = _config.clockDuration;
        if (_config.clockExtension != 0) extension = _config.clockExtension;
        deployment_.disputeGame =
            new DisputeGame(deployment_.jobMarket, _config.challengerBond, _config.slashAmount, clock, extension);
        deployment_.stakeManager.setDisputeGame(address(deployment_.disputeGame));
    }

    /// @notice deploy/addresses/<chainId>.json under the project root, or DEPIN_ADDRESSES_FILE.
    /// @return path_ File path.
    function addressesFile() public view returns (string memory path_) {
        path_ = vm.envOr(
            "DEPIN_ADDRESSES_FILE",
            string.concat(vm.projectRoot(), "/deploy/addresses/", vm.toString(block.chainid), ".json")
        );
    }

    /// @notice Writes the addresses and parameters as JSON. Token amounts are decimal strings (they exceed 2^53).
    /// @param _deployment Deployed contracts.
    /// @param _config Configuration used.
    /// @param _deployer Broadcaster (token minter and dispute game setter).
    /// @param _path Output file.
    function writeAddresses(
        Deployment memory _deployment,
        Config memory _config,
        address _deployer,
        string memory _path
    ) public {
        string memory params = "params";
        vm.serializeString(params, "minStake", vm.toString(_config.minStake));
        vm.serializeUint(params, "unbondingDelay", _config.unbondingDelay);
        vm.serializeUint(params, "challengeWindow", _config.challengeWindow);
        vm.serializeUint(params, "maxDisputeDuration", _config.maxDisputeDuration);
        vm.serializeUint(params, "maxJobDuration", _config.maxJobDuration);
        vm.serializeUint(params, "slashRewardBps", _config.slashRewardBps);
        vm.serializeUint(params, "protocolFeeBps", _config.protocolFeeBps);
        vm.serializeString(params, "challengerBond", vm.toString(_config.challengerBond));
        vm.serializeString(params, "slashAmount", vm.toString(_config.slashAmount));
        vm.serializeUint(params, "clockDuration", _deployment.disputeGame.clockDuration());
        string memory paramsJson = vm.serializeUint(params, "clockExtension", _deployment.disputeGame.clockExtension());

        string memory root = "addresses";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeUint(root, "startBlock", _deployment.startBlock);
        vm.serializeAddress(root, "deployer", _deployer);
        vm.serializeAddress(root, "token", _deployment.token);
        vm.serializeAddress(root, "modelRegistry", address(_deployment.modelRegistry));
        vm.serializeAddress(root, "stakeManager", address(_deployment.stakeManager));
        vm.serializeAddress(root, "jobMarket", address(_deployment.jobMarket));
        vm.serializeAddress(root, "disputeGame", _deployment.stakeManager.disputeGame());
        vm.serializeAddress(root, "stepProver", address(_deployment.disputeGame.stepProver()));
        vm.serializeAddress(root, "stepVerifier", address(_deployment.stepVerifier));
        vm.serializeAddress(root, "treasury", _config.treasury);
        string memory json = vm.serializeString(root, "params", paramsJson);
        vm.writeJson(json, _path);
    }
}
