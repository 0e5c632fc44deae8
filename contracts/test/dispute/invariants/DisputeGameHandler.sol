// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Handlers steer time on purpose; timestamps here are the test's clock, not a validator's.
// forge-lint: disable-start(block-timestamp)
// Test values are small constants or bounded before they are narrowed.
// forge-lint: disable-start(unsafe-typecast)
import {DePinToken} from "../../../src/DePinToken.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {JobMarket} from "../../../src/JobMarket.sol";
import {DisputeGame} from "../../../src/DisputeGame.sol";
import {StepProver} from "../../../src/dispute/StepProver.sol";
import {IJobMarket} from "../../../src/interfaces/IJobMarket.sol";
import {IDisputeGame} from "../../../src/dispute/interfaces/IDisputeGame.sol";
import {Phase, Side} from "../../../src/dispute/lib/Types.sol";
import {DisputeGameFixture} from "../utils/DisputeGameFixture.sol";
import {TraceLib} from "../utils/TraceLib.sol";

/// @notice Actors for the dispute game's invariants. Every dispute has two traces: an honest one and one with a
///         fault (on the defender's side, the challenger's, or both); each side plays honestly to its own trace
///         (its moves are forced by its commitments) or stalls. Random actions open disputes on fresh jobs, move
///         (fast narrowing, bisection reveals, partial defender reveals, steps), warp time, resolve and claim.
contract DisputeGameHandler is DisputeGameFixture {
    using TraceLib for TraceLib.Trace;

    uint256 internal constant MAX_DISPUTES = 6;
    uint32 internal constant GENERATED = 6; // positions 0..8

    /// @dev How to rebuild a dispute's traces and records.
    struct Scenario {
        bytes32 jobId;
        bool own; // the challenger committed its own one-stage trace (else replica vs replica)
        uint8 defender; // defending replica
        TraceLib.Fault defFault;
        TraceLib.Fault chFault;
        bytes request; // abi.encode(JobRequest)
    }

    uint256[] public disputeIds;
    mapping(uint256 disputeId => Scenario scenario) internal scenarios;
    address[] internal accounts;

    uint256 public ghostBondsIn;
    uint256 public ghostClaimed;
    mapping(bytes32 action => uint256 count) public calls;

    constructor(
        DePinToken _token,
        StakeManager _stakes,
        JobMarket _market,
        DisputeGame _dg,
        NodeKey[] memory _a,
        NodeKey[] memory _b
    ) {
        token = _token;
        stakes = _stakes;
        market = _market;
        dg = _dg;
        prover = StepProver(address(_dg.stepProver()));
        for (uint256 i; i < _a.length; ++i) {
            pipeA.push(_a[i]);
            accounts.push(_a[i].operator);
        }
        for (uint256 i; i < _b.length; ++i) {
            pipeB.push(_b[i]);
            accounts.push(_b[i].operator);
        }
        accounts.push(challenger);
        accounts.push(dg.BURN_ADDRESS());
        vm.prank(challenger);
        token.approve(address(dg), type(uint256).max);
    }

    // ------------------------------------------------------------------ views for the invariants

    function disputeCount() external view returns (uint256 count_) {
        count_ = disputeIds.length;
    }

    function accountCount() external view returns (uint256 count_) {
        count_ = accounts.length;
    }

    function accountAt(uint256 _i) external view returns (address account_) {
        account_ = accounts[_i];
    }

    // ------------------------------------------------------------------ actions

    function openDispute(uint256 _seed) external {
        if (disputeIds.length >= MAX_DISPUTES) return;
        _topUp(pipeA);
        _topUp(pipeB);
        Scenario memory sc;
        sc.own = _seed % 3 == 0;
        sc.defender = sc.own ? 0 : uint8((_seed >> 8) % 2);
        TraceLib.Fault memory fault = _randomFault(_seed >> 16);
        uint256 who = (_seed >> 64) % 3; // 0: defender wrong, 1: challenger wrong, 2: both
        if (who != 1) sc.defFault = fault;
        if (who != 0) sc.chFault = _randomFault(_seed >> 96);
        if (who == 2) sc.chFault = TraceLib.Fault(TraceLib.FaultKind.KvRoot, fault.position, fault.slot);
        if (sc.chFault.kind != TraceLib.FaultKind.None && sc.chFault.slot == 0) {
            sc.chFault.kind = TraceLib.FaultKind.Hidden;
        }

        uint32[] memory prompt = _prompt();
        IJobMarket.JobRequest memory req = _jobRequest(sc.own ? 1 : 2, prompt, bytes32(0));
        TraceLib.Params memory p = _paramsFor(req, prompt, GENERATED);
        (TraceLib.Trace memory def, TraceLib.Trace memory ch) = _traces(sc, p);
        Job memory job = sc.own
            ? _job(def, def, 1, prompt)
            : (sc.defender == 0 ? _job(def, ch, 2, prompt) : _job(ch, def, 2, prompt));
        sc.jobId = job.id;
        sc.request = abi.encode(job.request);
        (IJobMarket.StageRecord[] memory defRecords, IJobMarket.StageRecord[] memory chRecords) = _records(sc, def, ch);
        _mint(challenger, BOND);
        ghostBondsIn += BOND;
        uint256 id = _open(job.id, sc.defender, sc.own ? OWN : 1 - sc.defender, defRecords, chRecords);
        scenarios[id] = sc;
        disputeIds.push(id);
        ++calls["open"];
    }

    /// @dev The sides play up to a few moves of one dispute, while their clocks allow: `_choice` picks fast
    ///      narrowing over bisection, and a partial defender reveal over a full one.
    function move(uint256 _index, uint256 _choice) external {
        if (disputeIds.length == 0) return;
        uint256 id = disputeIds[_index % disputeIds.length];
        uint256 moves = 1 + (_choice >> 16) % 8;
        for (uint256 m; m < moves; ++m) {
            if (!_moveOnce(id, _choice >> (24 + m))) return;
        }
    }

    function _moveOnce(uint256 _id, uint256 _choice) internal returns (bool moved_) {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        if (info.deadline == 0 || block.timestamp > info.deadline) return false;
        Scenario memory sc = scenarios[_id];
        (IJobMarket.JobRequest memory req, TraceLib.Params memory p) = _request(sc);
        (TraceLib.Trace memory def, TraceLib.Trace memory ch) = _traces(sc, p);
        (IJobMarket.StageRecord[] memory defRecords, IJobMarket.StageRecord[] memory chRecords) = _records(sc, def, ch);
        moved_ = true;
        if (info.phase == Phase.Bisect && _choice % 4 == 0) {
            (uint256 t, uint256 s) = _firstDifference(def, ch);
            _narrow(_id, def, defRecords, ch, chRecords, t, s);
            ++calls["narrow"];
        } else if (info.phase == Phase.Bisect && info.onTurn == Side.Challenger) {
            _challengerMove(_id, ch, chRecords, _lastDifference(def, ch));
            ++calls["revealPosition"];
        } else if (info.phase == Phase.Bisect) {
            _defenderParts(_id, def, defRecords, ch, _choice);
            ++calls["revealParts"];
        } else if (info.phase == Phase.Bisected) {
            _finish(_id, ch);
            ++calls["finish"];
        } else if (info.phase == Phase.Step) {
            _step(_id, def, ch, p, req);
            ++calls["step"];
        } else {
            moved_ = false;
        }
    }

    function warp(uint256 _seconds) external {
        // Mostly minutes to hours (moves in time), sometimes days (timeouts).
        skip(_seconds % 4 == 0 ? bound(_seconds, 0, 3 days) : bound(_seconds, 0, 6 hours));
        ++calls["warp"];
    }

    function resolve(uint256 _index) external {
        if (disputeIds.length == 0) return;
        uint256 id = disputeIds[_index % disputeIds.length];
        IDisputeGame.DisputeInfo memory info = _info(id);
        bool decidable = info.phase == Phase.Decided || (info.deadline != 0 && block.timestamp > info.deadline);
        if (!decidable || info.phase == Phase.Resolved) return;
        Scenario memory sc = scenarios[id];
        (, TraceLib.Params memory p) = _request(sc);
        (TraceLib.Trace memory def, TraceLib.Trace memory ch) = _traces(sc, p);
        (IJobMarket.StageRecord[] memory defRecords, IJobMarket.StageRecord[] memory chRecords) = _records(sc, def, ch);
        _resolve(id, defRecords, chRecords);
        ++calls["resolve"];
    }

    function claim(uint256 _index) external {
        address account = accounts[_index % accounts.length];
        uint256 amount = dg.creditOf(account);
        if (amount == 0) return;
        dg.claimCredit(account);
        ghostClaimed += amount;
        ++calls["claim"];
    }

    // ------------------------------------------------------------------ internals

    function _randomFault(uint256 _seed) internal pure returns (TraceLib.Fault memory f_) {
        f_.position = uint32(_seed % (4 + GENERATED - 1));
        f_.slot = uint16((_seed >> 8) % (LAYERS + 2));
        if (f_.slot == LAYERS + 1) f_.kind = TraceLib.FaultKind.Token;
        else if (f_.slot == 0 || (_seed >> 16) % 2 == 0) f_.kind = TraceLib.FaultKind.Hidden;
        else f_.kind = TraceLib.FaultKind.KvRoot;
    }

    function _request(Scenario memory _sc)
        internal
        view
        returns (IJobMarket.JobRequest memory req_, TraceLib.Params memory p_)
    {
        req_ = abi.decode(_sc.request, (IJobMarket.JobRequest));
        p_ = _paramsFor(req_, _prompt(), GENERATED);
    }

    function _traces(Scenario memory _sc, TraceLib.Params memory _p)
        internal
        pure
        returns (TraceLib.Trace memory def_, TraceLib.Trace memory ch_)
    {
        // Replica 0 runs on pipeline A's layout, replica 1 on B's; an own commitment is one stage.
        uint16[] memory defSpans = _sc.defender == 0 ? _spansA() : _spansB();
        uint16[] memory chSpans = _sc.own ? _spansOwn() : (_sc.defender == 0 ? _spansB() : _spansA());
        def_ = TraceLib.build(_p, _sc.defFault, defSpans);
        ch_ = TraceLib.build(_p, _sc.chFault, chSpans);
    }

    function _records(Scenario memory _sc, TraceLib.Trace memory _def, TraceLib.Trace memory _ch)
        internal
        view
        returns (IJobMarket.StageRecord[] memory def_, IJobMarket.StageRecord[] memory ch_)
    {
        def_ = _def.records(_sc.defender == 0 ? _nodes(pipeA) : _nodes(pipeB));
        ch_ = _sc.own ? TraceLib.ownRecords(_ch) : _ch.records(_sc.defender == 0 ? _nodes(pipeB) : _nodes(pipeA));
    }

    function _defenderParts(
        uint256 _id,
        TraceLib.Trace memory _def,
        IJobMarket.StageRecord[] memory _defRecords,
        TraceLib.Trace memory _ch,
        uint256 _choice
    ) internal {
        IDisputeGame.DisputeInfo memory info = _info(_id);
        uint256 t = info.roundPosition;
        IDisputeGame.PartReveal[] memory all = _def.parts(t);
        // Reveal the missing parts, or only one of them.
        uint256 missing;
        for (uint256 k; k < all.length; ++k) {
            if (info.partsMask & (1 << k) == 0) ++missing;
        }
        uint256 count = (_choice >> 8) % 3 == 0 ? 1 : missing;
        IDisputeGame.PartReveal[] memory parts = new IDisputeGame.PartReveal[](count);
        uint256 n;
        for (uint256 k; k < all.length && n < count; ++k) {
            if (info.partsMask & (1 << k) == 0) parts[n++] = all[k];
        }
        vm.prank(anyone);
        dg.revealParts(_id, _defRecords, parts, _ch.fields(t));
    }

    function _firstDifference(TraceLib.Trace memory _def, TraceLib.Trace memory _ch)
        internal
        pure
        returns (uint256 t_, uint256 s_)
    {
        uint256 slots = _ch.slotCount();
        for (uint256 i; i < _ch.a.length; ++i) {
            if (_def.a[i] != _ch.a[i] || _def.b[i] != _ch.b[i]) return (i / slots, i % slots);
        }
    }

    function _lastDifference(TraceLib.Trace memory _def, TraceLib.Trace memory _ch) internal pure returns (uint256 t_) {
        t_ = _ch.positions - 1;
        while (t_ != 0 && keccak256(abi.encode(_def.fields(t_))) == keccak256(abi.encode(_ch.fields(t_)))) --t_;
    }

    function _topUp(NodeKey[] storage _pipe) internal {
        for (uint256 i; i < _pipe.length; ++i) {
            uint256 active = stakes.activeStake(_pipe[i].node);
            if (active < MIN_STAKE) _stake(_pipe[i], MIN_STAKE - active);
        }
    }
}
// forge-lint: disable-end(unsafe-typecast)
// forge-lint: disable-end(block-timestamp)
