"""Resource, latency and throughput estimates of the generated Verilog design.

``estimate(ir, board=..., fold=..., interleave=...)`` describes the design
(codegen.hw) and costs every component of its netlist (``structure``) with
per-family coefficients that were
calibrated against Yosys on the emitted RTL (bench/bench_codegen_estimate.py,
docs/estimates.md), and applies the cycle formulas of docs/schedule.md.
Pure arithmetic on the IR: no rendering, no tools, well under a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model import DeploymentIR, FlowError

from ..hw import DATAPATHS, Design, EmitOptions, describe, sequence_steps, valid_folds
from ._boards import Board
from ._structure import Part, structure
from ._timing import critical_path

RESOURCES: tuple[str, ...] = ("lut", "ff", "bram36", "uram", "dsp")


#: The primitive quantities of :class:`codegen._estimate_model.Part` that cost LUTs.
FEATURES: tuple[str, ...] = ("add2", "sum", "sum_out", "dense", "dense_out", "mux", "wreg",
                             "logic", "relu", "state", "ram", "rom", "sel", "tree")


@dataclass(frozen=True, kw_only=True)
class Coefficients:
    """LUTs per unit of each feature on one device family (fitted to Yosys)."""

    lut: dict[str, float]   #: feature -> LUTs per bit
    lut_fixed: float        #: control, AXI handshakes, counters
    carry_bits: int         #: adder bits per carry cell (CARRY4: 4, SB_CARRY: 1)
    flattened: bool = False  #: the flow flattens (synth_ice40): unread flip-flops vanish


#: Fitted by ``bench/bench_codegen_estimate.py --fit`` (docs/estimates.md).
COEFFICIENTS: dict[str, Coefficients] = {
    "xc7": Coefficients(lut={"add2": 0.970, "sum": 0.968, "sum_out": 0.0, "dense": 0.817,
                             "dense_out": 0.765, "mux": 0.836, "wreg": 0.891, "logic": 0.066,
                             "relu": 1.236, "state": 0.998,
                             # streaming memories: RAM32M holds 32 x 6 bits in 4 LUTs, a
                             # 64-word ROM bit is one LUT6 (checked, not fitted, against the
                             # Yosys xc7 stream rows of bench/results/pnr_ecp5.json)
                             "ram": 0.67, "rom": 1.0,
                             # the streaming datapath's selects with their glue (delay-line
                             # addressing, record picks, per-lane index copies): least
                             # squares on three Yosys xc7 stream rows of
                             # bench/results/pnr_ecp5.json (n16, n64, copy200 at L = 1),
                             # the five others (L = 1 .. 16) held out: -12.9 .. +5.6 % on
                             # the final streaming RTL
                             "sel": 1.594,
                             # the pipelined parallel design's registered tree sums
                             # (U x ahead of the loop, the readout): least squares
                             # on four Yosys xc7 rows of bench/results/pnr_ecp5.json
                             # (n16 P3 and P6, n32 P7 da, the F8 copy model at P9),
                             # six held out: -6.6 .. +5.3 % (docs/estimates.md)
                             "tree": 0.650}, lut_fixed=20.7, carry_bits=4),
}
COEFFICIENTS["xcup"] = COEFFICIENTS["xc7"]
#: iCE40 (LUT4 + SB_CARRY): the xc7 fit scaled by 2173 / 1591 LUTs measured on one n = 16
#: design; not calibrated beyond that.
COEFFICIENTS["ice40"] = Coefficients(
    lut={**{k: v * 1.37 for k, v in COEFFICIENTS["xc7"].lut.items()},
         "ram": 0.0, "rom": 0.0},   # no LUT RAM: every memory goes to 4 Kb EBR
    lut_fixed=23.0, carry_bits=1, flattened=True)


@dataclass(frozen=True, kw_only=True)
class ComponentCost:
    name: str
    detail: str
    adders: int
    lut: float
    ff: float
    carry: float


@dataclass(frozen=True, kw_only=True)
class Timing:
    cycles_per_step: int      #: clock cycles between two accepted time steps (beats)
    sequences_per_call: int   #: B sequences processed by one call
    latency_cycles: int       #: cycles of one call (B sequences of T steps), docs/schedule.md
    #: the clock the design runs at: the requested target, or the estimated
    #: post-route clock when that is slower
    clock_ns: float
    target_ns: float          #: the requested clock period
    fmax_mhz: float           #: estimated post-route clock (codegen.estimate._timing)
    critical_path: str        #: the path that sets fmax_mhz
    steps: int                #: time steps per sequence

    @property
    def clock_mhz(self) -> float:
        return 1000.0 / self.clock_ns

    @property
    def steps_per_s(self) -> float:
        """Time steps (of all interleaved sequences together) per second."""
        return self.clock_mhz * 1e6 / self.cycles_per_step

    @property
    def latency_s(self) -> float:
        return self.latency_cycles * self.clock_ns * 1e-9

    @property
    def sequences_per_s(self) -> float:
        return self.sequences_per_call / self.latency_s if self.latency_cycles else 0.0


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """Resources and timing of one design on one board."""

    ir_name: str
    hidden: int
    block_size: int
    datapath: str
    fold: int
    interleave: int
    pipeline: int
    arch: str
    lanes: int
    arith: str
    board: Board
    components: tuple[ComponentCost, ...]
    lut: int
    ff: int
    carry: int
    bram36: float
    uram: int
    dsp: int
    timing: Timing
    reuse: int = 1

    @property
    def label(self) -> str:
        """Short name of the micro-architecture point."""
        if self.arch == "stream":
            reuse = f" R={self.reuse}" if self.reuse > 1 else ""
            return f"stream L={self.lanes}{reuse} B={self.interleave}"
        da = " da" if self.arith == "da" else ""
        if self.pipeline > 1:
            return f"P={self.pipeline}{da}"
        return f"F={self.fold}{da}"

    def used(self) -> dict[str, float]:
        return {"lut": self.lut, "ff": self.ff, "bram36": self.bram36, "uram": self.uram,
                "dsp": self.dsp}

    def available(self) -> dict[str, float]:
        b = self.board
        bram = b.bram36 if b.family != "ice40" else b.ebr4k / 9
        return {"lut": b.lut, "ff": b.ff, "bram36": bram, "uram": b.uram, "dsp": b.dsp}

    def utilization(self) -> dict[str, float]:
        """Percent of each resource; 0 % of nothing is 0, any use of nothing is inf."""
        out = {}
        for key, used in self.used().items():
            cap = self.available()[key]
            out[key] = 100.0 * used / cap if cap else (0.0 if used == 0 else math.inf)
        return out

    def fits(self) -> dict[str, bool]:
        return {k: v <= 100.0 for k, v in self.utilization().items()}

    @property
    def fits_all(self) -> bool:
        return all(self.fits().values())

    def to_json(self) -> dict[str, object]:
        t = self.timing
        return {
            "ir": self.ir_name, "hidden": self.hidden, "block_size": self.block_size,
            "datapath": self.datapath, "fold": self.fold, "interleave": self.interleave,
            "pipeline": self.pipeline, "arch": self.arch, "lanes": self.lanes,
            "reuse": self.reuse, "arith": self.arith, "board": self.board.key,
            "part": self.board.part,
            "resources": {k: round(v, 2) for k, v in self.used().items()},
            "carry": self.carry,
            "available": self.available(),
            "utilization_percent": {k: (round(v, 2) if math.isfinite(v) else None)
                                    for k, v in self.utilization().items()},
            "fits": self.fits(), "fits_all": self.fits_all,
            "timing": {
                "clock_ns": round(t.clock_ns, 3), "target_clock_ns": t.target_ns,
                "fmax_mhz_estimate": round(t.fmax_mhz, 1), "critical_path": t.critical_path,
                "steps_per_s": round(t.steps_per_s, 1),
                "cycles_per_step": t.cycles_per_step,
                "steps_per_sequence": t.steps, "latency_cycles": t.latency_cycles,
                "latency_us": round(t.latency_s * 1e6, 3),
                "sequences_per_s": round(t.sequences_per_s, 1),
            },
            "components": [
                {"name": c.name, "detail": c.detail, "adders": c.adders,
                 "lut": round(c.lut), "ff": round(c.ff), "carry": round(c.carry)}
                for c in self.components],
        }


def features(part: Part) -> dict[str, float]:
    """The primitive quantities the LUT coefficients multiply."""
    return {"add2": part.add2_bits, "sum": part.sum_bits, "sum_out": part.sum_out_bits,
            "dense": part.dense_bits, "dense_out": part.dense_out_bits,
            "mux": part.mux_bits, "wreg": part.wreg_bits,
            "logic": part.logic_bits, "relu": part.relu_bits, "state": part.state_bits,
            "ram": part.ram_units, "rom": part.rom_units, "sel": part.sel_bits,
            "tree": part.tree_bits}


def cost(part: Part, coef: Coefficients) -> ComponentCost:
    f = features(part)
    lut = sum(f[k] * coef.lut.get(k, 0.0) for k in FEATURES)
    carry = (part.add2_bits + part.sum_out_bits + part.dense_out_bits) / coef.carry_bits
    ff = part.reg_bits - (part.unread_bits if coef.flattened else 0)
    return ComponentCost(name=part.name, detail=part.detail, adders=part.adders, lut=lut,
                         ff=float(ff), carry=carry)


def timing(design: Design, *, family: str, lut: float, steps: int) -> Timing:
    """The closed-form schedule of docs/schedule.md at the slower of the requested
    clock and the estimated post-route clock of ``family``."""
    sched = design.schedule
    target = design.options.clock_ns
    path, delay = critical_path(design, family, lut)
    return Timing(cycles_per_step=sched.cycles_per_beat, sequences_per_call=sched.interleave,
                  latency_cycles=sched.call_cycles(steps), clock_ns=max(target, delay),
                  target_ns=target, fmax_mhz=1000.0 / delay, critical_path=path.name,
                  steps=steps)


#: Bits of one 36 Kb block RAM.
BRAM36_BITS = 36 * 1024


def memory_blocks(design: Design, family: str = "xc7") -> float:
    """36 Kb block RAMs of the design's memories.  Xilinx (and ECP5's 18 Kb
    DP16KD): those longer than the LUT-memory limit or marked ``block``, in whole
    18 Kb halves of their best aspect ratio (shorter ones are LUTs, counted in
    ``structure``).  iCE40 (no LUT RAM): every memory in 4 Kb EBRs, nine of them
    per 36 Kb."""
    from ._structure import LUT_MEMORY_WORDS

    if family == "ice40":
        ebr = sum(_blocks(m.words, m.width, EBR4K_SHAPES) for m in design.memories)
        return ebr / 9
    halves = sum(_blocks(m.words, m.width, BRAM18_SHAPES) for m in design.memories
                 if m.words > LUT_MEMORY_WORDS or m.block)
    return halves / 2


#: (words, bits) shapes of an 18 Kb block RAM (simple dual port) and a 4 Kb EBR
BRAM18_SHAPES = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
EBR4K_SHAPES = ((256, 16), (512, 8), (1024, 4), (2048, 2))


def _blocks(words: int, width: int, shapes: tuple[tuple[int, int], ...]) -> int:
    """Blocks of the cheapest shape holding ``words`` x ``width`` bits."""
    return min(-(-words // d) * -(-width // w) for d, w in shapes)


def estimate(
    ir: DeploymentIR,
    *,
    board: Board,
    fold: int = 1,
    interleave: int = 1,
    clock_ns: float = 10.0,
    datapath: str = "hadamard",
    steps: int | None = None,
    pipeline: int = 1,
    arch: str = "parallel",
    lanes: int = 1,
    arith: str = "csd",
    reuse: int = 1,
) -> Estimate:
    """Estimate the Verilog design of ``ir`` for one schedule on ``board``."""
    options = EmitOptions(target="verilog", fold=fold, interleave=interleave, arch=arch,  # type: ignore[arg-type]
                          lanes=lanes, arith=arith, reuse=reuse,  # type: ignore[arg-type]
                          part=board.part, clock_ns=clock_ns, pipeline=pipeline,
                          datapath=datapath)  # type: ignore[arg-type]
    if steps is not None and steps < 1:
        raise FlowError(f"--steps {steps} must be >= 1")
    return estimate_design(describe(ir, options), board=board, steps=steps)


def estimate_design(design: Design, *, board: Board, steps: int | None = None) -> Estimate:
    """Cost one hardware description on ``board``: LUT/FF/CARRY from its netlist's
    primitive counts, BRAM from its memories, DSP from its multipliers."""
    ir, options = design.ir, design.options
    fold, interleave, datapath = options.fold, options.interleave, options.datapath
    coef = COEFFICIENTS[board.family]
    comps = tuple(cost(p, coef) for p in structure(design))
    lut = sum(c.lut for c in comps) + coef.lut_fixed
    ff = sum(c.ff for c in comps)
    carry = sum(c.carry for c in comps)
    return Estimate(
        ir_name=ir.name, hidden=ir.hidden, block_size=ir.block_size, datapath=datapath,
        fold=fold, interleave=interleave, pipeline=options.pipeline, arch=options.arch,
        lanes=options.lanes, arith=options.arith, reuse=options.reuse, board=board,
        components=comps,
        lut=round(lut), ff=round(ff), carry=round(carry),
        bram36=memory_blocks(design, board.family),
        uram=0, dsp=len(design.multipliers),
        timing=timing(design, family=board.family, lut=_size_lut(design, lut, coef),
                      steps=sequence_steps(ir, steps)))


def _size_lut(design: Design, lut: float, coef: Coefficients) -> float:
    """The design's size for the clock model, on the xc7 LUT scale it was fitted on."""
    if coef is COEFFICIENTS["xc7"]:
        return lut
    return sum(cost(p, COEFFICIENTS["xc7"]).lut for p in structure(design))


