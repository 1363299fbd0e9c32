"""The hardware description (codegen.hw): CSD digits, identifiers, option checks."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.hw import (
    EmitOptions,
    check_options,
    csd,
    csd_adders,
    describe,
    sanitize_identifier,
    valid_folds,
)
from model import FlowError, random_ir


@given(st.integers(min_value=-(1 << 40), max_value=1 << 40))
def test_csd_is_exact_and_non_adjacent(value: int) -> None:
    digits = csd(value)
    assert sum(sign << shift for shift, sign in digits) == value
    shifts = [shift for shift, _ in digits]
    assert shifts == sorted(shifts)
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:], strict=False))
    assert all(sign in (-1, 1) for _, sign in digits)


def test_csd_of_zero_is_no_hardware() -> None:
    assert csd(0) == []
    assert csd_adders(0) == 0
    assert csd_adders(7) == 1  # 8 - 1
    assert csd_adders(46341) == len(csd(46341)) - 1


@pytest.mark.parametrize("name", ["3 bad-name;int", "module", "int", "a\"; system(\"rm", "", "__"])
def test_sanitize_identifier_never_injects(name: str) -> None:
    ident = sanitize_identifier(name)
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", ident)
    assert ident not in {"module", "int"}


def test_valid_folds_divide_the_butterflies() -> None:
    ir = random_ir(hidden=16, block_size=4, input_dim=2, outputs=1)
    assert valid_folds(ir) == [1, 2, 4, 8]
    check_options(ir, EmitOptions(target="vitis", fold=8))
    with pytest.raises(FlowError, match="--fold 3 .* valid folds: 1, 2, 4, 8"):
        check_options(ir, EmitOptions(target="vitis", fold=3))
    with pytest.raises(FlowError, match="--interleave"):
        check_options(ir, EmitOptions(target="vitis", interleave=0))


def test_pipeline_options_are_checked() -> None:
    ir = random_ir(hidden=16, block_size=8, input_dim=2, outputs=1)
    check_options(ir, EmitOptions(target="verilog", pipeline=5, interleave=5))
    for opts, needle in (({"pipeline": 6, "interleave": 6}, "must be in [1, 5]"),
                         ({"pipeline": 3, "interleave": 2}, "--interleave 2 must be >= "),
                         ({"pipeline": 2, "interleave": 2, "fold": 2}, "unfolded hadamard"),
                         ({"pipeline": 2, "interleave": 2, "datapath": "dense"},
                          "unfolded hadamard")):
        with pytest.raises(FlowError, match=re.escape(needle)):
            check_options(ir, EmitOptions(target="verilog", **opts))  # type: ignore[arg-type]


def test_pipeline_cuts_balance_the_loop() -> None:
    """Layers 1..k (butterflies, weight 1), k+1 (acc, weight 2), k+2 (saturate, 1):
    the deepest stage is as shallow as P stages allow."""
    from codegen.hw import place_cuts

    k = 4
    weights = [1] * k + [2, 1]
    for P in range(1, k + 3):
        p = place_cuts(k, P, [1] * (k + 1))
        bounds = (0, *p.cuts, k + 2)
        deepest = max(sum(weights[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
        assert deepest == max(2, -(-sum(weights) // P)) if P < k + 2 else deepest == 2
        assert all(1 <= j <= k + 1 for j in p.cuts)


def test_input_tree_fits_the_stages_before_acc() -> None:
    """U x of a pipelined design: a tree of registered partial sums in groups of
    the loop's stage depth (two when the deepest stage is one adder, else four),
    then one register that adds the acc constant; when the loop has fewer stages
    before acc than that needs, the beat enters that many stages ahead of its
    state (``pre``), every term used once."""
    import math

    ir = random_ir(hidden=16, block_size=16, input_dim=10, outputs=2, seed=4)
    for P in range(2, 7):
        d = describe(ir, EmitOptions(target="verilog", pipeline=P, interleave=P))
        tree, p = d.input_tree, d.pipeline
        assert tree is not None and p.input_ahead and p.constant_ahead
        longest = max(len(r.input_terms) for r in d.update_rows)

        def levels(group: int, t: int = longest) -> int:
            return max(1, math.ceil(math.log(t) / math.log(group) - 1e-9))

        assert tree.group == (2 if P == 6 else 4)      # k = 4: P = 6 is one layer per stage
        assert tree.levels == levels(tree.group)
        assert p.x_stages == max(p.x_delay, tree.levels + 1)
        assert p.pre == p.x_stages - p.x_delay
        for row, levels in zip(d.update_rows, tree.outputs, strict=True):
            assert sorted(i for g in levels[0] for i in g) == list(range(len(row.input_terms)))
            assert all(len(g) <= tree.group for lv in levels for g in lv)
            assert len(levels[-1]) == 1


def test_stream_options_and_plan() -> None:
    """The ring is B*n elements; B must cover the transform and update latency."""
    from codegen.hw import describe

    ir = random_ir(hidden=16, block_size=16, input_dim=2, outputs=1)
    with pytest.raises(FlowError, match=re.escape("needs --interleave >= 2")):
        check_options(ir, EmitOptions(target="verilog", arch="stream"))
    for lanes in (3, 16, 0):
        with pytest.raises(FlowError, match=re.escape(f"--lanes {lanes} must be a power of two "
                                                      "in [1, 8] (n = 16)")):
            check_options(ir, EmitOptions(target="verilog", arch="stream", interleave=8,
                                          lanes=lanes))
    with pytest.raises(FlowError, match="--lanes applies"):
        check_options(ir, EmitOptions(target="verilog", lanes=2))
    d = describe(ir, EmitOptions(target="verilog", arch="stream", interleave=2))
    st = d.stream
    assert st is not None
    assert [s.delay for s in st.stages] == [8, 4, 2, 1]
    # entry register + sum(D_s + 1) + two update registers = m + k + 2
    assert st.update_latency == 16 + 4 + 2
    assert st.state_delay + st.update_latency == 2 * 16
    # the readout: relu registered, Booth operands (2 digits) over one lane summed by the
    # accumulator itself (no tree level), then the cycle behind the control
    assert st.registers.readout.depth == 0
    assert st.registers.readout_latency == st.update_latency + 1
    assert d.schedule.cycles_per_beat == 16
    assert d.schedule.drain == st.registers.readout_latency + 1 + 15
    assert {m.name for m in d.memories} >= {"rom_u", "rom_v", "rom_sb", "state"}


def test_stream_lanes_plan() -> None:
    """L lanes: stages with m / 2^s >= L keep a delay line of m / (2^s L) slices per
    lane, the rest pair lanes inside a slice; ROM words hold L elements each."""
    import numpy as np

    from codegen.hw import describe

    ir = random_ir(hidden=16, block_size=16, input_dim=2, outputs=3, seed=5)
    d = describe(ir, EmitOptions(target="verilog", arch="stream", lanes=4, interleave=3))
    st = d.stream
    assert st is not None and st.slices == 4
    assert [(s.distance, s.delay, s.across_lanes) for s in st.stages] == [
        (8, 2, False), (4, 1, False), (2, 0, True), (1, 0, True)]
    assert st.update_latency == 1 + (2 + 1) + (1 + 1) + 1 + 1 + 2
    assert st.state_delay == 3 * 4 - st.update_latency
    assert d.schedule.cycles_per_beat == 4
    rom_v = next(r for r in d.roms if r.name == "v")
    V = np.asarray(ir.output_weight)
    p = ir.output_weight_bits
    for e, word in enumerate(rom_v.words):     # lane l, output o at [(l*o_count + o)*p +: p]
        for lane in range(4):
            for o in range(3):
                field = (word >> ((lane * 3 + o) * p)) & ((1 << p) - 1)
                assert field - (1 << p) * (field >> (p - 1)) == V[o, e * 4 + lane]
    assert {m.name: m.words for m in d.memories} == {"rom_u": 4, "rom_v": 4, "rom_sb": 4}
    d8 = describe(ir, EmitOptions(target="verilog", arch="stream", lanes=4, interleave=8))
    state = next(m for m in d8.memories if m.name == "state")   # 8*4 - 10 = 22 slices
    assert (state.words, state.width) == (21, 4 * ir.state_format.width)
    with pytest.raises(FlowError, match=re.escape("needs --interleave >= 3")):
        check_options(ir, EmitOptions(target="verilog", arch="stream", lanes=4, interleave=2))


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 6])
def test_booth_operands_give_the_product_exactly(bits: int) -> None:
    """Every p-bit weight times every relu value of a 6-bit state: the streamed
    readout's operands (a digit picks 0, r or 2r; a set high bit inverts those
    bits) plus the weight's correction equal the product."""
    from codegen.hw import booth_correction, booth_digit_bits, booth_digits

    S = 6
    for v in range(-(1 << (bits - 1)), 1 << (bits - 1)):
        word = v & ((1 << bits) - 1)
        bit = [(word >> min(i, bits - 1)) & 1 for i in range(2 * booth_digits(bits))]
        for r in range(1 << (S - 1)):
            total = booth_correction(v, bits)
            for j in range(booth_digits(bits)):
                hi, mid, lo = (bit[i] if i >= 0 else 0 for i in booth_digit_bits(bits, j))
                one = mid ^ lo
                two = (not one) and (hi ^ mid)
                mag = r if one else (2 * r if two else 0)
                operand = ~mag if hi else mag          # {neg, mag ^ neg}: S + 1 bits signed
                assert -(1 << S) <= operand < (1 << S)
                total += operand * 4 ** j
            assert total == v * r, (v, r)


