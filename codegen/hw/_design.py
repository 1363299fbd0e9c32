"""The hardware description of one design: geometry, widths, netlist, schedule.

:func:`describe` turns an IR and the emit options into a :class:`Design`, once.
Every target renders its records and the estimator analyses them; none of them
recomputes a width, a term or a cycle count.  Every signal is two's complement
and every sum is formed at one width wide enough for its exact result, so
modular wrap-around of partial sums never changes the answer (docs/arithmetic.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from model import DeploymentIR, datapath_widths

from ._cmvm import AdderGraph, Staged, stage_graph
from ._cmvm import scalar as scalar_product
from ._cmvm import solve as solve_matrix
from ._csd import Term, constant_terms, row_terms
from ._identifiers import sanitize_identifier
from ._network import (
    DenseRow,
    FoldedUnit,
    FoldWrite,
    Stage,
    butterfly_stages,
    dense_rows,
    folded_network,
)
from ._options import EmitOptions, check_options, sequence_steps
from ._pipeline import Pipeline, place_cuts
from ._readout import FAST_GROUP, GROUP, SumTree, input_tree, readout_tree, sum_tree, tree_group
from ._schedule import Schedule, schedule
from ._stall import Stall, stall_plan
from ._stream import Stream, stream_plan

#: Name of the top function / module every target exports.
TOP = "hadamrnn_top"


def stream_bits(bits: int) -> int:
    """A stream beat holding ``bits`` data bits: whole bytes, at least one."""
    return max(8, (bits + 7) // 8 * 8)


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Sizes and widths (bits) shared by every part of one design."""

    n: int                  #: hidden size
    m: int                  #: block size
    k: int                  #: log2 m, butterfly stages
    blocks: int             #: n / m diagonal blocks
    d: int                  #: input elements per step
    outputs: int
    S: int                  #: state width
    RW: int                 #: recurrent operand handed to the update: S + k
    stage_widths: tuple[int, ...]   #: output width of FWHT stage 1..k
    recurrent_width: int    #: the recurrent term after the sign (and 1/sqrt(2))
    input_product_width: int  #: U x, the widest row
    acc_width: int          #: the exact sum before rounding
    AW: int                 #: accumulator with room for the rounding constant: acc + 1
    QW: int                 #: the accumulator's bits kept by the rounding shift: AW - shift
    SW: int                 #: width at which saturation compares (at least S + 1)
    round_width: int        #: acc plus rounding constant, before the shift
    relu_width: int         #: relu(h), unsigned: S - 1
    OW: int                 #: output element width
    output_bias_width: int
    W: int                  #: input element width
    x_signed: bool
    XW: int                 #: x stream beat (bits)
    YW: int                 #: y stream beat (bits)
    shift: int              #: acc_frac - state_frac, the rounding shift
    round_half: int         #: rounding constant added before the shift (0: floor)
    shift_rec: int          #: acc_frac - recurrent_frac
    shift_in: int           #: acc_frac - input_frac
    state_max: int          #: symmetric saturation bound
    fold: int
    interleave: int
    dense: bool
    ticks: int              #: k * fold cycles of folded butterflies (0 when unfolded)
    TW: int                 #: width of the fold tick counter
    BW: int                 #: width of the interleave slot counters
    ring: int               #: state registers outside the pipeline: B - P + 1
    butterfly_units: int    #: butterflies working in one cycle (per stage)


@dataclass(frozen=True, kw_only=True)
class UpdateRow:
    """acc_i = constant + sign * (r_i x recurrent_terms) + U_i x, then round, saturate.

    ``bias`` is b_i in accumulator units; ``constant`` adds the rounding constant.
    ``input_terms`` are CSD terms over the inputs (unaligned: shift by shift_in)."""

    row: int
    sign: int
    bias: int
    constant: int
    input_terms: tuple[Term, ...]


@dataclass(frozen=True, kw_only=True)
class ReadoutRow:
    """y_o = bias + sum of CSD terms over relu(h)."""

    row: int
    bias: int
    terms: tuple[Term, ...]


@dataclass(frozen=True, kw_only=True)
class Memory:
    """Storage the design reads by address: ``words`` stored words of ``width``
    bits, a read-only table (``rom``) or a delay line (the streaming datapath)."""

    name: str
    words: int
    width: int
    rom: bool = False
    #: the Verilog target asks synthesis for block RAM (``rom_style`` /
    #: ``ram_style``), however short: the tables and delay lines of ``--reuse``
    #: designs, whose LUTs are what the smallest parts lack
    block: bool = False


