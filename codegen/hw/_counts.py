"""Counts read off a :class:`Design`'s netlist: adders, comparators, registers."""

from __future__ import annotations

from ._design import Design


def sum_adders(terms: int, constant: int) -> int:
    """Two-input adders/subtractors of a sum of ``terms`` operands plus a constant."""
    return max(terms + (1 if constant != 0 else 0) - 1, 0)


def network_adders(design: Design) -> int:
    """Adders/subtractors of the whole (unfolded) butterfly network: 2 per butterfly."""
    return sum(2 * len(st.butterflies) for st in design.stages)


def adder_counts(design: Design) -> dict[str, int]:
    """Two-input adders/subtractors (and comparators, muxes, flip-flops) per part."""
    g = design.geometry
    rec_terms = len(design.recurrent_terms)
    rg = design.readout_graph.graph if design.readout_graph else None
    pg = design.product_graph
    if g.dense:
        recurrent = sum(len(r.terms) - 1 for r in design.dense)
    elif design.folded:
        recurrent = 2 * len(design.fold_units)
    else:
        recurrent = network_adders(design)
    return {
        "recurrent": recurrent,
        # --arith da: the x 1/sqrt(2) chain per row, then its product as one operand
        "update": sum((len(pg.nodes) if pg else 0)
                      + sum_adders((1 if pg else rec_terms) + len(r.input_terms), r.constant)
                      for r in design.update_rows),
        "readout": (sum(sum_adders(len(r.terms), r.bias) for r in design.readout_rows)
                    if rg is None else len(rg.nodes) + rg.output_adders(
                        [r.bias for r in design.readout_rows])),
        "saturation_comparators": 2 * g.n,
        "relu_muxes": len(design.used_states),
        "fold_units": len(design.fold_units),
        "fold_input_muxes": 2 * len(design.fold_units) if design.folded else 0,
        "fold_mux_ways": g.fold if design.folded else 0,
        "state_flops": g.n * g.S * g.interleave,
        "work_flops": g.n * g.RW if design.folded else 0,
    }
