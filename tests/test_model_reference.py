"""The integer reference (model/_reference.py) against docs/arithmetic.md.

* the worked example of docs/arithmetic.md §6, number for number;
* the FWHT against a dense Sylvester / Kronecker product;
* ``run`` against a slow re-implementation in plain Python integers written from
  docs/arithmetic.md alone, on random networks (hypothesis), including inputs
  that saturate the state, with every intermediate checked against
  ``datapath_widths``.
"""

from __future__ import annotations

from math import isqrt

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model import (
    DeploymentIR,
    FixedFormat,
    FlowError,
    IRError,
    datapath_widths,
    fwht_int,
    random_inputs,
    random_ir,
    run,
)
from model._reference import accumulate, input_term, recurrent_term

# ------------------------------------------------------------------ slow re-implementation


def _fits(v: int, width: int) -> bool:
    return -(1 << (width - 1)) <= v <= (1 << (width - 1)) - 1


def slow_inv_sqrt2(c: int) -> int:
    """round_half_up(2**c / sqrt 2) with integers (docs/arithmetic.md §2)."""
    q = isqrt(1 << (2 * c - 1))
    return q + 1 if (2 * q + 1) ** 2 <= 1 << (2 * c + 1) else q


def slow_run(ir: DeploymentIR, x: list[list[list[int]]], stats: dict[str, int] | None = None
             ) -> tuple[list, list]:
    """docs/arithmetic.md §3 in plain Python ints, one sequence at a time.

    Returns (ys, states) as nested lists; asserts every intermediate fits its
    width from datapath_widths (§4).
    """
    w = datapath_widths(ir)
    n, m, S, fh = ir.hidden, ir.block_size, ir.state_format.width, ir.state_format.frac
    k = m.bit_length() - 1
    C = ir.inv_sqrt2_frac
    K = slow_inv_sqrt2(C)
    H = (1 << (S - 1)) - 1
    f_r = fh + k // 2 + (C if k % 2 else 0)
    f_a = ir.input_weight_frac + ir.input_format.frac
    f_acc = max(f_r, f_a, fh)
    d = f_acc - fh
    sign = [int(s) for s in ir.sign]
    U = [[int(v) for v in row] for row in ir.input_weight]
    b = [int(v) for v in ir.state_bias]
    V = [[int(v) for v in row] for row in ir.output_weight]
    c = [int(v) for v in ir.output_bias]
    all_y, all_h = [], []
    for seq in x:
        h = [0] * n
        ys, hs = [], []
        for xt in seq:
            f = list(h)
            for s in range(k):          # stage s pairs i and i + 2**s
                step = 1 << s
                for base in range(0, n, 2 * step):
                    for i in range(base, base + step):
                        a_, b_ = f[i], f[i + step]
                        f[i], f[i + step] = a_ + b_, a_ - b_
                assert all(_fits(v, w.stages[s]) for v in f)
            r = [sign[i] * f[i] * (K if k % 2 else 1) for i in range(n)]
            assert all(_fits(v, w.recurrent) and abs(v) <= w.recurrent_bound for v in r)
            a = [sum(U[i][j] * xt[j] for j in range(ir.input_dim)) for i in range(n)]
            assert all(_fits(v, w.input_product) and abs(v) <= w.input_bound for v in a)
            acc = [(r[i] << (f_acc - f_r)) + (a[i] << (f_acc - f_a)) + (b[i] << (f_acc - fh))
                   for i in range(n)]
            assert all(_fits(v, w.acc) and abs(v) <= w.acc_bound for v in acc)
            if d == 0:
                q = acc
            elif ir.state_rounding == "half_up":
                q = [(v + (1 << (d - 1))) >> d for v in acc]
            else:
                q = [v >> d for v in acc]
            h = [min(max(v, -H), H) for v in q]
            if stats is not None:
                stats["saturated"] += sum(v != hv for v, hv in zip(q, h, strict=True))
                stats["ties"] += sum(d > 0 and v % (1 << d) == 1 << (d - 1) for v in acc)
            assert all(_fits(v, w.state) for v in h)
            hs.append(h)
            if ir.readout == "every" or len(hs) == len(seq):
                y = [sum(V[o][i] * max(h[i], 0) for i in range(n)) + c[o]
                     for o in range(ir.outputs)]
                assert all(_fits(v, w.output) and abs(v) <= w.output_bound for v in y)
                ys.append(y)
        all_y.append(ys if ir.readout == "every" else ys[-1])
        all_h.append(hs)
    return all_y, all_h