#: In a design whose delay lines ask for block RAM, the shortest line that does
#: (rtl/hadamrnn_delay.v's g_block branch; shorter ones stay LUTs or flip-flops).
BLOCK_DELAY_MIN = 4


def delay_words(delay: int, *, block: bool = False) -> int:
    """Stored words of a ``delay``-element delay line (rtl/hadamrnn_delay.v): none up
    to two elements (flip-flops), else a circular buffer of delay - 1 words read
    before it is written, plus its output register; in block RAM (``block``,
    delay >= BLOCK_DELAY_MIN) delay - 2 words and two output registers."""
    if block and delay >= BLOCK_DELAY_MIN:
        return delay - 2
    return delay - 1 if delay > 2 else 0

@dataclass(frozen=True, kw_only=True)
class Rom:
    """A table indexed by state element: ``words[i]`` packs ``fields`` values of
    ``field_width`` bits (two's complement), field f at bits [f*w +: w]."""

    name: str
    field_width: int
    fields: int
    words: tuple[int, ...]

    @property
    def width(self) -> int:
        return self.field_width * self.fields

    def lane_words(self, lane: int, lanes: int) -> tuple[int, ...]:
        """Lane ``lane``'s part of every word when each word holds ``lanes``
        lanes' fields, lane l's at [l * width / lanes +: width / lanes]."""
        bits = self.width // lanes
        return tuple((w >> (lane * bits)) & ((1 << bits) - 1) for w in self.words)


def phase_table(stream: Stream, U: np.ndarray, V: np.ndarray, p_u: int, p_v: int) -> Rom:
    """``--reuse R``: the word of row r and phase s (address r * 2^FW + s, FW =
    ``Reuse.phase_bits``) holds element r's U weights of input group s (input
    group[t] at [t * p_u +: p_u]) and, above them, element r - lag's V weights
    of output group s (at [KX * p_u + t * p_v +: p_v]): the phase reads the U
    row it sums and the V column it accumulates in one word.  Element r's U row
    is summed in the slice where the V column of element r - lag is read (lag =
    ``Registers.v_address_offset - u_address_offset``); empty slots are 0."""
    ru = stream.reuse
    assert ru is not None
    rg = stream.registers
    n = stream.slices
    lag = (rg.v_address_offset - rg.u_address_offset) % n
    kx, ky = ru.inputs_per_cycle, ru.outputs_per_cycle
    span = 1 << ru.phase_bits
    words = []
    for r in range(n):
        for s in range(span):
            if s >= ru.factor:
                words.append(0)
                continue
            ins = list(ru.input_groups[s]) + [-1] * (kx - len(ru.input_groups[s]))
            u = pack_fields([int(U[r][j]) if j >= 0 else 0 for j in ins], p_u)
            v = pack_fields([int(V[o][(r - lag) % n]) if o >= 0 else 0
                             for o in ru.output_groups[s]], p_v)
            words.append(u | (v << (kx * p_u)))
    return Rom(name="uv", field_width=1, fields=kx * p_u + ky * p_v, words=tuple(words))


def booth_digits(bits: int) -> int:
    """Radix-4 Booth digits of a ``bits``-bit two's-complement weight."""
    return (bits + 1) // 2


def booth_digit_bits(bits: int, digit: int) -> tuple[int, int, int]:
    """Weight bits (high, middle, low; -1: a constant 0) of Booth digit ``digit``,
    worth -2*high + middle + low; bits above the sign repeat it."""
    return min(2 * digit + 1, bits - 1), min(2 * digit, bits - 1), 2 * digit - 1


def booth_correction(value: int, bits: int) -> int:
    """What the inverted-bits form of ``value``'s negative digits leaves out:
    the sum of 4^j over digits j whose high bit is set (the digit is then
    negative or zero, and its operand is ~(magnitude) = -(magnitude) - 1)."""
    word = value & ((1 << bits) - 1)
    return sum(4 ** j for j in range(booth_digits(bits))
               if (word >> booth_digit_bits(bits, j)[0]) & 1)


def pack_fields(values: list[int], width: int) -> int:
    mask = (1 << width) - 1
    return sum((int(v) & mask) << (f * width) for f, v in enumerate(values))


@dataclass(frozen=True, kw_only=True)
class Multiplier:
    """A true multiplier (none today: every product is shift-add)."""

    name: str
    a_width: int
    b_width: int