def sweep(
    ir: DeploymentIR, *, board: Board, interleave: int = 1, clock_ns: float = 10.0,
    datapath: str = "hadamard", steps: int | None = None,
) -> list[Estimate]:
    """One estimate per valid fold factor (the Pareto front's candidates)."""
    if datapath not in DATAPATHS:
        raise FlowError(f"--datapath {datapath!r} is unknown; valid: {', '.join(DATAPATHS)}")
    folds = valid_folds(ir) if datapath == "hadamard" and ir.log2_block > 0 else [1]
    return [estimate(ir, board=board, fold=f, interleave=interleave, clock_ns=clock_ns,
                     datapath=datapath, steps=steps) for f in folds]


def arch_points(ir: DeploymentIR, *, board: Board, clock_ns: float = 10.0,
                steps: int | None = None) -> list[Estimate]:
    """Every micro-architecture at its smallest interleave: each fold factor,
    each pipeline depth (B = P), both with CSD terms and, unfolded, with da4ml's
    adder graphs (``arith="da"``), and the streaming design at each lane count
    (B = its minimum), with one lane also at reuse factors 2, 4 and the larger of
    inputs and outputs."""
    from ..hw import max_depth, stream_plan

    points = sweep(ir, board=board, clock_ns=clock_ns, steps=steps)
    points.append(estimate(ir, board=board, clock_ns=clock_ns, steps=steps, arith="da"))
    if ir.log2_block > 0:
        for arith in ("csd", "da"):
            top = max_depth(ir.log2_block, product=arith == "da" and ir.odd_log2)
            points += [estimate(ir, board=board, pipeline=p, interleave=p, clock_ns=clock_ns,
                                steps=steps, arith=arith) for p in range(2, top + 1)]
    lanes = 1
    while lanes <= max(ir.hidden // 2, 1):
        b = stream_plan(n=ir.hidden, m=ir.block_size, state_width=ir.state_format.width,
                        interleave=1, lanes=lanes).min_interleave
        points.append(estimate(ir, board=board, arch="stream", lanes=lanes, interleave=b,
                               clock_ns=clock_ns, steps=steps))
        if lanes == 1:      # one lane, its slices held R cycles: the smallest designs
            most = max(ir.input_dim, ir.outputs)
            for reuse in sorted({r for r in (2, 4, most) if 2 <= r <= most}):
                points.append(estimate(ir, board=board, arch="stream", interleave=b,
                                       reuse=reuse, clock_ns=clock_ns, steps=steps))
        lanes *= 2
    return points


def pareto(points: list[Estimate]) -> list[Estimate]:
    """Estimates not dominated in (LUT, steps per second at the estimated clock),
    sorted by LUT."""
    ordered = sorted(points, key=lambda e: (e.lut, -e.timing.steps_per_s))
    front: list[Estimate] = []
    best = 0.0
    for e in ordered:
        if e.timing.steps_per_s > best:
            front.append(e)
            best = e.timing.steps_per_s
    return front