def test_lane_trees_group_every_operand_once() -> None:
    from codegen.hw import lane_tree

    for leaves in range(1, 70):
        for root, limit in ((1, None), (2, None), (1, 2)):
            t = lane_tree(leaves, root=root, limit=limit)
            count = leaves
            for level in t.levels:
                assert sorted(i for grp in level for i in grp) == list(range(count))
                count = len(level)
            assert count <= root or (limit is not None and t.depth == limit and count == 1)
            assert t.outputs == count


def test_stream_reuse_options_and_plan() -> None:
    """--reuse R holds each slice R cycles: one lane, R at most the
    larger of inputs and outputs; every input and every output lands in exactly
    one phase (consecutive groups: shift registers), and a step takes n * R cycles."""
    from codegen.hw import describe

    ir = random_ir(hidden=16, block_size=16, input_dim=5, outputs=3, seed=6)
    base = dict(target="verilog", arch="stream", interleave=2)
    for extra, needle in (
            (dict(reuse=6), "--reuse 6 must be in [1, 5] (the larger of 5 inputs and 3 outputs)"),
            (dict(reuse=2, lanes=2), "--reuse 2 needs --lanes 1"),
            (dict(reuse=2, arch="parallel", interleave=1), "--reuse applies to --arch stream")):
        with pytest.raises(FlowError, match=re.escape(needle)):
            check_options(ir, EmitOptions(**{**base, **extra}))  # type: ignore[arg-type]
    for reuse in (2, 3, 4, 5):
        d = describe(ir, EmitOptions(**base, reuse=reuse))  # type: ignore[arg-type]
        st = d.stream
        assert st is not None and st.reuse is not None and st.cycles_per_slice == reuse
        ru = st.reuse
        assert len(ru.input_groups) == len(ru.output_groups) == reuse
        assert [j for grp in ru.input_groups for j in grp] == list(range(5))   # in order
        outs = [o for grp in ru.output_groups for o in grp if o >= 0]
        assert sorted(outs) == list(range(3))
        assert {len(grp) for grp in ru.output_groups} == {ru.outputs_per_cycle}
        assert ru.outputs_per_cycle == -(-3 // reuse)
        assert all(ru.output_groups[s][t] == o for o in outs for s, t in [ru.phase_of(o)])
        # U x: one level (the slice's sum, registered when it ends); the readout
        # accumulator adds the digits itself
        assert st.registers.ux.depth == 1 and st.registers.readout.depth == 0
        # a group's terms (4-bit inputs and weights: four per input) in registered
        # levels, at most R - 1 so the last group's sum is in before the next slice ends
        tree = ru.group_tree
        assert tree.leaves == 4 * ru.inputs_per_cycle and len(tree.levels[-1]) == 1
        assert 1 <= ru.group_latency <= reuse - 1
        assert d.schedule.cycles_per_beat == 16 * reuse
        assert d.schedule.drain == st.registers.readout_latency * reuse + 1 + 16 * reuse - 1


def test_reuse_shares_the_transform_when_the_slice_has_room() -> None:
    """With R >= max(k + 2, 4) one butterfly does the k stages (stage s in phase
    k - s + 2, the read two phases earlier) and their delay lines are regions of
    one memory: D_s words each, disjoint, m - 1 in all; the slice-level plan is
    the per-stage one."""
    from codegen.hw import describe, shares_transform

    assert not shares_transform(5, 4) and shares_transform(6, 4)
    assert not shares_transform(3, 1) and shares_transform(4, 1) and shares_transform(4, 2)
    ir = random_ir(hidden=32, block_size=16, input_dim=9, outputs=3, seed=7)
    base = dict(target="verilog", arch="stream", interleave=2)
    plans = {r: describe(ir, EmitOptions(**base, reuse=r)) for r in (5, 6, 9)}  # type: ignore[arg-type]
    assert plans[5].stream is not None and plans[5].stream.shared is None
    for r in (6, 9):
        d = plans[r]
        st = d.stream
        assert st is not None and st.shared is not None
        sh = st.shared
        k = len(st.stages)
        assert k == 4 and sh.width == st.stages[-1].width_out and sh.words == 15
        assert sorted(sh.phase(sd) for sd in st.stages) == list(range(2, k + 2))
        assert all(sh.phase(sd) <= r - 1 for sd in st.stages)
        words = [w for sd in st.stages for w in range(sh.base(sd), sh.base(sd) + sd.delay)]
        assert sorted(words) == list(range(sh.words))
        # one memory instead of a delay line per stage; timing as the per-stage plan
        names = {m.name for m in d.memories}
        assert "sdf" in names and not any(n.startswith("sdf") and n != "sdf" for n in names)
        same = plans[5].stream
        assert [sd.offset for sd in st.stages] == [sd.offset for sd in same.stages]
        assert st.transform_latency == same.transform_latency


def test_reuse_phase_table_holds_each_phase_weights() -> None:
    """--reuse R: word {r, s} of the phase table holds element r's U weights of
    input group s and, above them, the V weights of output group s of element
    r - lag; phases past R - 1 and empty slots are 0."""
    from codegen.hw import describe

    ir = random_ir(hidden=16, block_size=16, input_dim=5, outputs=3, seed=8, weight_bits=3)
    d = describe(ir, EmitOptions(target="verilog", arch="stream", interleave=2, reuse=3))
    st, pr = d.stream, d.phase_rom
    assert st is not None and st.reuse is not None and pr is not None
    ru, rg = st.reuse, st.registers
    p = ir.input_weight_bits
    assert p == ir.output_weight_bits == 3
    U, V = np.asarray(ir.input_weight), np.asarray(ir.output_weight)
    kx, ky = ru.inputs_per_cycle, ru.outputs_per_cycle
    assert (kx, ky) == (2, 1) and pr.width == (kx + ky) * p and len(pr.words) == 16 * 4
    lag = (rg.v_address_offset - rg.u_address_offset) % 16

    def field(word: int, i: int) -> int:
        v = (word >> (i * p)) & ((1 << p) - 1)
        return v - (1 << p) if v >> (p - 1) else v

    for r in range(16):
        for s in range(4):
            word = pr.words[r * 4 + s]
            if s == 3:
                assert word == 0
                continue
            ins = ru.input_groups[s]
            for t in range(kx):
                assert field(word, t) == (int(U[r][ins[t]]) if t < len(ins) else 0)
            o = ru.output_groups[s][0]
            assert field(word, kx) == (int(V[o][(r - lag) % 16]) if o >= 0 else 0)
    names = {m.name for m in d.memories}
    assert {"rom_uv", "rom_sb"} <= names and not {"rom_u", "rom_v"} & names
