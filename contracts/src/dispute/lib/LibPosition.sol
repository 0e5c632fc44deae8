// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Position} from "./Types.sol";

/// @title LibPosition
/// @notice Packs (position, slot) into a {Position} and maps it to leaf indices (SPEC.md §9).
/// @dev A model with L layers has L + 2 slots per position: 0 (embedding), 1..L (block slot − 1), L + 1 (head).
///      The whole trace puts leaf (t, slot) at index t·(L+2) + slot. A pipeline stage running blocks [a, b)
///      (firstLayer a, lastLayer b − 1) owns slots a+1..b, plus slot 0 when a = 0 and slot L+1 when b = L; its
///      trace has n = (b − a) + [a = 0] + [b = L] leaves per position and leaf (t, slot) at index t·n + rank, where
///      rank = slot − a − 1 + [a = 0] is the slot's rank among the stage's slots.
library LibPosition {
    /// @notice Packs a position and a slot.
    /// @param _position Token position t.
    /// @param _slot Slot within the position.
    /// @return position_ The packed value (see the bit layout of {Position}).
    function wrap(uint32 _position, uint16 _slot) internal pure returns (Position position_) {
        position_ = Position.wrap((uint64(_position) << 16) | _slot);
    }

    /// @notice The token position of a packed position.
    /// @param _p Packed position.
    /// @return position_ Token position t.
    function position(Position _p) internal pure returns (uint32 position_) {
        position_ = uint32(Position.unwrap(_p) >> 16);
    }

    /// @notice The slot of a packed position.
    /// @param _p Packed position.
    /// @return slot_ Slot.
    function slot(Position _p) internal pure returns (uint16 slot_) {
        // Safe cast: the mask keeps 16 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        slot_ = uint16(Position.unwrap(_p) & type(uint16).max);
    }

    /// @notice Index of (t, slot) in the trace of a whole pipeline (one stage running every layer).
    /// @param _p Packed position.
    /// @param _layers Layer count L.
    /// @return index_ t·(L+2) + slot.
    function traceIndex(Position _p, uint16 _layers) internal pure returns (uint256 index_) {
        index_ = uint256(position(_p)) * (uint256(_layers) + 2) + slot(_p);
    }

    /// @notice The transformer layer whose stage owns a slot: the embedding belongs to the stage of layer 0, the
    ///         head to the stage of layer L − 1, block slot l to layer l − 1.
    /// @param _slot Slot, at most L + 1.
    /// @param _layers Layer count L (at least 1).
    /// @return layer_ Layer.
    function layerOf(uint16 _slot, uint16 _layers) internal pure returns (uint16 layer_) {
        if (_slot == 0) return 0;
        if (_slot > _layers) return _layers - 1;
        layer_ = _slot - 1;
    }

    /// @notice Leaves per position in the trace of a stage running layers [_firstLayer, _lastLayer].
    /// @param _firstLayer First layer of the stage.
    /// @param _lastLayer Last layer of the stage (inclusive, below L).
    /// @param _layers Layer count L.
    /// @return width_ (last − first + 1) + [first = 0] + [last = L − 1].
    function stageWidth(uint16 _firstLayer, uint16 _lastLayer, uint16 _layers) internal pure returns (uint256 width_) {
        width_ = uint256(_lastLayer) - _firstLayer + 1;
        if (_firstLayer == 0) ++width_;
        if (uint256(_lastLayer) + 1 == _layers) ++width_;
    }

    /// @notice First slot a stage owns.
    /// @param _firstLayer First layer of the stage.
    /// @return slot_ 0 for the first stage, else firstLayer + 1.
    function firstSlot(uint16 _firstLayer) internal pure returns (uint16 slot_) {
        slot_ = _firstLayer == 0 ? 0 : _firstLayer + 1;
    }

    /// @notice Index of leaf (t, slot) in the trace of the stage that owns the slot.
    /// @param _p Packed position; its slot must belong to the stage.
    /// @param _firstLayer First layer of the stage.
    /// @param _width Leaves per position of the stage ({stageWidth}).
    /// @return index_ t·n + rank, rank = slot − first − 1 + [first = 0].
    function stageIndex(Position _p, uint16 _firstLayer, uint256 _width) internal pure returns (uint256 index_) {
        uint256 rank = uint256(slot(_p)) + (_firstLayer == 0 ? 1 : 0) - _firstLayer - 1;
        index_ = uint256(position(_p)) * _width + rank;
    }
}
