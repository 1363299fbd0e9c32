"""What besides the IR decides a design: the emit options, checked once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model import DeploymentIR, FlowError

from ._pipeline import max_depth

Datapath = Literal["hadamard", "dense"]
DATAPATHS: tuple[str, ...] = ("hadamard", "dense")
Arch = Literal["parallel", "stream"]
ARCHS: tuple[str, ...] = ("parallel", "stream")
Arith = Literal["csd", "da"]
#: csd: each constant product as its own CSD shift-add terms; da: da4ml adder
#: graphs (the readout's sums shared between outputs, x 1/sqrt(2) a minimal chain)
ARITHS: tuple[str, ...] = ("csd", "da")
MAX_INTERLEAVE = 64


@dataclass(frozen=True, kw_only=True)
class EmitOptions:
    """Everything besides the IR that decides the generated text."""

    target: str
    fold: int = 1
    interleave: int = 1
    part: str = "xc7z020clg400-1"
    clock_ns: float = 10.0
    datapath: Datapath = "hadamard"
    pipeline: int = 1
    arch: Arch = "parallel"
    lanes: int = 1
    #: R: cycles each slice of ``--arch stream`` is held; the U x and readout
    #: adders serve ceil(inputs / R) inputs and ceil(outputs / R) outputs per cycle
    #: (hls4ml's reuse factor)
    reuse: int = 1
    arith: Arith = "csd"
    tb_sequences: int = 16
    tb_steps: int | None = None
    tb_seed: int = 0


def valid_folds(ir: DeploymentIR) -> list[int]:
    """Fold factors F: powers of two dividing the hidden/2 butterflies of a stage."""
    half = max(ir.hidden // 2, 1)
    return [f for f in (1 << i for i in range(half.bit_length())) if half % f == 0]


def check_options(ir: DeploymentIR, options: EmitOptions) -> None:
    """Reject a schedule the datapath cannot implement (one line naming the option)."""
    if options.datapath not in DATAPATHS:
        raise FlowError(
            f"--datapath {options.datapath!r} is unknown; valid: {', '.join(DATAPATHS)}")
    folds = valid_folds(ir)
    if options.fold not in folds:
        raise FlowError(
            f"--fold {options.fold} does not divide the {max(ir.hidden // 2, 1)} butterflies "
            f"of a stage (hidden/2); valid folds: {', '.join(map(str, folds))}")
    if options.datapath == "dense" and options.fold != 1:
        raise FlowError(f"--datapath dense is built unfolded; use --fold 1, got {options.fold}")
    if options.arch not in ARCHS:
        raise FlowError(f"--arch {options.arch!r} is unknown; valid: {', '.join(ARCHS)}")
    if options.arith not in ARITHS:
        raise FlowError(f"--arith {options.arith!r} is unknown; valid: "
                        f"{', '.join(ARITHS)}")
    if options.arith == "da" and options.arch == "stream" and options.target == "vitis":
        raise FlowError("--arith da applies to the streamed datapath of --target verilog "
                        "(the Vitis stream writes x 1/sqrt(2) as CSD shift-adds)")
    if options.arch == "stream":
        _check_stream(ir, options)
    elif options.lanes != 1:
        raise FlowError("--lanes applies to --arch stream only")
    elif options.reuse != 1:
        raise FlowError("--reuse applies to --arch stream only")
    depth = max_depth(ir.log2_block, product=options.arith == "da" and ir.odd_log2)
    if options.pipeline != 1:
        if options.datapath != "hadamard" or options.fold != 1:
            raise FlowError(f"--pipeline {options.pipeline} needs the unfolded hadamard datapath "
                            "(--fold 1, --datapath hadamard)")
        if not 1 <= options.pipeline <= depth:
            raise FlowError(f"--pipeline {options.pipeline} must be in [1, {depth}] "
                            f"({depth} layers for m = {ir.block_size})")
        if options.interleave < options.pipeline:
            raise FlowError(f"--interleave {options.interleave} must be >= --pipeline "
                            f"{options.pipeline}: the loop holds one sequence per stage")
    if not 1 <= options.interleave <= MAX_INTERLEAVE:
        raise FlowError(
            f"--interleave {options.interleave} must be in [1, {MAX_INTERLEAVE}]")
    if not 0.5 <= options.clock_ns <= 1000:
        raise FlowError(f"--clock-ns {options.clock_ns} must be in [0.5, 1000]")
    if options.tb_sequences < 1:
        raise FlowError(f"--tb-sequences {options.tb_sequences} must be >= 1")
    if options.tb_steps is not None and not 1 <= options.tb_steps <= MAX_STEPS:
        raise FlowError(f"--tb-steps {options.tb_steps} must be in [1, {MAX_STEPS}]")


def _check_stream(ir: DeploymentIR, options: EmitOptions) -> None:
    from ._stream import stream_plan

    lanes, n = options.lanes, ir.hidden
    if lanes & (lanes - 1) or not 1 <= lanes <= max(n // 2, 1):
        raise FlowError(f"--lanes {lanes} must be a power of two in [1, {max(n // 2, 1)}] "
                        f"(n = {n})")
    if options.fold != 1 or options.pipeline != 1 or options.datapath != "hadamard":
        raise FlowError("--arch stream takes no --fold, --pipeline or --datapath dense")
    if options.reuse != 1:
        most = max(ir.input_dim, ir.outputs)
        if not 1 <= options.reuse <= most:
            raise FlowError(f"--reuse {options.reuse} must be in [1, {most}] (the larger of "
                            f"{ir.input_dim} inputs and {ir.outputs} outputs)")
        if lanes != 1:
            raise FlowError(f"--reuse {options.reuse} needs --lanes 1 (a slice of one element "
                            "held R cycles)")
    plan = stream_plan(n=n, m=ir.block_size, state_width=ir.state_format.width,
                       interleave=options.interleave, lanes=lanes)
    if options.interleave < plan.min_interleave:
        raise FlowError(
            f"--arch stream needs --interleave >= {plan.min_interleave} here: the transform "
            f"and update take {plan.update_latency} cycles, a step {plan.slices}")


#: Longest sequence a test bench or a latency figure is drawn for.
MAX_STEPS = 100_000
#: Steps per sequence when neither the options nor the IR's meta data say.
DEFAULT_STEPS = 16
#: Keys of ``ir.meta`` that give the task's sequence length, in order of preference.
STEP_KEYS: tuple[str, ...] = ("steps", "seq_len", "sequence_length", "T")


def sequence_steps(ir: DeploymentIR, requested: int | None = None) -> int:
    """Time steps per sequence for test benches and latency figures: ``requested``
    when given, else the IR's meta data, else :data:`DEFAULT_STEPS`."""
    if requested is not None:
        return requested
    meta = ir.meta if isinstance(ir.meta, dict) else {}
    for key in STEP_KEYS:
        value = meta.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_STEPS:
            return value
    return DEFAULT_STEPS
