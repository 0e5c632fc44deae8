// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {DeployDePin} from "../script/DeployDePin.s.sol";
import {DePinToken} from "../src/DePinToken.sol";
import {IStakeManager} from "../src/interfaces/IStakeManager.sol";
import {IJobMarket} from "../src/interfaces/IJobMarket.sol";

contract DeployDePin_Init is Test {
    DeployDePin internal script;
    address internal deployer = makeAddr("deployer");
    string internal outFile;

    function setUp() public virtual {
        script = new DeployDePin();
        outFile = string.concat(vm.projectRoot(), "/deploy/addresses/forge-test-", vm.toString(block.chainid), ".json");
    }
}

contract DeployDePin_Deploy_Test is DeployDePin_Init {
    function test_deploy_defaults_succeeds() public {
        DeployDePin.Config memory config = script.configFromEnv(deployer);
        assertEq(config.token, address(0));
        assertEq(config.treasury, deployer);
        vm.prank(deployer);
        DeployDePin.Deployment memory d = script.deploy(config);

        IStakeManager stakes = d.stakeManager;
        IJobMarket market = d.jobMarket;
        assertEq(DePinToken(d.token).minter(), address(script));
        assertEq(address(stakes.token()), d.token);
        assertEq(stakes.minStake(), 1_000e18);
        assertEq(stakes.unbondingDelay(), 14 days);
        assertEq(stakes.challengeWindow(), 1 days);
        assertEq(stakes.maxDisputeDuration(), 7 days);
        assertEq(stakes.slashRewardBps(), 5_000);
        assertEq(stakes.disputeGameSetter(), address(script));
        // The dispute game is deployed and set, once; its clocks fill the longest dispute exactly.
        assertEq(stakes.disputeGame(), address(d.disputeGame));
        assertEq(address(d.disputeGame.jobMarket()), address(market));
        assertEq(d.disputeGame.challengerBond(), 100e18);
        assertEq(d.disputeGame.slashAmount(), type(uint256).max);
        assertEq(d.disputeGame.clockExtension(), 1 hours);
        assertEq(d.disputeGame.clockDuration(), 51 hours);
        assertEq(d.disputeGame.maxDuration(), 7 days);
        assertGt(address(d.stepVerifier).code.length, 0);
        assertEq(address(market.token()), d.token);
        assertEq(address(market.modelRegistry()), address(d.modelRegistry));
        assertEq(address(market.stakeManager()), address(stakes));
        assertEq(market.treasury(), deployer);
        assertEq(market.protocolFeeBps(), 500);
        assertEq(market.challengeWindow(), 1 days);
        assertEq(market.maxJobDuration(), 1 days);
    }

    function test_deploy_existingTokenAndShortWindows_succeeds() public {
        // (The environment is process-wide and tests run in parallel, so overrides are set on the struct here.)
        IERC20 existing = new DePinToken("Existing", "EXT");
        DeployDePin.Config memory config = script.configFromEnv(deployer);
        config.token = address(existing);
        config.challengeWindow = 600;
        config.maxDisputeDuration = 3600;
        config.unbondingDelay = 7200;
        config.maxJobDuration = 2999; // 600 + 3600 + 2999 < 7200
        DeployDePin.Deployment memory d = script.deploy(config);
        assertEq(d.token, address(existing));
        assertEq(d.stakeManager.challengeWindow(), 600);
        assertEq(d.jobMarket.maxJobDuration(), 2999);
        assertLe(d.disputeGame.maxDuration(), 3600);
    }

    function test_deploy_unbondingTooShort_reverts() public {
        DeployDePin.Config memory config = script.configFromEnv(deployer);
        config.unbondingDelay = config.challengeWindow + config.maxDisputeDuration;
        vm.expectPartialRevert(IStakeManager.StakeManager_UnbondingTooShort.selector);
        script.deploy(config);
    }

    function test_writeAddresses_roundTrip_succeeds() public {
        DeployDePin.Config memory config = script.configFromEnv(deployer);
        DeployDePin.Deployment memory d = script.deploy(config);
        script.writeAddresses(d, config, deployer, outFile);
        string memory json = vm.readFile(outFile);
        vm.removeFile(outFile);
        assertEq(vm.parseJsonUint(json, ".chainId"), block.chainid);
        assertEq(vm.parseJsonAddress(json, ".deployer"), deployer);
        assertEq(vm.parseJsonAddress(json, ".token"), d.token);
        assertEq(vm.parseJsonAddress(json, ".modelRegistry"), address(d.modelRegistry));
        assertEq(vm.parseJsonAddress(json, ".stakeManager"), address(d.stakeManager));
        assertEq(vm.parseJsonAddress(json, ".jobMarket"), address(d.jobMarket));
        assertEq(vm.parseJsonAddress(json, ".disputeGame"), address(d.disputeGame));
        assertEq(vm.parseJsonAddress(json, ".stepProver"), address(d.disputeGame.stepProver()));
        assertEq(vm.parseJsonAddress(json, ".stepVerifier"), address(d.stepVerifier));
        assertEq(vm.parseJsonString(json, ".params.challengerBond"), "100000000000000000000");
        assertEq(vm.parseJsonUint(json, ".params.clockDuration"), 51 hours);
        assertEq(vm.parseJsonUint(json, ".params.clockExtension"), 1 hours);
        assertEq(vm.parseJsonAddress(json, ".treasury"), deployer);
        assertEq(vm.parseJsonUint(json, ".startBlock"), d.startBlock);
        assertEq(vm.parseJsonString(json, ".params.minStake"), "1000000000000000000000");
        assertEq(vm.parseJsonUint(json, ".params.unbondingDelay"), 14 days);
        assertEq(vm.parseJsonUint(json, ".params.challengeWindow"), 1 days);
        assertEq(vm.parseJsonUint(json, ".params.maxDisputeDuration"), 7 days);
        assertEq(vm.parseJsonUint(json, ".params.maxJobDuration"), 1 days);
        assertEq(vm.parseJsonUint(json, ".params.slashRewardBps"), 5_000);
        assertEq(vm.parseJsonUint(json, ".params.protocolFeeBps"), 500);
    }
}