@dataclass(frozen=True, kw_only=True)
class Design:
    """One design: what every target renders and the estimator analyses."""

    name: str
    ident: str
    top: str
    ir: DeploymentIR
    options: EmitOptions
    geometry: Geometry
    stages: tuple[Stage, ...]
    fold_units: tuple[FoldedUnit, ...]
    fold_writes: tuple[tuple[FoldWrite, ...], ...]
    dense: tuple[DenseRow, ...]
    inv_sqrt2_terms: tuple[Term, ...]   #: lowest shift first; empty when log2 m is even
    recurrent_terms: tuple[Term, ...]   #: inv_sqrt2_terms, or the identity
    update_rows: tuple[UpdateRow, ...]
    readout_rows: tuple[ReadoutRow, ...]
    used_inputs: tuple[int, ...]        #: inputs some U weight reads
    used_states: tuple[int, ...]        #: states some V weight reads
    memories: tuple[Memory, ...]
    multipliers: tuple[Multiplier, ...]
    pipeline: Pipeline
    readout_tree: SumTree | None        #: registered readout of the pipelined designs
    #: ``--arith da``: da4ml's shared adder graph, cut into registered
    #: stages when pipelined (one stage holding everything when not)
    readout_graph: Staged | None
    #: ``--arith da`` at odd log2 m: r x inv_sqrt2 as da4ml's adder chain (one
    #: input, one output), built once and repeated per row
    product_graph: AdderGraph | None
    #: U x as registered partial sums over the stages before the acc layer
    #: (pipelined designs whose first cut lies before acc)
    input_tree: SumTree | None
    stream: Stream | None               #: the streaming plan (``--arch stream``)
    stall: Stall | None                 #: registered enables and output FIFO (pipelined)
    roms: tuple[Rom, ...]               #: tables the streaming datapath reads per element
    #: ``--reuse R``: the U and V tables as the phases read them (``phase_table``)
    phase_rom: Rom | None = None
    #: the streamed readout's start value per output: its bias plus the +1s of the
    #: negative Booth digits of its V row (``booth_correction``)
    readout_offsets: tuple[int, ...] = ()
    schedule: Schedule
    tb_sequences: int                   #: test-bench sequences (whole calls of B)
    tb_steps: int

    @property
    def folded(self) -> bool:
        return self.geometry.ticks > 0

    @property
    def booth_bits(self) -> tuple[tuple[int, int, int], ...]:
        """Per radix-4 Booth digit of a V weight: its (high, middle, low) bits."""
        bits = self.ir.output_weight_bits
        return tuple(booth_digit_bits(bits, j) for j in range(booth_digits(bits)))

    @property
    def streaming(self) -> bool:
        return self.stream is not None

    @property
    def block_delay_min(self) -> int:
        """The shortest delay line that goes to block RAM (when lines ask for it)."""
        return BLOCK_DELAY_MIN

    @property
    def pipelined(self) -> bool:
        return self.pipeline.depth > 1

    @property
    def datapath(self) -> str:
        return self.options.datapath

    @property
    def readout_levels(self) -> int:
        """Registered levels of the pipelined readout (0 when not pipelined)."""
        return _readout_levels(self.pipelined, self.readout_tree, self.readout_graph)


def _readout_levels(pipelined: bool, tree: SumTree | None, graph: Staged | None) -> int:
    if not pipelined:
        return 0
    if graph is not None:
        return graph.levels
    return tree.levels if tree else 0


