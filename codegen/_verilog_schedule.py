"""Closed-form schedule and adder counts of the Verilog micro-architecture.

docs/schedule.md states the same formulas in prose; ``python -m sim run``
measures the cycles and the tests compare them with :func:`schedule`.
"""

from __future__ import annotations

from typing import Any

from model import DeploymentIR

from ._passes import EmitOptions
from ._verilog_netlist import geometry, readout_rows, update_rows

#: Cycles a call spends besides its beats: the final output handshake, the
#: ap_done cycle and the restart cycle (``ap_start`` held high).
CALL_OVERHEAD = 3


def schedule(n: int, m: int, fold: int, interleave: int, *,
             datapath: str = "hadamard") -> dict[str, Any]:
    """Cycles of one (n, m, F, B) design with no input gaps and no backpressure.

    ``cycles_per_beat`` c: one time step of one sequence (one x beat) every c cycles.
    ``ticks`` = k*F folded butterfly cycles (0 when unfolded, k = log2 m).
    ``first`` = max(1, ticks): cycles from a call's first RUN cycle to its first update.
    A call of B sequences of T steps takes ``first + (T*B - 1)*c + 3`` cycles
    (``call_cycles``); each sequence steps every B*c cycles.
    """
    k = m.bit_length() - 1
    ticks = k * fold if (fold > 1 and k > 0 and datapath == "hadamard") else 0
    c = ticks + 1
    first = max(1, ticks)
    return {
        "n": n, "m": m, "fold": fold, "interleave": interleave, "datapath": datapath,
        "ticks": ticks,
        "cycles_per_beat": c,
        "cycles_per_sequence_step": c * interleave,
        "first": first,
        "call_overhead": CALL_OVERHEAD,
        "call_cycles": f"{first} + (T*{interleave} - 1)*{c} + {CALL_OVERHEAD}",
        "latency": c + 1,
        "first_latency": first + 1,
    }


def call_cycles(sched: dict[str, Any], steps: int) -> int:
    """Cycles of one call (B sequences of ``steps`` steps), ap_start held high."""
    beats = steps * int(sched["interleave"])
    return int(sched["first"]) + (beats - 1) * int(sched["cycles_per_beat"]) + CALL_OVERHEAD


def adder_counts(ir: DeploymentIR, options: EmitOptions) -> dict[str, int]:
    """Two-input adders/subtractors (and comparators, muxes) per component."""
    g = geometry(ir, options)
    dense = g.dense
    rows = update_rows(ir, g, dense)
    out = readout_rows(ir, g)
    folded = g.ticks > 0 and not dense
    if dense:
        recurrent = g.n * (g.m - 1)
    elif folded:
        recurrent = g.n * g.k // g.fold
    else:
        recurrent = g.n * g.k
    units = (g.n // (2 * g.fold)) * g.k if folded else 0
    return {
        "recurrent": recurrent,
        "update": sum(r.adders for r in rows),
        "readout": sum(r.adders for r in out),
        "saturation_comparators": 2 * g.n,
        "relu_muxes": len({i for i in range(g.n)
                           if any(ir.output_weight[o, i] != 0 for o in range(g.outputs))}),
        "fold_units": units,
        "fold_input_muxes": 2 * units if g.fold > 1 else 0,
        "fold_mux_ways": g.fold if folded else 0,
        "state_flops": g.n * g.S * g.interleave,
        "work_flops": g.n * g.RW if folded else 0,
    }
