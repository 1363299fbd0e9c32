"""An analysis over the hardware description: primitive counts per module.

:func:`structure` reads the same :class:`codegen.hw.Design` records the Verilog
target prints (docs/schedule.md: ``hadamrnn_recur``, ``hadamrnn_update``,
``hadamrnn_readout``, ``hadamrnn_top``) and counts primitive quantities:
two-operand adder bits, bits entering multi-operand sums, mux bits by fan-in,
small-logic bits, flip-flops.  It never renders text, so it takes milliseconds
even for n = 256.  ``estimate`` turns these counts into LUT / FF / CARRY with
per-family coefficients fitted to Yosys (docs/estimates.md).

Why two kinds of adders: Yosys maps ``a + b`` to one carry chain (one LUT per
bit), but a sum of three or more operands (a CSD shift-add row) becomes a
``$macc`` cell built as a carry-save tree: its cost follows the number of
operand bits entering it (sign extension and shifts cost nothing), plus a final
carry chain at the result width.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from ..hw import Design, Memory, delay_words


@dataclass(kw_only=True)
class Part:
    """One module of the design: primitive counts."""

    name: str
    detail: str = ""
    add2_bits: int = 0         #: bits of two-operand adders / subtractors
    sum_bits: int = 0          #: bits entering sums of >= 3 operands (see :meth:`sum`)
    sum_out_bits: int = 0      #: result bits of those sums (final carry chains)
    #: bits entering the registered partial sums (>= 3 operands) of the pipelined
    #: parallel design's trees: U x ahead of the loop and the readout
    tree_bits: int = 0
    dense_bits: int = 0        #: carry-save bits of the dense +-1 rows: (m - 2) x (S + k)
    dense_out_bits: int = 0    #: their final adders: S + k bits per row
    mux_bits: int = 0          #: operand-select bits x (F - 1): one 2:1 level per extra way
    wreg_bits: int = 0         #: folded working-register bits (their write select, enable)
    sel_bits: int = 0          #: 2:1 selects of the streaming datapath (delay lines, relu, acc)
    logic_bits: int = 0        #: comparisons against constants
    relu_bits: int = 0         #: relu (clear on the sign bit) feeding the readout sums
    state_bits: int = 0        #: state register bits with their clear / shift select
    reg_bits: int = 0          #: flip-flops
    unread_bits: int = 0       #: of those, bits nothing reads (removed when flattened)
    ram_units: int = 0         #: distributed-RAM delay lines: ceil(words / 32) x width
    rom_units: int = 0         #: LUT ROMs: ceil(words / 64) x width
    adders: int = 0            #: two-input adders/subtractors (as docs/schedule.md counts)

    def add2(self, count: int, width: int) -> None:
        self.add2_bits += count * width
        self.adders += count

    def sum(self, operands: list[tuple[int, int, bool]], out_width: int, *,
            constant: bool = False, registered: bool = False) -> None:
        """A sum at ``out_width`` bits of ``(width, shift, signed)`` operands plus an
        optional constant.  A signed operand is sign-extended up to the result, so
        it brings ``out_width - shift`` bits into the carry-save tree; an unsigned
        (zero-extended) one only its ``width`` bits.  The constant is free.
        ``registered``: a partial sum of a pipelined tree (its own coefficient)."""
        t = len(operands) + int(constant)
        bits = [max(out_width - sh, w) if signed else w for w, sh, signed in operands]
        if t >= 3:
            if registered:
                self.tree_bits += sum(bits)
            else:
                self.sum_bits += sum(bits)
            self.sum_out_bits += out_width
        elif t == 2:
            self.add2_bits += max(bits) if bits else 0
        self.adders += max(t - 1, 0)

    def memory(self, mem: Memory) -> None:
        """A memory of the design in LUTs, when it is short enough
        (:data:`LUT_MEMORY_WORDS`); longer ones are block RAM, counted by
        ``memory_blocks`` from the same records."""
        if mem.words <= LUT_MEMORY_WORDS and not mem.block:
            if mem.rom:
                self.rom_units += -(-mem.words // 64) * mem.width
            else:
                self.ram_units += -(-mem.words // 32) * mem.width

    def sel(self, bits: int) -> None:
        self.sel_bits += bits

    def mux(self, fan_in: int, bits: int) -> None:
        """A ``fan_in``:1 select written as a chain of ``(tick == t) ? a :`` levels."""
        self.mux_bits += max(fan_in - 1, 0) * bits


#: Memories up to this many words stay in LUTs; longer ones go to block RAM.
LUT_MEMORY_WORDS = 128


def structure(design: Design) -> list[Part]:
    """The modules of ``design`` as primitive counts, read off its netlist.

    Cached per design: a board sweep asks the same question many times.  Returns
    fresh copies, so callers may not disturb the cache."""
    return [replace(p) for p in _structure(design)]


@lru_cache(maxsize=256)
def _structure(design: Design) -> tuple[Part, ...]:
    if design.stream is not None:
        return _stream_structure(design)
    g = design.geometry
    n, S, B = g.n, g.S, g.interleave
    parts: list[Part] = []

    # ---- hadamrnn_recur: FWHT butterflies (parallel or folded) or the dense baseline
    rec = Part(name="recurrent")
    if g.dense:
        # m unshifted operands sign-extended to RW: (m - 2) carry-save rows of RW
        # bits and a final RW-bit adder per row (m <= 2: the adder alone).
        for row in design.dense:
            t = len(row.terms)
            rec.dense_bits += max(t - 2, 0) * g.RW
            rec.dense_out_bits += g.RW if t > 1 else 0
            rec.adders += t - 1
        rec.detail = f"dense +-1: {n} rows of {g.m} terms at {g.RW} b"
    elif design.folded:
        for u in design.fold_units:
            rec.add2(2, u.width_in)
            rec.mux(len(u.pairs), 2 * u.width_in)  # operand select per unit input
        # Working registers w_i (RW bits): one write per stage, else hold.
        rec.reg_bits += len(design.fold_writes) * g.RW
        rec.wreg_bits += len(design.fold_writes) * g.RW
        rec.detail = (f"FWHT {g.k} stages x {g.butterfly_units} butterfly units, "
                      f"{g.fold}:1 operand muxes, {n} x {g.RW} b working registers")
    elif design.stages:
        for st in design.stages:
            rec.add2(2 * len(st.butterflies), st.width_in)  # a+b and a-b per butterfly
            if design.pipeline.registered(st.index):
                rec.reg_bits += 2 * len(st.butterflies) * st.width_out  # CE flip-flops
        rec.detail = f"FWHT {g.k} stages x {n // 2} butterflies, {S + 1}..{S + g.k} b"
        if design.pipelined:
            rec.detail += f", pipeline cuts {list(design.pipeline.cuts)}"
    else:
        rec.detail = "m = 1: no butterflies"
    parts.append(rec)

    # ---- hadamrnn_update: acc_i = +-r_i (x inv_sqrt2 as CSD) + U x + const; saturate
    upd = Part(name="update")
    u_digits = 0
    # pipelined: U x and the constant are computed ahead and arrive as one operand
    folded = design.pipeline.constant_ahead
    ipw = g.input_product_width
    pg = design.product_graph
    for row in design.update_rows:
        ops = [(g.RW, t.shift + g.shift_rec, True) for t in design.recurrent_terms]
        if pg is not None:
            # r x inv_sqrt2 as an adder chain, then one operand of the acc sum
            for nd in pg.nodes:
                upd.add2(1, nd.adder_bits)
            ops = [(g.AW, 0, True)]
        if folded:
            ops += [(g.AW, 0, True)] if (row.input_terms or row.constant) else []
            upd.sum([(g.W, t.shift, g.x_signed) for t in row.input_terms], ipw,
                    registered=True)
            if row.constant:
                upd.add2(1, g.AW)                    # U x + constant, on its way
        else:
            ops += [(g.W, t.shift + g.shift_in, g.x_signed) for t in row.input_terms]
        u_digits += len(row.input_terms)
        upd.sum(ops, g.AW, constant=row.constant != 0 and not folded)
    if design.input_tree is not None:        # U x as registered partial sums
        upd.reg_bits += ipw * design.input_tree.registers
    # two comparisons against +-smax, the select (registered acc: the decisions, the
    # selects are the flip-flops' set and reset)
    upd.logic_bits += n * (2 * g.SW + S)
    if design.pipeline.acc_registered:
        upd.reg_bits += n * g.QW             # the kept accumulator bits, registered
    if design.pipeline.product_registered:
        upd.reg_bits += n * g.AW             # r x inv_sqrt2, registered
    inv = len(design.inv_sqrt2_terms)
    if pg is not None:
        inv_text = f", inv_sqrt2 as {len(pg.nodes)} adders (da4ml)"
    else:
        inv_text = f", inv_sqrt2 {inv} digits" if inv else ""
    upd.detail = (f"{u_digits} U digits{inv_text}"
                  f", {n} rows at {g.AW} b, saturate at {g.SW} b")
    parts.append(upd)

    # ---- hadamrnn_readout: y_o = sum CSD(V_oi) relu(h_i) + c_o
    rd = Part(name="readout")
    v_digits = 0
    tree = design.readout_tree
    graph = design.readout_graph
    if graph is not None:
        # da4ml's adder graph: each node one two-input adder over the bits where
        # both operands can be non-zero; the outputs add their bias (or subtract)
        for nd in graph.graph.nodes:
            rd.add2(1, nd.adder_bits)
        rd.add2(graph.graph.output_adders([r.bias for r in design.readout_rows]), g.OW)
        if design.pipelined:
            rd.reg_bits += graph.register_bits + g.outputs * g.OW
    for o, out in enumerate(design.readout_rows if graph is None else ()):
        v_digits += len(out.terms)
        if tree is None:
            # relu(h) >= 0 is zero-extended; a subtracted one enters as its
            # complement, which fills every bit above its shift
            ops = [(S - 1, t.shift, t.sign < 0) for t in out.terms]
            rd.sum(ops, g.OW, constant=out.bias != 0)
            continue
        # the registered tree: each node sums its group (level 0: terms and the bias
        # leaf) at the width of its range
        for level, groups in enumerate(tree.outputs[o]):
            for gi, grp in enumerate(groups):
                w = tree.width(o, level, gi, g.OW)
                rd.reg_bits += w
                if level == 0:
                    terms = [i for i in grp if i < len(out.terms)]
                    rd.sum([(S - 1, 0, False)] * len(terms), w,
                           constant=len(terms) < len(grp), registered=True)
                elif len(grp) > 1:
                    rd.sum([(tree.width(o, level - 1, i, g.OW), 0, True) for i in grp], w,
                           registered=True)
        if tree.root_sign(o) < 0:            # the root holds -y: one negation
            rd.add2(1, g.OW)
    used = len(design.used_states)
    if design.pipeline.acc_registered:
        rd.relu_bits += used                 # relu: ho's synchronous reset, one net a row
    else:
        rd.relu_bits += used * (S - 1)       # relu: clear on the sign bit
    rd.reg_bits += 3 * design.readout_levels  # the tree's valid, last, final flags
    rd.detail = f"{v_digits} V digits, {g.outputs} sums at {g.OW} b, {used} relu"
    if graph is not None:
        rd.detail = (f"da4ml graph: {len(graph.graph.nodes)} adders for "
                     f"{sum(len(r.terms) for r in design.readout_rows)} V digits, "
                     f"{g.outputs} outputs at {g.OW} b, {used} relu")
    parts.append(rd)

    # ---- hadamrnn_top: x register, B state registers, ho, control
    top = Part(name="top")
    # (hierarchy kept: every bit a module port carries stays, used or not)
    top.reg_bits += g.d * g.W                # x_reg
    top.reg_bits += g.ring * n * S           # hq_0 .. hq_{B-P}: states outside the pipeline
    top.reg_bits += n * (S - 1 if design.stall else S)   # ho (pipelined: relu(h), S - 1 b)
    top.reg_bits += 8 + (2 * g.BW if B > 1 else 0)
    top.reg_bits += g.ticks.bit_length() if g.ticks else 0
    if design.input_tree is not None:        # U x on its way after its tree
        # the last one holds U x plus the constant on the accumulator grid
        after = design.pipeline.x_stages - design.input_tree.levels
        top.reg_bits += (after - 1) * n * ipw + n * g.AW
    top.reg_bits += 4 * design.pipeline.flag_stages      # valid, last, group end, due
    if design.stall is not None:             # registered enable copies, output FIFO
        st = design.stall
        top.reg_bits += st.copies + st.first_level   # enable and reset registers, 2 levels
        top.reg_bits += g.d * g.W + 2          # the beat and ho's flags, a cycle late
        top.reg_bits += 2 * st.address_bits + 2 * (st.address_bits + 1)  # pointers, counts
        for mem in design.memories:
            top.memory(mem)
    top.unread_bits += (g.d - len(design.used_inputs)) * g.W + (n - used) * S
    if design.stall is None:                 # clear on start / x_last, shift between slots
        top.state_bits += g.ring * n * S     # (pipelined: the flip-flops' synchronous reset)
    top.detail = f"{B} x {n} x {S} b state, ho {n} x {S} b, x {g.d} x {g.W} b, control"
    parts.append(top)
    return tuple(parts)


def _stream_structure(design: Design) -> tuple[Part, ...]:
    """The streaming datapath (docs/schedule.md): one element per cycle."""
    g, st = design.geometry, design.stream
    assert st is not None
    ir = design.ir
    p_u = ir.input_weight_bits
    mems = _memories(design)

    L = st.lanes
    rec = Part(name="recurrent")
    rec.logic_bits += g.S * L                # a fresh sequence's state reads as 0
    rec.reg_bits += g.S * L                  # the entry registers
    sh = st.shared
    if sh is not None:
        # one butterfly: the phase's input (a k-way select), a sum and a difference,
        # the output and delay-line selects; its stage registers, the last one's
        # copy, the memory's read (one register inside the block), the write's
        # data and the address pipeline
        k = len(st.stages)
        rec.add2(2, sh.width)
        rec.mux(k, sh.width)
        rec.sel(2 * sh.width)
        rec.logic_bits += 2 * k + sh.address_width     # phase decodes, the read address
        rec.reg_bits += (sum(sd.width_out for sd in st.stages) + st.stages[-1].width_out
                         + 2 * sh.width + 3 * sh.address_width + 1)
        rec.memory(mems["sdf"])
        rec.detail = (f"one butterfly for {k} stages at {sh.width} b, delay lines in one "
                      f"memory of {sh.words} words")
    for sd in (() if sh is not None else st.stages):
        rec.add2(2 * L if not sd.across_lanes else L, sd.width_out)   # sums and differences
        rec.reg_bits += sd.width_out * L
        if not sd.across_lanes:
            rec.sel(2 * sd.width_out * L)    # delay-line input and output selects
            _delay_line(rec, mems.get(f"sdf{sd.index}"), sd.delay, sd.width_out * L)
    if sh is None:
        rec.detail = (f"{len(st.stages)} butterfly stages x {L} lane(s), delays "
                      f"{[sd.delay for sd in st.stages]}")
    upd = Part(name="update")
    ipw = g.input_product_width
    rg = st.registers
    ru = st.reuse
    pg = design.product_graph
    for _ in range(L):
        if pg is not None:                   # x 1/sqrt(2): da4ml's chain
            for nd in pg.nodes:
                upd.add2(1, nd.adder_bits)
        else:
            upd.sum([(g.RW, t.shift + g.shift_rec, True) for t in design.recurrent_terms], g.AW)
        # U x: the terms (weights gated by input bits, or inputs by weight bits)
        # in registered groups; with --reuse one group's terms per cycle into the
        # slice's partial sum (the inputs picked by the phase)
        if ru is not None:
            # a group's terms in registered levels of four, then the slice's
            # partial sum; the beat turns one group per cycle (a load-or-turn
            # select); the U group comes from the phase table
            for level in ru.group_tree.levels:
                for grp in level:
                    upd.sum([(ipw, 0, True)] * len(grp), ipw)
                    upd.reg_bits += ipw
            upd.add2(1, ipw)
            upd.mux(2, ru.factor * ru.inputs_per_cycle * g.W)
            upd.reg_bits += 2 * ipw
        for level in rg.ux.levels if ru is None else ():
            for grp in level:
                upd.sum([(ipw, 0, True)] * len(grp), ipw)
                upd.reg_bits += ipw
        # the sign inverts, its +1 in U x's empty low bit (else negate or not);
        # bias and rounding half are one operand (else the half is a constant)
        if g.shift_in == 0:
            upd.add2(1, g.AW)
        upd.sum([(g.AW, 0, True), (ipw, g.shift_in, True), (g.S, g.shift, True)], g.AW,
                constant=g.shift_in == 0 and g.round_half != 0)
        upd.logic_bits += 2 * g.SW + g.S     # saturation
        upd.reg_bits += g.QW + g.AW          # kept acc bits, +-r/sqrt(2)
    # each table's read, then kept; a block RAM holds the first read register
    if design.phase_rom is not None:
        # --reuse: the phase table's word of two cycles on (its row and phase
        # picked from the slice index and the phase), read twice; the sign and bias
        assert ru is not None
        upd.reg_bits += design.phase_rom.width + design.roms[2].width
        upd.logic_bits += 2 * st.index_width + ru.phase_bits
        upd.memory(mems["rom_uv"])
    else:
        reads = 1 if mems["rom_u"].block else 2
        upd.reg_bits += reads * (design.roms[0].width + design.roms[2].width)
        upd.memory(mems["rom_u"])
    upd.memory(mems["rom_sb"])
    upd.detail = (f"{L} lane(s) per cycle, U rows of {g.d} x {p_u} b from ROM, "
                  + (f"U x over {ru.factor} cycles, {ru.inputs_per_cycle} input(s) each"
                     if ru else f"U x in {rg.ux.depth} registered level(s)"))
    rd = Part(name="readout")
    digits = len(design.booth_bits)
    if ru is not None:
        _shared_readout(rd, design, digits)
        return (rec, upd, rd, _stream_top(design))
    for _ in range(g.outputs):
        # Booth operands (a digit's 0 / relu / 2 relu select and bit inversion share
        # the first adder's LUTs), summed in registered groups of four, then the
        # accumulator adds the last level's (at most two) to itself
        widths = [g.S + 1 + 2 * j for _ in range(L) for j in range(digits)]
        for t, level in enumerate(rg.readout.levels):
            nxt = []
            for gi, grp in enumerate(level):
                w = min(rg.readout_widths[t][gi], g.OW)
                rd.sum([(widths[i], 0, True) for i in grp], w)
                rd.reg_bits += w
                nxt.append(w)
            widths = nxt
        rd.sum([(g.OW, 0, True)] + [(w, 0, True) for w in widths], g.OW)
        rd.sel(g.OW)                         # start value or accumulator at a step's first slice
    rd.relu_bits += (g.S - 1) * L
    rd.reg_bits += (g.S - 1) * L * g.outputs  # relu(h) registered, a copy per output
    rd.reg_bits += 2 * g.outputs * g.OW + 2 * design.roms[1].width
    rd.memory(mems["rom_v"])
    rd.detail = (f"{g.outputs} accumulators at {g.OW} b, {L} lane(s) x {digits} Booth "
                 f"operand(s) in {rg.readout.depth} registered level(s), V columns from ROM")
    return (rec, upd, rd, _stream_top(design))


def _shared_readout(rd: Part, design: Design, digits: int) -> None:
    """``--reuse R``: per cycle the phase's outputs (V weight and start value
    picked by the phase) add their Booth operands to the ring's head."""
    g, st = design.geometry, design.stream
    assert st is not None and st.reuse is not None
    ru = st.reuse
    for _ in range(ru.outputs_per_cycle):
        rd.sum([(g.OW, 0, True)] + [(g.S + 1 + 2 * j, 0, True) for j in range(digits)], g.OW)
        rd.sel(g.OW)                         # start value or the ring's head
        rd.logic_bits += g.OW                # the phase's start value (constants)
    rd.relu_bits += g.S - 1
    rd.reg_bits += g.S - 1                   # relu(h), one copy
    rd.reg_bits += (ru.factor * ru.outputs_per_cycle + g.outputs) * g.OW   # ring, y
    # the V group comes with the U group in the phase table's word (counted there)
    rd.detail = (f"one adder for {ru.outputs_per_cycle} output(s) a cycle, a ring of "
                 f"{ru.factor} x {ru.outputs_per_cycle} accumulators at {g.OW} b, "
                 f"{digits} Booth operand(s), V columns from ROM")