def _geometry(ir: DeploymentIR, options: EmitOptions) -> Geometry:
    w = datapath_widths(ir)
    S = ir.state_format.width
    k = ir.log2_block
    d = ir.acc_frac - ir.state_format.frac
    AW = w.acc + 1
    dense = options.datapath == "dense"
    ticks = k * options.fold if (options.fold > 1 and k > 0 and not dense) else 0
    ob = max((abs(int(c)) for c in ir.output_bias), default=0)
    return Geometry(
        n=ir.hidden, m=ir.block_size, k=k, blocks=ir.num_blocks, d=ir.input_dim,
        outputs=ir.outputs, S=S, RW=S + k, stage_widths=tuple(w.stages),
        recurrent_width=w.recurrent, input_product_width=w.input_product, acc_width=w.acc,
        AW=AW, QW=AW - d, SW=max(AW - d, S + 1), round_width=max(w.acc, d) + 1,
        relu_width=w.relu - 1,
        OW=w.output, output_bias_width=max(2, ob.bit_length() + 1),
        W=ir.input_format.width, x_signed=ir.input_format.signed,
        XW=stream_bits(ir.input_dim * ir.input_format.width),
        YW=stream_bits(ir.outputs * w.output),
        shift=d, round_half=(1 << (d - 1)) if (d > 0 and ir.state_rounding == "half_up") else 0,
        shift_rec=ir.acc_frac - ir.recurrent_frac, shift_in=ir.acc_frac - ir.input_frac,
        state_max=ir.state_max, fold=options.fold, interleave=options.interleave, dense=dense,
        ticks=ticks, TW=max(ticks, 1).bit_length(),
        BW=max(options.interleave - 1, 1).bit_length(),
        ring=options.interleave - options.pipeline + 1,
        butterfly_units=max(ir.hidden // (2 * options.fold), 1))


def describe(ir: DeploymentIR, options: EmitOptions) -> Design:
    """Check the options, then compute the whole hardware description of ``ir``."""
    check_options(ir, options)
    return _describe(ir, options)


@lru_cache(maxsize=128)
def _describe(ir: DeploymentIR, options: EmitOptions) -> Design:
    g = _geometry(ir, options)
    sign = tuple(int(s) for s in ir.sign)
    stages = () if g.dense else butterfly_stages(g.n, g.m, g.S)
    units, writes = folded_network(stages, g.fold) if g.ticks else ((), ())
    inv = constant_terms(ir.inv_sqrt2) if ir.odd_log2 else ()
    product = None
    if options.arith == "da" and inv:
        half = 1 << (g.RW - 1)           # r: the transform's output, RW bits signed
        product = scalar_product(ir.inv_sqrt2, (-half, half - 1))
    U = np.asarray(ir.input_weight)
    V = np.asarray(ir.output_weight)
    rows = []
    for i in range(g.n):
        bias = int(ir.state_bias[i]) << g.shift   # b on the accumulator grid
        rows.append(UpdateRow(row=i, sign=sign[i], bias=bias, constant=bias + g.round_half,
                              input_terms=row_terms(int(v) for v in U[i])))
    readout = tuple(ReadoutRow(row=o, bias=int(ir.output_bias[o]),
                               terms=row_terms(int(v) for v in V[o]))
                    for o in range(g.outputs))
    b = options.interleave
    # with x 1/sqrt(2) as an adder chain, that chain is a layer of its own
    chain = product.max_depth if product and options.pipeline > 1 else 0
    cut_bits = ([g.n * w for w in g.stage_widths] + ([g.n * g.AW] if chain else [])
                + [g.n * g.QW, g.n * g.S])
    pipeline = place_cuts(g.k, options.pipeline, cut_bits, product=chain)
    if pipeline.depth > 1:
        # U x and the acc constant arrive as one operand (acc: the 1/sqrt(2) terms
        # or r, plus that); the U x tree gets as many stages ahead of the loop as
        # its groups need, so it is no slower than the loop
        # (with the product's own layer, acc adds two operands)
        group = tree_group(pipeline.stage_adders(1 + (1 if chain else len(inv or (1,)))))
        need = sum_tree([[t.sign for t in r.input_terms] for r in rows], group).levels + 1
        pipeline = replace(pipeline, pre=max(0, need - pipeline.x_delay))
        # the templates and the estimator rely on it: a pipelined design always
        # computes U x and the constant ahead
        assert pipeline.constant_ahead
    else:
        group = GROUP
    relu_max = (1 << (g.S - 1)) - 1

    def leaves(row: ReadoutRow) -> list[tuple[int, int]]:
        """(sign, largest magnitude) of each readout leaf: relu(h) << shift, then
        the bias (sign +1, its own value)."""
        return ([(t.sign, relu_max << t.shift) for t in row.terms]
                + ([(1, row.bias)] if row.bias else []))

    graph = None
    used = [int(i) for i in np.flatnonzero(np.any(V != 0, axis=0))]
    if options.arith == "da" and used:
        # graph input i is relu(h) of the i-th used state
        solved = solve_matrix(V[:, used], (0, relu_max))
        # per stage: as many adders in series as the loop's deepest stage has
        graph = stage_graph(solved, 1 if group == FAST_GROUP else 2) \
            if options.pipeline > 1 else stage_graph(solved, max(solved.max_depth, 1))
    tree = (readout_tree([leaves(r) for r in readout], group)
            if options.pipeline > 1 and graph is None else None)
    levels = _readout_levels(options.pipeline > 1, tree, graph)
    in_tree = (input_tree([[t.sign for t in r.input_terms] for r in rows],
                          pipeline.input_levels, group)
               if pipeline.input_ahead else None)
    stream = roms = stall = phase_rom = None
    used_inputs = tuple(int(j) for j in np.flatnonzero(np.any(U != 0, axis=0)))
    offsets: tuple[int, ...] = ()
    memories: tuple[Memory, ...] = ()
    if options.pipeline > 1:    # pipelined: registered enables, readout into a FIFO
        stall = stall_plan(
            pipeline=pipeline, stage_bits={st.index: g.n * st.width_out for st in stages},
            acc_bits=g.n * g.QW, input_tree=in_tree, input_width=g.input_product_width,
            constant_width=g.AW,
            n=g.n, state_width=g.S, ring=g.ring, readout_levels=levels,
            product_bits=g.n * g.AW)
        memories = (Memory(name="y_fifo", words=stall.fifo_depth,
                           width=g.outputs * g.OW + 2),)
    if options.arch == "stream":
        lanes = options.lanes
        p_u, p_v = ir.input_weight_bits, ir.output_weight_bits
        stream = stream_plan(n=g.n, m=g.m, state_width=g.S, interleave=b, lanes=lanes,
                             ux_terms=max(1, len(used_inputs) * min(g.W, p_u)),
                             booth_digits=booth_digits(p_v), reuse=options.reuse,
                             inputs=tuple(range(g.d)), outputs=g.outputs,
                             terms_per_input=min(g.W, p_u))
        # the readout starts from its bias plus the +1s of every negative Booth
        # digit (the datapath adds the digit's inverted bits)
        offsets = tuple(int(ir.output_bias[o]) + sum(booth_correction(int(v), p_v)
                                                      for v in V[o])
                        for o in range(g.outputs))
        slices = range(stream.slices)

        def word(values, e: int, width: int) -> int:  # type: ignore[no-untyped-def]
            """Slice e's word: lane l (element e*L + l) at [l*fields*width +: ...]."""
            return pack_fields([v for lane in range(lanes) for v in values(e * lanes + lane)],
                               width)

        roms = (
            Rom(name="u", field_width=p_u, fields=g.d * lanes,
                words=tuple(word(lambda i: list(U[i]), e, p_u) for e in slices)),
            Rom(name="v", field_width=p_v, fields=g.outputs * lanes,
                words=tuple(word(lambda i: list(V[:, i]), e, p_v) for e in slices)),
            Rom(name="sb", field_width=g.S + 1, fields=lanes,
                words=tuple(word(lambda i: [int(ir.state_bias[i]) * 2 + (sign[i] < 0)], e,
                                 g.S + 1) for e in slices)),
        )
        block = stream.reuse is not None
        phase_rom = phase_table(stream, U, V, p_u, p_v) if block else None
        lines = [("state", stream.state_delay, g.S * lanes),
                 *((f"sdf{s.index}", s.delay, s.width_out * lanes)
                   for s in (() if stream.shared else stream.stages))]
        memories = (
            *(Memory(name=f"rom_{r.name}", words=stream.slices, width=r.width, rom=True,
                     block=block)
              for r in roms if phase_rom is None or r.name == "sb"),
            *((Memory(name="rom_uv", words=len(phase_rom.words), width=phase_rom.width,
                      rom=True, block=True),) if phase_rom is not None else ()),
            *(Memory(name=name, words=delay_words(delay, block=block), width=width,
                     block=block and delay >= BLOCK_DELAY_MIN)
              for name, delay, width in lines if delay_words(delay)),
            # one memory for the shared butterfly's delay lines
            *((Memory(name="sdf", words=stream.shared.words, width=stream.shared.width,
                      block=True),) if stream.shared else ()))
    return Design(
        name=ir.name, ident=sanitize_identifier(ir.name), top=TOP, ir=ir, options=options,
        geometry=g, stages=stages, fold_units=units, fold_writes=writes,
        dense=dense_rows(g.n, g.m, sign) if g.dense else (),
        inv_sqrt2_terms=inv, recurrent_terms=inv or (Term(var=0, shift=0, sign=1),),
        update_rows=tuple(rows), readout_rows=readout,
        used_inputs=used_inputs,
        used_states=tuple(int(i) for i in np.flatnonzero(np.any(V != 0, axis=0))),
        memories=memories, multipliers=(), pipeline=pipeline, stream=stream, stall=stall,
        readout_tree=tree, readout_graph=graph, product_graph=product, input_tree=in_tree,
        roms=roms or (), phase_rom=phase_rom, readout_offsets=offsets,
        schedule=schedule(k=g.k, fold=g.fold, interleave=b, dense=g.dense,
                          pipeline=options.pipeline + pipeline.pre, stream=stream, n=g.n,
                          readout_stages=levels,
                          output_fifo=stall is not None),
        tb_sequences=-(-options.tb_sequences // b) * b,
        tb_steps=sequence_steps(ir, options.tb_steps))
