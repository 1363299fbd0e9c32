"""Post-route clock estimate: the register-to-register paths of the design,
each costed as carry-chain adders and LUT levels in series.

``paths(design)`` lists the paths the hardware description implies (each loop
stage between pipeline cuts, the input-product and readout trees, the
streaming datapath's stages, the place-and-route harness's output reduction).
A multi-operand sum of t operands counts as ceil(log2 t) adders at its width.
``critical_path(design, family, lut)`` takes the slowest path under the
family's :class:`DelayModel`, whose coefficients are fitted to nextpnr runs
(``bench/bench_pnr.py --fit``, docs/estimates.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..hw import Design


@dataclass(frozen=True, kw_only=True)
class Path:
    """One register-to-register path: adders (carry-chain widths) and LUT levels."""

    name: str
    adders: tuple[int, ...]
    luts: int = 0
    fanout: int = 0     #: registers the path's last net drives (a global enable)

    @property
    def bits(self) -> int:
        """Carry bits on the path: adders in series overlap their ripples (the
        low bits of the next adder start before the previous carry has left),
        so only the widest chain ripples in full."""
        return max(self.adders, default=0)


@dataclass(frozen=True, kw_only=True)
class DelayModel:
    """Path delay in ns = t0 + t_adder * adders + t_bit * widest carry chain +
    t_lut * LUT levels, all times ``1 + size * log2(LUTs / 1000)`` for designs above 1,000
    LUTs (routing stretches as the placement grows)."""

    t0: float
    t_adder: float
    t_bit: float
    t_lut: float
    size: float
    t_fanout: float     #: ns per doubling of a net's loads above 1,000 registers

    def delay_ns(self, path: Path, lut: float) -> float:
        base = (self.t0 + self.t_adder * len(path.adders) + self.t_bit * path.bits
                + self.t_lut * path.luts)
        spread = self.t_fanout * max(0.0, math.log2(max(path.fanout, 1) / 1000.0))
        return base * (1.0 + self.size * max(0.0, math.log2(max(lut, 1.0) / 1000.0))) + spread


#: Fitted by ``bench/bench_pnr.py --fit`` to the nextpnr-ecp5 runs of
#: bench/results/pnr_ecp5.json (LFE5U-85F, speed grade 6), docs/estimates.md.
#: iCE40 scales the ECP5 model by the ratio measured on the streaming designs
#: placed on both; Xilinx parts use the ECP5 model unchanged (no open place and
#: route exists for them; a 7-series -1 part is faster than an ECP5 -6, so the
#: clock it gives is a lower bound, not a measurement).
DELAY_MODELS: dict[str, DelayModel] = {
    # t_fanout: no fitting row's slowest path is a fanout since the pipelined
    # designs register their enables in copies, so the fit leaves it at its start
    # value (2.5; fitted as 3.384 when a global enable was critical, docs/estimates.md)
    "ecp5": DelayModel(t0=0.4978, t_adder=1.8596, t_bit=0.0465, t_lut=1.3681, size=0.0824,
                       t_fanout=2.5),
}
ICE40_SCALE = 3.839
DELAY_MODELS["ice40"] = DelayModel(
    **{k: v * ICE40_SCALE for k, v in vars(DELAY_MODELS["ecp5"]).items() if k != "size"},
    size=DELAY_MODELS["ecp5"].size)


def model_for(family: str) -> DelayModel:
    return DELAY_MODELS.get(family, DELAY_MODELS["ecp5"])


def _sum(count: int, width: int) -> tuple[int, ...]:
    """Adders in series of a ``count``-operand sum at ``width`` bits."""
    return (width,) * max(0, math.ceil(math.log2(count))) if count > 1 else ()


def _harness(design: Design) -> int:
    """LUT levels from an output port to the harness's first register (its XOR
    reduction is a tree of registered four-input XORs, codegen/tools/_harness.py)."""
    return 1


def paths(design: Design) -> tuple[Path, ...]:
    """Every register-to-register path class of the design."""
    from ._structure import structure

    own = _stream_paths(design) if design.streaming else _parallel_paths(design)
    if design.stall is not None:
        # Pipelined: the enable is decided a cycle ahead from next-state values
        # (the FIFO and credit counters, about four LUT levels) into one register
        # per group beside the control, whose copies (a cycle later) sit by their
        # registers; each copy drives at most 1,024 registers.  (With one level,
        # the decision itself crossed the die: n = 64, P = 8, B = 9, 2.3 ns
        # logic, 9.8 ns routing.)
        return (*own,
                Path(name="enable decision to its group registers", adders=(), luts=4),
                Path(name="registered enable to its registers", adders=(),
                     fanout=design.stall.widest_copy))
    if design.streaming:
        # The streamed datapath runs a cycle behind its control: the enable, from
        # the handshakes, reaches the control's registers and one registered copy
        # per lane, per output's readout and per delay line; each copy drives its
        # own registers.
        st = design.stream
        assert st is not None
        parts = {p.name: p for p in structure(design)}
        g = design.geometry
        lane = (parts["recurrent"].reg_bits + parts["update"].reg_bits) // st.lanes
        # with --reuse one readout (its ring) and the shared adders' two copies
        shared = 1 if st.reuse else g.outputs
        out = parts["readout"].reg_bits // shared
        lines = 1 if st.shared else sum(1 for s in st.stages if not s.across_lanes)
        copies = st.lanes + shared + (2 if st.reuse else 0) + lines + 1
        return (*own,
                Path(name="enable to the control and its copies", adders=(), luts=3,
                     fanout=copies + parts["top"].reg_bits),
                Path(name="registered enable to its registers", adders=(),
                     fanout=max(lane, out)))
    # The datapath stalls as one (input gaps, y backpressure): one enable, computed
    # from the handshakes, reaches every register.
    regs = sum(p.reg_bits for p in structure(design))
    return (*own, Path(name="stall enable to every register", adders=(), luts=2,
                       fanout=regs))


def _acc_operands(design: Design, row_terms: int) -> int:
    rec = len(design.recurrent_terms)
    if design.pipeline.constant_ahead:      # U x + constant arrive as one operand
        return rec + 1
    return rec + row_terms + 1              # + bias and rounding constant


def _parallel_paths(design: Design) -> tuple[Path, ...]:
    g = design.geometry
    out: list[Path] = []
    terms = max((len(r.input_terms) for r in design.update_rows), default=0)
    pg = design.product_graph
    chain: tuple[int, ...] = ()
    if pg is None:
        acc = _sum(_acc_operands(design, terms), g.AW)
    else:   # the product's adder chain, then the sum of it and the other operands
        chain = (max(nd.width for nd in pg.nodes),) * pg.max_depth
        acc = _sum(_acc_operands(design, terms) - len(design.recurrent_terms) + 1, g.AW)
        if not design.pipeline.product:       # no layer of its own: the chain leads acc
            acc, chain = chain + acc, ()
    # saturation: decisions read off the top bits (no carry chain), then the select;
    # with acc registered, the set decision follows the acc sum and the saturation
    # layer is the clear decision into the flip-flops' reset, a LUT deep
    flops = design.pipeline.acc_registered
    if g.dense:      # r as one dense sum per row, then acc and saturation
        out.append(Path(name="dense update", adders=(*_sum(g.m, g.RW), *acc), luts=3))
    elif g.ticks:    # one folded butterfly stage per tick: F-way operand muxes, one adder
        widest = max((s.width_out for s in design.stages), default=g.S)
        out.append(Path(name=f"folded butterfly tick (F = {g.fold})", adders=(widest,),
                        luts=1 + max(1, math.ceil(math.log2(g.fold)))))
        out.append(Path(name="update", adders=acc, luts=3))
    else:
        # the saturation layer (last) has no adder: its decisions are LUTs
        layers = [*((s.width_out,) for s in design.stages), *([chain] if chain else []), acc,
                  ()]
        bounds = (0, *design.pipeline.cuts, len(layers))
        for s, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
            adders = tuple(w for lay in layers[a:b] for w in lay)
            luts = ((1 if flops else 2) if b == len(layers) else  # clear, or decide and select
                    1 if flops and b == len(layers) - 1 else 0)   # the set decision
            out.append(Path(name=f"loop stage {s} (layers {a + 1}..{b})", adders=adders,
                            luts=luts))
    if design.input_tree is not None:
        out.append(Path(name="input product level",
                        adders=_sum(design.input_tree.group, g.input_product_width)))
        out.append(Path(name="input constant", adders=(g.AW,)))
    longest = max((len(r.terms) for r in design.readout_rows), default=0)
    graph = design.readout_graph
    if graph is not None:
        widest = max((nd.width for nd in graph.graph.nodes), default=g.OW)
        if design.pipelined:
            out.append(Path(name="readout stage", adders=(widest,) * graph.adders))
            out.append(Path(name="output to harness", adders=(), luts=1 + _harness(design)))
        else:
            out.append(Path(name="readout to harness",
                            adders=(widest,) * graph.graph.max_depth + (g.OW,),
                            luts=1 + _harness(design)))
    elif design.readout_tree is not None:
        # relu is applied before ho (from the update's rounded sum), the bias
        # is a leaf: each level is one adder
        group = design.readout_tree.group
        out.append(Path(name="readout level", adders=_sum(group, g.OW)))
        # the output FIFO's LUT-RAM read, then the harness
        out.append(Path(name="output to harness", adders=(), luts=1 + _harness(design)))
    else:
        out.append(Path(name="readout to harness", adders=_sum(longest + 1, g.OW),
                        luts=1 + _harness(design)))
    return tuple(out)


def _stream_paths(design: Design) -> tuple[Path, ...]:
    g, st = design.geometry, design.stream
    assert st is not None
    if st.shared is not None:
        # the phase's input (a k-way select), the adder, the output select
        k = len(st.stages)
        out = [Path(name="shared butterfly", adders=(st.shared.width,),
                    luts=1 + max(1, math.ceil(math.log2(k) / 2)))]
    else:
        out = [Path(name=f"butterfly stage {s.index}", adders=(s.width_out,),
                    luts=0 if s.across_lanes else 1) for s in st.stages]
    rg = st.registers
    # a table read is registered twice (Yosys moves the first register to a LUT
    # ROM's address), so its N:1 select is a cycle of its own: a 16:1 select is
    # one slice's LUT4s and muxes, each further factor 4 one level
    address = max(st.slices - 1, 1).bit_length()
    out.append(Path(name="ROM read", adders=(),
                    luts=1 + max(0, -(-(address - 4) // 2))))
    ru = st.reuse
    if ru is not None:
        # the shared adders' operands come from shift registers (one group down
        # per cycle): a group's gated U x terms are summed into a register, which
        # the slice's partial sum then adds
        widest = max(len(grp) for lv in ru.group_tree.levels for grp in lv)
        out.append(Path(name="U x group", adders=_sum(widest, g.input_product_width), luts=1))
        out.append(Path(name="U x accumulate", adders=(g.input_product_width,), luts=1))
    else:
        out.append(Path(name="a registered level of U x",
                        adders=_sum(max(len(grp) for lv in rg.ux.levels for grp in lv),
                                    g.input_product_width), luts=1))
    if design.product_graph is not None:
        out.append(Path(name="r / sqrt(2)", adders=(g.AW,) * design.product_graph.max_depth))
    else:
        out.append(Path(name="r / sqrt(2)", adders=_sum(len(design.recurrent_terms), g.AW)))
    out.append(Path(name="acc", adders=_sum(3, g.AW), luts=1))
    out.append(Path(name="saturate, relu", adders=(), luts=3))
    if ru is not None:
        # the phase's V weight, its Booth selects and the ring's head (or the start
        # value) into one sum
        out.append(Path(name="readout accumulate (Booth select, ring)",
                        adders=_sum(rg.readout.leaves + 1, g.OW), luts=2))
    else:
        first = max((len(grp) for lv in rg.readout.levels[:1] for grp in lv),
                    default=rg.readout.leaves)
        out.append(Path(name="Booth select, first readout level",
                        adders=_sum(first, g.S + 2), luts=1))
        out.append(Path(name="readout accumulate", adders=_sum(rg.readout.outputs + 1, g.OW),
                        luts=1))
    out.append(Path(name="output to harness", adders=(), luts=_harness(design)))
    return tuple(out)


def critical_path(design: Design, family: str, lut: float) -> tuple[Path, float]:
    """The slowest path and its delay in ns."""
    model = model_for(family)
    return max(((p, model.delay_ns(p, lut)) for p in paths(design)), key=lambda t: t[1])