def _stream_top(design: Design) -> Part:
    g, st = design.geometry, design.stream
    assert st is not None
    L = st.lanes
    top = Part(name="top")
    dw = g.d * g.W
    top.reg_bits += dw + st.registers.records * (dw + 4) + st.index_width + g.interleave + 8 + (
        2 * g.BW if g.interleave > 1 else 0)
    if st.reuse is not None:
        top.reg_bits += 3 * st.reuse.phase_bits   # the phase, two copies
    _delay_line(top, _memories(design).get("state"), st.state_delay, g.S * L)
    top.detail = (f"ring of {g.interleave} x {st.slices} slices of {L}, state delay line "
                  f"{st.state_delay} x {g.S * L} b, {st.registers.records} step records"
                  + (f", slices held {st.reuse.factor} cycles" if st.reuse else ""))
    return top


def _memories(design: Design) -> dict[str, Memory]:
    return {m.name: m for m in design.memories}


def _delay_line(part: Part, mem: Memory | None, delay: int, width: int) -> None:
    """A delay line: its memory and output register (in block RAM the first of
    its two read registers is inside the block), or flip-flops when it is too
    short for one."""
    if delay_words(delay) and mem is not None:
        part.memory(mem)
        part.reg_bits += width   # the output register (in block RAM the first is inside)
    else:
        part.reg_bits += delay * width
