// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DePinToken
/// @notice The staking and payment token for local networks. Production deployments point the
///         other contracts at an existing ERC-20 instead; nothing else depends on this contract.
/// @dev Only the deployer may mint. There is no owner transfer and no pause: a test token needs neither.
contract DePinToken is ERC20, ERC20Permit {
    /// @notice Thrown when an account other than the minter tries to mint.
    error DePinToken_NotMinter(address caller);

    address private immutable MINTER;

    /// @param _name ERC-20 name.
    /// @param _symbol ERC-20 symbol.
    constructor(string memory _name, string memory _symbol) ERC20(_name, _symbol) ERC20Permit(_name) {
        MINTER = msg.sender;
    }

    /// @notice The only account allowed to mint.
    function minter() external view returns (address minter_) {
        minter_ = MINTER;
    }

    /// @notice Mints `_amount` tokens to `_to`. Emits ERC-20 `Transfer` from the zero address.
    /// @param _to Recipient.
    /// @param _amount Amount in the token's smallest unit.
    function mint(address _to, uint256 _amount) external {
        // INVARIANT: only the deployer can create supply.
        if (msg.sender != MINTER) revert DePinToken_NotMinter(msg.sender);
        _mint(_to, _amount);
    }
}
