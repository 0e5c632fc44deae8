// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DePinToken} from "../src/DePinToken.sol";

contract DePinToken_Init is Test {
    DePinToken internal token;
    address internal deployer = makeAddr("deployer");
    address internal alice = makeAddr("alice");

    function setUp() public virtual {
        vm.prank(deployer);
        token = new DePinToken("DePin Token", "DPIN");
        assertEq(token.minter(), deployer);
        assertEq(token.totalSupply(), 0);
        assertEq(token.decimals(), 18);
    }
}

contract DePinToken_Mint_Test is DePinToken_Init {
    event Transfer(address indexed from, address indexed to, uint256 value);

    function testFuzz_mint_byMinter_succeeds(address _to, uint256 _amount) public {
        vm.assume(_to != address(0));
        vm.expectEmit(true, true, false, true, address(token));
        emit Transfer(address(0), _to, _amount);
        vm.prank(deployer);
        token.mint(_to, _amount);
        assertEq(token.balanceOf(_to), _amount);
        assertEq(token.totalSupply(), _amount);
    }

    function testFuzz_mint_byOther_reverts(address _caller) public {
        vm.assume(_caller != deployer);
        vm.expectRevert(abi.encodeWithSelector(DePinToken.DePinToken_NotMinter.selector, _caller));
        vm.prank(_caller);
        token.mint(_caller, 1);
    }

    function test_mint_toZeroAddress_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(deployer);
        token.mint(address(0), 1);
    }

    function test_transfer_moreThanBalance_reverts() public {
        vm.prank(deployer);
        token.mint(alice, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        vm.prank(alice);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(deployer, 11);
    }
}