# ------------------------------------------------------------------ worked example (§6)


def _example(block: int, rounding: str, c: int) -> DeploymentIR:
    return DeploymentIR(
        name="example", hidden=4, block_size=block, input_dim=1, outputs=2, readout="every",
        input_format=FixedFormat(width=4, frac=2, signed=True),
        state_format=FixedFormat(width=6, frac=4, signed=True),
        state_rounding=rounding, input_weight_bits=3, input_weight_frac=2,
        output_weight_bits=3, output_weight_frac=2, inv_sqrt2_frac=c,
        sign=np.array([1, -1, 1, -1]), input_weight=np.array([[3], [-2], [1], [3]]),
        state_bias=np.array([2, 0, -3, 1]),
        output_weight=np.array([[1, -3, 0, 2], [2, 1, -1, 0]]),
        output_bias=np.array([-5, 7]))


_X = np.array([[[7], [5], [-8]]])

# Rows of the tables in docs/arithmetic.md §6 (derived there by hand).
_TABLE_A = [  # h_prev, stage0, f, r, a, acc, rounded, h, y
    ([0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [21, -14, 7, 21],
     [46, -28, 8, 44], [23, -14, 4, 22], [23, -14, 4, 22], [62, 49]),
    ([23, -14, 4, 22], [9, 37, 26, -18], [35, 19, -17, 55], [35, -19, -17, -55],
     [15, -10, 5, 15], [69, -39, -13, -23], [35, -19, -6, -11], [31, -19, -6, -11], [26, 69]),
    ([31, -19, -6, -11], [12, 50, -17, 5], [-5, 55, 29, 45], [-5, -55, 29, -45],
     [-24, 16, -8, -24], [-49, -23, 7, -91], [-24, -11, 4, -45], [-24, -11, 4, -31], [-5, 3]),
]
_TABLE_B = [  # h_prev, f, r, a, acc, rounded, h, y
    ([0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [21, -14, 7, 21], [368, -224, 64, 352],
     [23, -14, 4, 22], [23, -14, 4, 22], [62, 49]),
    ([23, -14, 4, 22], [9, 37, 26, -18], [99, -407, 286, 198], [15, -10, 5, 15],
     [371, -567, 318, 454], [23, -36, 19, 28], [23, -31, 19, 28], [74, 34]),
    ([23, -31, 19, 28], [-8, 54, 47, -9], [-88, -594, 517, 99], [-24, 16, -8, -24],
     [-440, -338, 341, -269], [-28, -22, 21, -17], [-28, -22, 21, -17], [-5, -14]),
]


def test_worked_example_a_even_log2_half_up() -> None:
    ir = _example(4, "half_up", 16)
    assert (ir.recurrent_frac, ir.input_frac, ir.acc_frac, ir.output_frac) == (5, 4, 5, 6)
    y, states = run(ir, _X, return_states=True)
    for t, (hp, s0, f, r, a, acc, rnd, h, yt) in enumerate(_TABLE_A):
        hp_arr = np.array([hp])
        assert fwht_int(hp_arr, 2).tolist() == [s0]          # stage 0 of a 4-block
        assert fwht_int(hp_arr, 4).tolist() == [f]
        assert recurrent_term(ir, hp_arr).tolist() == [r]
        assert input_term(ir, _X[:, t]).tolist() == [a]
        assert accumulate(ir, hp_arr, _X[:, t]).tolist() == [acc]
        assert [(v + 1) >> 1 for v in acc] == rnd               # half_up, d = 1
        assert [min(max(v, -31), 31) for v in rnd] == h
        assert states[0, t].tolist() == h
        assert y[0, t].tolist() == yt
    w = datapath_widths(ir)
    assert (w.stages, w.recurrent, w.input_product, w.acc, w.relu, w.output) == (
        (7, 8), 8, 6, 9, 6, 9)
    assert (w.recurrent_bound, w.input_bound, w.acc_bound, w.output_bound) == (124, 24, 176, 191)
    assert slow_run(ir, _X.tolist()) == (y.tolist(), states.tolist())


def test_worked_example_b_odd_log2_floor() -> None:
    ir = _example(2, "floor", 4)
    assert ir.inv_sqrt2 == 11 == slow_inv_sqrt2(4)
    assert (ir.recurrent_frac, ir.input_frac, ir.acc_frac) == (8, 4, 8)
    y, states = run(ir, _X, return_states=True)
    for t, (hp, f, r, a, acc, rnd, h, yt) in enumerate(_TABLE_B):
        hp_arr = np.array([hp])
        assert fwht_int(hp_arr, 2).tolist() == [f]
        assert recurrent_term(ir, hp_arr).tolist() == [r]
        assert input_term(ir, _X[:, t]).tolist() == [a]
        assert accumulate(ir, hp_arr, _X[:, t]).tolist() == [acc]
        assert [v >> 4 for v in acc] == rnd                      # floor, d = 4
        assert [min(max(v, -31), 31) for v in rnd] == h
        assert states[0, t].tolist() == h
        assert y[0, t].tolist() == yt
    w = datapath_widths(ir)
    assert (w.stages, w.recurrent, w.acc, w.output) == ((7,), 11, 12, 9)
    assert (w.recurrent_bound, w.acc_bound) == (682, 1098)
    assert slow_run(ir, _X.tolist()) == (y.tolist(), states.tolist())


def test_inv_sqrt2_constant() -> None:
    assert slow_inv_sqrt2(16) == 46341
    for c in range(2, 25):
        k = slow_inv_sqrt2(c)
        # nearest integer to 2**c / sqrt 2: |k - 2**c/sqrt2| < 1/2  <=>  checks on squares
        assert (2 * k - 1) ** 2 < 2 ** (2 * c + 1) < (2 * k + 1) ** 2
        ir = random_ir(hidden=2, input_dim=1, outputs=1, inv_sqrt2_frac=c)
        assert ir.inv_sqrt2 == k


# ------------------------------------------------------------------ FWHT vs dense


def _sylvester(m: int) -> np.ndarray:
    s = np.ones((1, 1), dtype=np.int64)
    while len(s) < m:
        s = np.kron(np.array([[1, 1], [1, -1]], dtype=np.int64), s)
    return s


def test_fwht_equals_dense_kronecker_product() -> None:
    rng = np.random.default_rng(0)
    for log_n in range(0, 9):
        n = 1 << log_n
        v = rng.integers(-(1 << 20), 1 << 20, size=(3, n))
        v[0] = (1 << 20) - 1          # an extreme row: all entries at the top
        for log_m in range(0, log_n + 1):
            m = 1 << log_m
            dense = np.kron(np.eye(n // m, dtype=np.int64), _sylvester(m))
            assert np.array_equal(fwht_int(v, m), v @ dense.T), (n, m)
    s4 = _sylvester(4)
    assert s4.tolist() == [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]
    assert np.array_equal(_sylvester(256) @ _sylvester(256), 256 * np.eye(256, dtype=np.int64))


# ------------------------------------------------------------------ run vs slow, random nets


def _draw_ir(data: st.DataObject) -> DeploymentIR:
    log_n = data.draw(st.integers(1, 8), label="log2 n")
    log_m = data.draw(st.integers(0, log_n), label="log2 m")
    s_width = data.draw(st.integers(2, 18), label="S")
    s_frac = data.draw(st.integers(-2, s_width + 2), label="F_h")
    x_signed = data.draw(st.booleans(), label="input signed")
    x_width = data.draw(st.integers(1 if not x_signed else 2, 10), label="W_x")
    x_frac = data.draw(st.integers(-2, 10), label="F_x")
    wbits = data.draw(st.integers(2, 8), label="p")
    wfrac = data.draw(st.integers(-2, 10), label="F_u")
    try:
        return random_ir(
            hidden=1 << log_n, block_size=1 << log_m,
            input_dim=data.draw(st.integers(1, 4), label="d"),
            outputs=data.draw(st.integers(1, 3), label="o"),
            readout=data.draw(st.sampled_from(["every", "last"]), label="readout"),
            seed=data.draw(st.integers(0, 2**16), label="seed"),
            input_format=FixedFormat(width=x_width, frac=x_frac, signed=x_signed),
            state_format=FixedFormat(width=s_width, frac=s_frac, signed=True),
            state_rounding=data.draw(st.sampled_from(["half_up", "floor"]), label="rounding"),
            weight_bits=wbits, weight_frac=wfrac,
            inv_sqrt2_frac=data.draw(st.integers(2, 20), label="C"),
            zero_fraction=data.draw(st.sampled_from([0.0, 0.2, 0.9]), label="zeros"),
        )
    except IRError:   # over the 53-bit budget: not a network the flow accepts
        assume(False)
        raise


def test_run_matches_slow_python_reimplementation() -> None:
    stats = {"cases": 0, "saturated": 0, "saturated_cases": 0, "ties": 0, "odd": 0,
             "even": 0, "floor": 0, "half_up": 0, "n256": 0, "blocks": 0}

    @settings(max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        ir = _draw_ir(data)
        extreme = data.draw(st.booleans(), label="extreme inputs")
        steps = data.draw(st.integers(1, 5), label="T")
        x = random_inputs(ir, batch=2, steps=steps, seed=data.draw(st.integers(0, 99)),
                          extreme=extreme)
        y, states = run(ir, x, return_states=True)
        counts = {"saturated": 0, "ties": 0}
        want_y, want_h = slow_run(ir, x.tolist(), counts)
        assert y.dtype == np.int64 and states.dtype == np.int64
        assert y.tolist() == want_y
        assert states.tolist() == want_h
        assert np.array_equal(run(ir, x), y)
        # the states never leave the symmetric range
        assert np.abs(states).max(initial=0) <= ir.state_max
        stats["cases"] += 1
        stats["saturated"] += counts["saturated"]
        stats["saturated_cases"] += counts["saturated"] > 0
        stats["ties"] += counts["ties"]
        stats["odd" if ir.odd_log2 else "even"] += 1
        stats[ir.state_rounding] += 1
        stats["n256"] += ir.hidden == 256
        stats["blocks"] += ir.block_size < ir.hidden

    check()
    # the random networks really exercised every branch, saturation included
    assert stats["cases"] >= 60
    assert stats["saturated_cases"] >= 5, stats
    assert stats["ties"] > 0, stats
    for key in ("odd", "even", "floor", "half_up", "n256", "blocks"):
        assert stats[key] > 0, (key, stats)


@pytest.mark.parametrize("block", [1, 2, 8, 64, 128])
def test_extreme_inputs_saturate_and_match(block: int) -> None:
    ir = random_ir(hidden=128, block_size=block, input_dim=3, outputs=2, seed=block,
                   state_format=FixedFormat(width=6, frac=3, signed=True),
                   input_format=FixedFormat(width=8, frac=4, signed=True), zero_fraction=0.0)
    x = random_inputs(ir, batch=2, steps=6, seed=1, extreme=True)
    counts = {"saturated": 0, "ties": 0}
    want_y, want_h = slow_run(ir, x.tolist(), counts)
    y, states = run(ir, x, return_states=True)
    assert counts["saturated"] > 0
    assert np.abs(states).max() == ir.state_max            # reaches the bound ...
    assert states.min() >= -ir.state_max                   # ... never -2**(S-1)
    assert y.tolist() == want_y and states.tolist() == want_h


# ------------------------------------------------------------------ run's interface


def test_run_return_states_and_readout_modes() -> None:
    every = random_ir(hidden=16, block_size=4, input_dim=2, outputs=3, seed=3)
    last = random_ir(hidden=16, block_size=4, input_dim=2, outputs=3, seed=3, readout="last")
    x = random_inputs(every, batch=5, steps=7, seed=2)
    y_e, h_e = run(every, x, return_states=True)
    y_l, h_l = run(last, x, return_states=True)
    assert y_e.shape == (5, 7, 3) and h_e.shape == (5, 7, 16) and y_l.shape == (5, 3)
    assert np.array_equal(h_e, h_l)
    assert np.array_equal(y_l, y_e[:, -1])
    # y from the states: V relu(h) + c, exact
    relu = np.maximum(h_e, 0)
    assert np.array_equal(y_e, relu @ every.output_weight.T + every.output_bias)
    # a prefix of the sequence gives a prefix of the states (h_0 = 0 each run)
    y_p, h_p = run(every, x[:, :3], return_states=True)
    assert np.array_equal(h_p, h_e[:, :3]) and np.array_equal(y_p, y_e[:, :3])
    # batch rows are independent
    assert np.array_equal(run(every, x[2:3]), y_e[2:3])


def test_run_rejects_bad_inputs() -> None:
    ir = random_ir(hidden=4, input_dim=2, outputs=1,
                   input_format=FixedFormat(width=4, frac=0, signed=True))
    with pytest.raises(FlowError, match=r"shape \(batch, steps, 2\)"):
        run(ir, np.zeros((1, 3, 3), dtype=np.int64))
    with pytest.raises(FlowError, match="integers"):
        run(ir, np.zeros((1, 3, 2)))
    with pytest.raises(FlowError, match=r"\[-8, 7\]"):
        run(ir, np.full((1, 3, 2), 8))
    with pytest.raises(FlowError, match="at least one time step"):
        run(ir, np.zeros((1, 0, 2), dtype=np.int64))
