// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {IJobMarket} from "../../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../../src/dispute/interfaces/IDisputeGame.sol";
import {IStepProver} from "../../../src/dispute/interfaces/IStepProver.sol";
import {IStepVerifier} from "../../../src/verifier/IStepVerifier.sol";
import {LibPosition} from "../../../src/dispute/lib/LibPosition.sol";
import {Claim, StepClaims} from "../../../src/dispute/lib/Types.sol";

/// @notice Builds whole inference traces under the AlphabetVerifier's rules (honest, or with one faulty step from
///         which the run continues honestly), splits them into pipeline stages with Merkle trees, and produces
///         every opening, reveal and verifier input the dispute game asks for.
library TraceLib {
    /// @notice What a run computes.
    struct Params {
        uint32[] prompt; // leading BOS included
        bytes32 seed;
        uint256 vocab;
        uint256 stopPosition; // the AlphabetVerifier's EOS position
        uint32 generated; // sampled tokens G: positions 0..P+G−2
        uint16 layers;
        uint16 temperature; // thousandths
        uint16 topP; // thousandths
    }

    enum FaultKind {
        None,
        Hidden, // the step's output hidden vector is off by one bit
        KvRoot, // the step's running key/value root is off by one bit
        Token // the step's token is off by one
    }

    /// @notice One wrong step; later steps are computed honestly from it.
    struct Fault {
        FaultKind kind;
        uint32 position;
        uint16 slot;
    }

    struct Stage {
        uint16 firstLayer;
        uint16 lastLayer;
        uint256 width;
        bytes32[][] levels; // levels[0] = leaves padded to a power of two; last = [root]
    }

    struct Trace {
        uint16 layers;
        uint32 positions;
        bytes32[] a; // by t·(L+2) + slot
        bytes32[] b;
        bytes32[] h; // hidden word of slots 0..L (the vector's bytes are abi.encode(h))
        Stage[] stages;
    }

    // ------------------------------------------------------------------ building

    function build(Params memory _p, Fault memory _f, uint16[] memory _spans) internal pure returns (Trace memory tr_) {
        uint256 slots = uint256(_p.layers) + 2;
        uint256 n = _p.prompt.length + _p.generated - 1;
        tr_.layers = _p.layers;
        tr_.positions = uint32(n);
        tr_.a = new bytes32[](n * slots);
        tr_.b = new bytes32[](n * slots);
        tr_.h = new bytes32[](n * slots);
        for (uint256 t; t < n; ++t) {
            _embed(tr_, _p, _f, t);
            for (uint256 s = 1; s <= _p.layers; ++s) {
                _block(tr_, _f, t, s);
            }
            _head(tr_, _p, _f, t);
        }
        _split(tr_, _spans);
    }

    /// @notice A trace with given leaf fields (index t·(L+2) + slot), e.g. around a conformance vector's step.
    function fromFields(
        uint16 _layers,
        uint32 _positions,
        bytes32[] memory _a,
        bytes32[] memory _b,
        uint16[] memory _spans
    ) internal pure returns (Trace memory tr_) {
        tr_.layers = _layers;
        tr_.positions = _positions;
        tr_.a = _a;
        tr_.b = _b;
        tr_.h = new bytes32[](_a.length);
        _split(tr_, _spans);
    }

    /// @notice Keeps only the first `_positions` positions (a trace that stopped there), re-splitting the stages.
    function truncate(Trace memory _tr, uint32 _positions, uint16[] memory _spans)
        internal
        pure
        returns (Trace memory tr_)
    {
        uint256 slots = uint256(_tr.layers) + 2;
        uint256 count = uint256(_positions) * slots;
        tr_.layers = _tr.layers;
        tr_.positions = _positions;
        tr_.a = new bytes32[](count);
        tr_.b = new bytes32[](count);
        tr_.h = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            tr_.a[i] = _tr.a[i];
            tr_.b[i] = _tr.b[i];
            tr_.h[i] = _tr.h[i];
        }
        _split(tr_, _spans);
    }

    function headToken(Params memory _p, bytes32 _hiddenIn, uint256 _t) internal pure returns (uint256 token_) {
        if (_t == _p.stopPosition) return 2;
        token_ = uint256(keccak256(abi.encode(_hiddenIn, _p.seed, _p.temperature, _p.topP, uint32(_t)))) % _p.vocab;
    }

    function _faulty(Fault memory _f, uint256 _t, uint256 _s, FaultKind _kind) private pure returns (bool) {
        return _f.kind == _kind && _f.position == _t && _f.slot == _s;
    }

    function _embed(Trace memory _tr, Params memory _p, Fault memory _f, uint256 _t) private pure {
        uint256 slots = uint256(_p.layers) + 2;
        uint256 token = _t == 0 ? _p.prompt[0] : uint256(_tr.b[(_t - 1) * slots + _p.layers + 1]);
        bytes32 h = keccak256(abi.encode("embed", uint32(token), uint32(_t)));
        if (_faulty(_f, _t, 0, FaultKind.Hidden)) h ^= bytes32(uint256(1));
        if (_faulty(_f, _t, 0, FaultKind.Token)) token += 1;
        uint256 i = _t * slots;
        _tr.h[i] = h;
        _tr.a[i] = keccak256(abi.encode(h));
        _tr.b[i] = bytes32(token);
    }

    function _block(Trace memory _tr, Fault memory _f, uint256 _t, uint256 _s) private pure {
        uint256 slots = uint256(_tr.layers) + 2;
        uint256 i = _t * slots + _s;
        bytes32 hin = _tr.a[i - 1];
        bytes32 kvPrev = _t == 0 ? bytes32(0) : _tr.b[i - slots];
        bytes32 h = keccak256(abi.encode(hin, uint32(_t), uint16(_s)));
        bytes32 kv = keccak256(abi.encode(kvPrev, hin));
        if (_faulty(_f, _t, _s, FaultKind.Hidden)) h ^= bytes32(uint256(1));
        if (_faulty(_f, _t, _s, FaultKind.KvRoot)) kv ^= bytes32(uint256(1));
        _tr.h[i] = h;
        _tr.a[i] = keccak256(abi.encode(h));
        _tr.b[i] = kv;
    }

    function _head(Trace memory _tr, Params memory _p, Fault memory _f, uint256 _t) private pure {
        uint256 slots = uint256(_p.layers) + 2;
        uint256 i = _t * slots + _p.layers + 1;
        uint256 token = _t + 1 < _p.prompt.length ? _p.prompt[_t + 1] : headToken(_p, _tr.a[i - 1], _t);
        if (_faulty(_f, _t, _p.layers + 1, FaultKind.Token)) token = (token + 1) % _p.vocab;
        _tr.a[i] = bytes32(0);
        _tr.b[i] = bytes32(token);
    }

    function _split(Trace memory _tr, uint16[] memory _spans) private pure {
        _tr.stages = new Stage[](_spans.length);
        uint16 first;
        for (uint256 k; k < _spans.length; ++k) {
            Stage memory st = _tr.stages[k];
            st.firstLayer = first;
            st.lastLayer = first + _spans[k] - 1;
            st.width = LibPosition.stageWidth(st.firstLayer, st.lastLayer, _tr.layers);
            st.levels = _tree(_stageLeaves(_tr, st));
            first += _spans[k];
        }
    }

    function _stageLeaves(Trace memory _tr, Stage memory _st) private pure returns (bytes32[] memory leaves_) {
        uint256 slots = uint256(_tr.layers) + 2;
        uint16 firstSlot = LibPosition.firstSlot(_st.firstLayer);
        leaves_ = new bytes32[](_tr.positions * _st.width);
        for (uint256 t; t < _tr.positions; ++t) {
            for (uint256 r; r < _st.width; ++r) {
                uint256 s = firstSlot + r;
                leaves_[t * _st.width + r] = leaf(t, s, _tr.a[t * slots + s], _tr.b[t * slots + s]);
            }
        }
    }

    function _tree(bytes32[] memory _leaves) private pure returns (bytes32[][] memory levels_) {
        uint256 width = 1;
        uint256 depth;
        while (width < _leaves.length) {
            width <<= 1;
            ++depth;
        }
        levels_ = new bytes32[][](depth + 1);
        levels_[0] = new bytes32[](width);
        for (uint256 i; i < _leaves.length; ++i) {
            levels_[0][i] = _leaves[i];
        }
        for (uint256 d = 1; d <= depth; ++d) {
            bytes32[] memory below = levels_[d - 1];
            bytes32[] memory level = new bytes32[](below.length / 2);
            for (uint256 i; i < level.length; ++i) {
                level[i] = keccak256(abi.encodePacked(below[2 * i], below[2 * i + 1]));
            }
            levels_[d] = level;
        }
    }

    // ------------------------------------------------------------------ reading

    function leaf(uint256 _t, uint256 _s, bytes32 _a, bytes32 _b) internal pure returns (bytes32 leaf_) {
        leaf_ = keccak256(abi.encodePacked(uint32(_t), uint16(_s), _a, _b));
    }

    function slotCount(Trace memory _tr) internal pure returns (uint256 count_) {
        count_ = uint256(_tr.layers) + 2;
    }

    function fieldA(Trace memory _tr, uint256 _t, uint256 _s) internal pure returns (bytes32 a_) {
        a_ = _tr.a[_t * slotCount(_tr) + _s];
    }

    function fieldB(Trace memory _tr, uint256 _t, uint256 _s) internal pure returns (bytes32 b_) {
        b_ = _tr.b[_t * slotCount(_tr) + _s];
    }

    function leafAt(Trace memory _tr, uint256 _t, uint256 _s) internal pure returns (bytes32 leaf_) {
        leaf_ = leaf(_t, _s, fieldA(_tr, _t, _s), fieldB(_tr, _t, _s));
    }

    /// @notice The hidden vector's bytes that hash to a(t, s).
    function hidden(Trace memory _tr, uint256 _t, uint256 _s) internal pure returns (bytes memory hidden_) {
        hidden_ = abi.encode(_tr.h[_t * slotCount(_tr) + _s]);
    }

    function root(Trace memory _tr, uint256 _k) internal pure returns (bytes32 root_) {
        bytes32[][] memory levels = _tr.stages[_k].levels;
        root_ = levels[levels.length - 1][0];
    }

    function stageOf(Trace memory _tr, uint256 _s) internal pure returns (uint256 k_) {
        uint16 layer = LibPosition.layerOf(uint16(_s), _tr.layers);
        while (_tr.stages[k_].lastLayer < layer) ++k_;
    }

    function indexOf(Trace memory _tr, uint256 _k, uint256 _t, uint256 _s) internal pure returns (uint256 index_) {
        Stage memory st = _tr.stages[_k];
        index_ = LibPosition.stageIndex(LibPosition.wrap(uint32(_t), uint16(_s)), st.firstLayer, st.width);
    }

    function proof(Trace memory _tr, uint256 _k, uint256 _index) internal pure returns (bytes32[] memory proof_) {
        bytes32[][] memory levels = _tr.stages[_k].levels;
        proof_ = new bytes32[](levels.length - 1);
        for (uint256 d; d + 1 < levels.length; ++d) {
            proof_[d] = levels[d][_index ^ 1];
            _index >>= 1;
        }
    }

    function opening(Trace memory _tr, uint256 _t, uint256 _s)
        internal
        pure
        returns (IStepProver.LeafOpening memory o_)
    {
        uint256 k = stageOf(_tr, _s);
        o_.a = fieldA(_tr, _t, _s);
        o_.b = fieldB(_tr, _t, _s);
        o_.proof = proof(_tr, k, indexOf(_tr, k, _t, _s));
    }

    /// @notice The stage records of a replica run by `_nodes` (inputRoot of stage k = outputRoot of stage k − 1).
    function records(Trace memory _tr, address[] memory _nodes)
        internal
        pure
        returns (IJobMarket.StageRecord[] memory records_)
    {
        records_ = new IJobMarket.StageRecord[](_tr.stages.length);
        for (uint256 k; k < records_.length; ++k) {
            records_[k] = IJobMarket.StageRecord({
                node: _nodes[k],
                firstLayer: _tr.stages[k].firstLayer,
                lastLayer: _tr.stages[k].lastLayer,
                inputRoot: keccak256(abi.encode("io", k)),
                traceRoot: root(_tr, k),
                outputRoot: keccak256(abi.encode("io", k + 1))
            });
        }
    }

    /// @notice An own commitment's layout (no nodes, no input/output roots).
    function ownRecords(Trace memory _tr) internal pure returns (IJobMarket.StageRecord[] memory records_) {
        records_ = new IJobMarket.StageRecord[](_tr.stages.length);
        for (uint256 k; k < records_.length; ++k) {
            records_[k].firstLayer = _tr.stages[k].firstLayer;
            records_[k].lastLayer = _tr.stages[k].lastLayer;
            records_[k].traceRoot = root(_tr, k);
        }
    }

    // ------------------------------------------------------------------ moves

    function fields(Trace memory _tr, uint256 _t) internal pure returns (bytes32[] memory fields_) {
        uint256 n = slotCount(_tr);
        fields_ = new bytes32[](2 * n);
        for (uint256 s; s < n; ++s) {
            fields_[2 * s] = fieldA(_tr, _t, s);
            fields_[2 * s + 1] = fieldB(_tr, _t, s);
        }
    }

    function positionReveal(Trace memory _tr, uint256 _t, IJobMarket.StageRecord[] memory _records)
        internal
        pure
        returns (IDisputeGame.PositionReveal memory r_)
    {
        uint256 n = slotCount(_tr);
        r_.position = uint32(_t);
        r_.stages = _records;
        r_.fields = fields(_tr, _t);
        r_.proofs = new bytes32[][](n);
        for (uint256 s; s < n; ++s) {
            uint256 k = stageOf(_tr, s);
            r_.proofs[s] = proof(_tr, k, indexOf(_tr, k, _t, s));
        }
    }

    /// @notice Stage `_k`'s part at position `_t`: its leaves, or (past the trace's end) a proof of absence.
    function part(Trace memory _tr, uint256 _t, uint256 _k) internal pure returns (IDisputeGame.PartReveal memory p_) {
        Stage memory st = _tr.stages[_k];
        uint16 first = LibPosition.firstSlot(st.firstLayer);
        p_.stage = uint8(_k);
        if (_t >= _tr.positions) return absentPart(_tr, _t, _k);
        p_.fields = new bytes32[](2 * st.width);
        p_.proofs = new bytes32[][](st.width);
        for (uint256 r; r < st.width; ++r) {
            uint256 s = first + r;
            p_.fields[2 * r] = fieldA(_tr, _t, s);
            p_.fields[2 * r + 1] = fieldB(_tr, _t, s);
            p_.proofs[r] = proof(_tr, _k, indexOf(_tr, _k, _t, s));
        }
    }

    function absentPart(Trace memory _tr, uint256 _t, uint256 _k)
        internal
        pure
        returns (IDisputeGame.PartReveal memory p_)
    {
        Stage memory st = _tr.stages[_k];
        uint16 first = LibPosition.firstSlot(st.firstLayer);
        p_.stage = uint8(_k);
        p_.absent = true;
        p_.proofs = new bytes32[][](1);
        uint256 index = _t * st.width;
        uint256 size = st.levels[0].length;
        if (index < size) {
            p_.proofs[0] = proof(_tr, _k, index);
        } else {
            p_.fields = new bytes32[](2);
            p_.fields[0] = fieldA(_tr, 0, first);
            p_.fields[1] = fieldB(_tr, 0, first);
            p_.proofs[0] = proof(_tr, _k, 0);
        }
    }

    function parts(Trace memory _tr, uint256 _t) internal pure returns (IDisputeGame.PartReveal[] memory p_) {
        p_ = new IDisputeGame.PartReveal[](_tr.stages.length);
        for (uint256 k; k < p_.length; ++k) {
            p_[k] = part(_tr, _t, k);
        }
    }

    // ------------------------------------------------------------------ the step

    /// @notice The claims of step (t, s) between a defender and a challenger trace (inputs from the challenger's).
    function claims(Trace memory _def, Trace memory _ch, uint256 _t, uint256 _s)
        internal
        pure
        returns (StepClaims memory c_)
    {
        if (_s != 0) c_.hiddenIn = fieldA(_ch, _t, _s - 1);
        if (_t != 0 && _s <= _ch.layers) c_.carryIn = fieldB(_ch, _t - 1, _s == 0 ? _ch.layers + 1 : _s);
        c_.defenderLeaf = Claim.wrap(_t < _def.positions ? leafAt(_def, _t, _s) : bytes32(0));
        c_.challengerLeaf = Claim.wrap(leafAt(_ch, _t, _s));
    }

    function narrowing(
        Trace memory _def,
        IJobMarket.StageRecord[] memory _defRecords,
        Trace memory _ch,
        IJobMarket.StageRecord[] memory _chRecords,
        uint256 _t,
        uint256 _s
    ) internal pure returns (IStepProver.Narrowing memory n_) {
        n_.position = uint32(_t);
        n_.slot = uint16(_s);
        n_.defenderStages = _defRecords;
        n_.challengerStages = _chRecords;
        n_.defender = _sideOpenings(_def, _t, _s);
        n_.challenger = _sideOpenings(_ch, _t, _s);
    }

    function _sideOpenings(Trace memory _tr, uint256 _t, uint256 _s)
        private
        pure
        returns (IStepProver.SideOpenings memory o_)
    {
        o_.claim = opening(_tr, _t, _s);
        if (_s != 0) o_.hiddenIn = opening(_tr, _t, _s - 1);
        if (_t != 0 && _s <= _tr.layers) o_.carryIn = opening(_tr, _t - 1, _s == 0 ? _tr.layers + 1 : _s);
    }

    function layerStep(Trace memory _ch, uint256 _t, uint256 _s)
        internal
        pure
        returns (IStepVerifier.LayerStep memory step_)
    {
        step_.position = uint32(_t);
        step_.slot = uint16(_s);
        step_.hidden = hidden(_ch, _t, _s - 1);
        if (_t != 0) step_.kvRootPrev = fieldB(_ch, _t - 1, _s);
    }

    function embeddingStep(uint256 _t, uint256 _token) internal pure returns (IStepVerifier.EmbeddingStep memory s_) {
        s_.position = uint32(_t);
        s_.token = uint32(_token);
    }

    function headStep(Trace memory _ch, Params memory _p, uint256 _t)
        internal
        pure
        returns (IStepVerifier.HeadStep memory step_)
    {
        step_.position = uint32(_t);
        step_.hidden = hidden(_ch, _t, _ch.layers);
        step_.temperature = _p.temperature;
        step_.topP = _p.topP;
        step_.seed = _p.seed;
    }
}
// forge-lint: disable-end(unsafe-typecast)
