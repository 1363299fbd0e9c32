"""cocotb bench of the streaming HadamRNN top (``hadamrnn_top``).

It drives any RTL with the contract's interface (the Verilog target, or the RTL
Vitis HLS exports from the vitis target): ap_ctrl_hs with ap_start held high,
AXI-Stream x with random valid gaps, AXI-Stream y with random backpressure.
Every output beat is compared with the integer reference (``model.run`` on the
IR copy in the project).  Settings come from the environment (see
:mod:`sim._rtl`); results go to the JSON file named by ``HRNN_RESULTS``.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from model import DeploymentIR, atomic_write, random_inputs, rounded, run, tb_inputs
from sim import Project, load_project

CLOCK_NS = 10


# ---------------------------------------------------------------- settings


@dataclass(frozen=True, kw_only=True)
class Settings:
    project: Path
    vectors: int
    seed: int
    max_steps: int
    valid_prob: float
    ready_prob: float
    results: Path | None

    @staticmethod
    def from_env() -> Settings:
        env = os.environ
        res = env.get("HRNN_RESULTS")
        return Settings(
            project=Path(env["HRNN_PROJECT"]),
            vectors=int(env.get("HRNN_VECTORS", "16")),
            seed=int(env.get("HRNN_SEED", "0")),
            max_steps=int(env.get("HRNN_MAX_STEPS", "12")),
            valid_prob=float(env.get("HRNN_VALID_PROB", "0.8")),
            ready_prob=float(env.get("HRNN_READY_PROB", "0.7")),
            results=Path(res) if res else None,
        )


def record(settings: Settings, key: str, value: dict[str, Any]) -> None:
    if settings.results is None:
        return
    data = json.loads(settings.results.read_text()) if settings.results.exists() else {}
    data[key] = value
    atomic_write(settings.results, json.dumps(data, indent=1, sort_keys=True).encode())


# ---------------------------------------------------------------- stimulus


@dataclass(frozen=True, kw_only=True)
class Call:
    """One ap_ctrl_hs call: B sequences of equal length, beats round-robin."""

    first_seq: int
    x: np.ndarray            #: (B, T, input_dim)
    y: np.ndarray            #: reference outputs, (B, T, outputs) or (B, outputs)


@dataclass(frozen=True, kw_only=True)
class Beat:
    data: int
    last: bool


@dataclass(frozen=True, kw_only=True)
class Expected:
    seq: int
    step: int
    values: tuple[int, ...]
    last: bool


def make_calls(ir: DeploymentIR, B: int, sequences: int, max_steps: int, seed: int,
               *, fixed_steps: int | None = None, all_extreme: bool = False) -> list[Call]:
    """Calls of B sequences each, drawn by ``model.tb_inputs`` (some sequences
    saturating); ``all_extreme`` draws every sequence from the range ends."""
    rng = np.random.default_rng(seed)
    calls = []
    for c in range((sequences + B - 1) // B):
        steps = fixed_steps or int(rng.integers(1, max_steps + 1))
        if all_extreme:
            x = random_inputs(ir, batch=B, steps=steps, seed=seed * 7919 + c, extreme=True)
        else:
            x = tb_inputs(ir, count=B, steps=steps, seed=seed * 7919 + c, first=c * B)
        calls.append(Call(first_seq=c * B, x=x, y=np.asarray(run(ir, x))))
    return calls


def saturation(ir: DeploymentIR, calls: list[Call]) -> tuple[int, dict[str, int]]:
    """Over every step the bench drove (reference): the state elements at
    +-state_max, and how often the rounded sum before saturation was above
    +state_max, exactly -state_max - 1 (the one value whose low bits already read
    -state_max but bit 0) or below it."""
    hit = 0
    counts = {"above": 0, "floor": 0, "below": 0}
    H = ir.state_max
    for call in calls:
        _, states = run(ir, call.x, return_states=True)
        hit += int(np.sum(np.abs(states) == H))
        for t in range(states.shape[1]):
            h = states[:, t - 1] if t else np.zeros_like(states[:, 0])
            q = rounded(ir, h, np.asarray(call.x)[:, t])
            counts["above"] += int(np.sum(q > H))
            counts["floor"] += int(np.sum(q == -H - 1))
            counts["below"] += int(np.sum(q < -H - 1))
    return hit, counts


def pack(values: np.ndarray, width: int) -> int:
    mask = (1 << width) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * width)
    return word


def unpack(word: int, count: int, width: int) -> tuple[int, ...]:
    out = []
    for i in range(count):
        v = (word >> (i * width)) & ((1 << width) - 1)
        out.append(v - (1 << width) if v >> (width - 1) else v)
    return tuple(out)


def call_beats(call: Call, width: int) -> list[Beat]:
    B, T, _ = call.x.shape
    return [Beat(data=pack(call.x[b, t], width), last=t == T - 1)
            for t in range(T) for b in range(B)]


def call_expected(call: Call, readout: str) -> list[Expected]:
    B, T, _ = call.x.shape
    if readout == "every":
        return [Expected(seq=call.first_seq + b, step=t, values=tuple(map(int, call.y[b, t])),
                         last=t == T - 1) for t in range(T) for b in range(B)]
    return [Expected(seq=call.first_seq + b, step=T - 1, values=tuple(map(int, call.y[b])),
                     last=True) for b in range(B)]


# ---------------------------------------------------------------- testbench


@dataclass
class Scoreboard:
    expected: deque[Expected] = field(default_factory=deque)
    checked: int = 0
    mismatches: int = 0
    first_mismatch: dict[str, Any] | None = None

    def compare(self, values: tuple[int, ...], last: bool) -> None:
        if not self.expected:
            self._fail({"seq": -1, "step": -1, "expected": None, "got": list(values),
                        "why": "unexpected output beat"})
            return
        exp = self.expected.popleft()
        self.checked += 1
        if exp.values != values or exp.last != last:
            self._fail({"seq": exp.seq, "step": exp.step, "expected": list(exp.values),
                        "got": list(values), "expected_last": exp.last, "got_last": last})

    def _fail(self, info: dict[str, Any]) -> None:
        self.mismatches += 1
        if self.first_mismatch is None:
            self.first_mismatch = info


class Testbench:
    """Driver (x), backpressure (y_TREADY), monitor (y, after ReadOnly), scoreboard."""

    def __init__(self, dut: Any, project: Project, *, seed: int) -> None:
        self.dut = dut
        self.project = project
        self.rng = random.Random(seed)
        self.scoreboard = Scoreboard()
        self.beats: deque[Beat] = deque()
        self._flush = False
        self.valid_prob = 1.0
        self.ready_prob = 1.0
        self.cycle = 0
        self.x_cycles: list[int] = []
        self.done_cycles: list[int] = []
        self.start_cycles: list[int] = []
        self.started = time.perf_counter()
        self.ow = int(project.interface["y_element_width"])
        self.outputs = project.ir.outputs
        cocotb.start_soon(Clock(dut.ap_clk, CLOCK_NS, unit="ns").start())
        dut.ap_start.value = 0
        dut.x_TVALID.value = 0
        dut.x_TDATA.value = 0
        dut.x_TLAST.value = 0
        dut.x_TKEEP.value = (1 << (int(project.interface["x_width"]) // 8)) - 1
        dut.x_TSTRB.value = (1 << (int(project.interface["x_width"]) // 8)) - 1
        dut.y_TREADY.value = 0
        self._tasks = [cocotb.start_soon(c()) for c in
                       (self._counter, self._driver, self._backpressure, self._monitor)]

    async def reset(self, cycles: int = 3, *, flush: bool = False) -> None:
        """ap_rst_n low for ``cycles``; ``flush`` also drops the beats not yet
        taken (the offered one included), as a master reset with the design would."""
        if flush:
            self.beats.clear()
            self._flush = True
        self.dut.ap_rst_n.value = 0
        for _ in range(cycles):
            await RisingEdge(self.dut.ap_clk)
        self.dut.ap_rst_n.value = 1

    async def _counter(self) -> None:
        while True:
            await RisingEdge(self.dut.ap_clk)
            await ReadOnly()
            self.cycle += 1
            if self.dut.ap_done.value == 1 and self.dut.ap_rst_n.value == 1:
                self.done_cycles.append(self.cycle)
            if (self.dut.ap_start.value == 1 and self.dut.ap_idle.value == 1
                    and self.dut.ap_rst_n.value == 1):
                self.start_cycles.append(self.cycle)

    async def _driver(self) -> None:
        """Drive x beats; a beat offered stays on the bus (AXI) until it is taken."""
        dut = self.dut
        offering = False
        await RisingEdge(dut.ap_clk)
        while True:
            if self._flush:
                offering, self._flush = False, False
            if not offering and self.beats and self.rng.random() < self.valid_prob:
                beat = self.beats[0]
                dut.x_TDATA.value = beat.data
                dut.x_TLAST.value = int(beat.last)
                offering = True
            dut.x_TVALID.value = int(offering)
            await ReadOnly()
            taken = offering and dut.x_TREADY.value == 1 and dut.ap_rst_n.value == 1
            await RisingEdge(dut.ap_clk)
            if taken and not self._flush:
                self.beats.popleft()
                self.x_cycles.append(self.cycle)
                offering = False

    async def _backpressure(self) -> None:
        while True:
            await RisingEdge(self.dut.ap_clk)
            self.dut.y_TREADY.value = int(self.rng.random() < self.ready_prob)

    async def _monitor(self) -> None:
        dut = self.dut
        while True:
            await RisingEdge(dut.ap_clk)
            await ReadOnly()
            if dut.ap_rst_n.value == 1 and dut.y_TVALID.value == 1 and dut.y_TREADY.value == 1:
                word = dut.y_TDATA.value.to_unsigned()
                self.scoreboard.compare(unpack(word, self.outputs, self.ow),
                                        bool(dut.y_TLAST.value == 1))

    def queue(self, calls: list[Call]) -> None:
        xw = int(self.project.interface["x_element_width"])
        for call in calls:
            self.beats.extend(call_beats(call, xw))
            self.scoreboard.expected.extend(call_expected(call, self.project.ir.readout))

    async def drain(self, limit: int) -> bool:
        """Wait until every queued beat went in and every expected beat came out."""
        for _ in range(limit):
            await RisingEdge(self.dut.ap_clk)
            if not self.beats and not self.scoreboard.expected:
                for _ in range(4):
                    await RisingEdge(self.dut.ap_clk)
                return True
        return False

    def kill(self) -> None:
        for t in self._tasks:
            t.cancel()


def _timeout(project: Project, calls: list[Call], slack: float) -> int:
    sched = project.schedule
    beats = sum(c.x.shape[0] * c.x.shape[1] for c in calls)
    per_call = int(sched["first"]) + int(sched["call_overhead"]) + 8
    return int((beats * int(sched["cycles_per_beat"]) + per_call * len(calls)) * slack) + 200


def _summary(tb: Testbench) -> dict[str, Any]:
    sb = tb.scoreboard
    return {"checked": sb.checked, "mismatches": sb.mismatches,
            "first_mismatch": sb.first_mismatch, "left": len(sb.expected),
            "cycles": tb.cycle, "wall_s": round(time.perf_counter() - tb.started, 3)}


# ---------------------------------------------------------------- tests


@cocotb.test()
async def test_timing(dut: Any) -> None:
    """Back-to-back calls without gaps or backpressure: measured cycles per beat
    and per call must equal docs/schedule.md."""
    settings = Settings.from_env()
    project = load_project(settings.project, target="verilog")
    ir = project.ir
    B = int(project.options["interleave"])
    steps = max(2, min(settings.max_steps, 8))
    calls = make_calls(ir, B, 3 * B, steps, settings.seed + 101, fixed_steps=steps)
    tb = Testbench(dut, project, seed=settings.seed)
    await tb.reset()
    tb.queue(calls)
    dut.ap_start.value = 1
    ok = await tb.drain(_timeout(project, calls, 1.5))
    dut.ap_start.value = 0
    tb.kill()
    n = steps * B
    # Steady state: x beat i+1 is taken in the cycle beat i is consumed, so the
    # distance between consecutive beats of a call (after its first) is c.
    gaps = [b - a for i, (a, b) in enumerate(zip(tb.x_cycles, tb.x_cycles[1:], strict=False))
            if (i + 1) % n != 0 and i % n != 0]
    periods = [b - a for a, b in zip(tb.done_cycles, tb.done_cycles[1:], strict=False)]
    result = {**_summary(tb), "finished": ok, "steps": steps, "interleave": B,
              "beat_gaps": sorted(set(gaps)), "call_periods": sorted(set(periods)),
              "calls": len(calls)}
    record(settings, "timing", result)
    assert ok, "timed out"
    assert tb.scoreboard.mismatches == 0, tb.scoreboard.first_mismatch


@cocotb.test()
async def test_stream(dut: Any) -> None:
    """Random sequences (some extreme, saturating) with random x gaps and y backpressure."""
    settings = Settings.from_env()
    project = load_project(settings.project, target="verilog")
    ir = project.ir
    B = int(project.options["interleave"])
    calls = make_calls(ir, B, settings.vectors, settings.max_steps, settings.seed)
    tb = Testbench(dut, project, seed=settings.seed + 1)
    tb.valid_prob = settings.valid_prob
    tb.ready_prob = settings.ready_prob
    await tb.reset()
    tb.queue(calls)
    dut.ap_start.value = 1
    slack = 1.0 / max(min(settings.valid_prob, settings.ready_prob), 0.05) + 1.0
    ok = await tb.drain(_timeout(project, calls, slack))
    dut.ap_start.value = 0
    tb.kill()
    beats = sum(c.x.shape[0] * c.x.shape[1] for c in calls)
    steps = [int(c.x.shape[1]) for c in calls]
    saturated, sums = saturation(ir, calls)
    result = {**_summary(tb), "finished": ok, "sequences": len(calls) * B, "beats": beats,
              "calls": len(calls), "steps": steps,
              "saturated_states": saturated, "rounded_sums": sums}
    record(settings, "stream", result)
    assert ok, f"timed out with {len(tb.beats)} beats unsent, {len(tb.scoreboard.expected)} " \
               "outputs missing"
    assert tb.scoreboard.mismatches == 0, tb.scoreboard.first_mismatch


@cocotb.test()
async def test_reset_mid_sequence(dut: Any) -> None:
    """ap_rst_n in the middle of a sequence, then clean calls must match the reference."""
    settings = Settings.from_env()
    project = load_project(settings.project, target="verilog")
    ir = project.ir
    B = int(project.options["interleave"])
    tb = Testbench(dut, project, seed=settings.seed + 2)
    await tb.reset()
    aborted = make_calls(ir, B, B, 6, settings.seed + 202, fixed_steps=6, all_extreme=True)
    xw = int(project.interface["x_element_width"])
    tb.beats.extend(call_beats(aborted[0], xw)[: 3 * B + 1])
    dut.ap_start.value = 1
    for _ in range(200):
        await RisingEdge(dut.ap_clk)
        if not tb.beats:
            break
    for _ in range(2):
        await RisingEdge(dut.ap_clk)
    # Throw the half-processed call away: reset, drop the beats not yet sent
    # (a long step may not have taken them all), forget what came out so far.
    tb.dut.ap_start.value = 0
    await tb.reset(flush=True)
    tb.scoreboard = Scoreboard()
    calls = make_calls(ir, B, 2 * B, 5, settings.seed + 303)
    tb.queue(calls)
    dut.ap_start.value = 1
    ok = await tb.drain(_timeout(project, calls, 4.0))
    dut.ap_start.value = 0
    tb.kill()
    record(settings, "reset", {**_summary(tb), "finished": ok})
    assert ok, "timed out after reset"
    assert tb.scoreboard.mismatches == 0, tb.scoreboard.first_mismatch
