"""Closed-form cycle counts of every datapath (docs/schedule.md states the same
formulas in prose; ``python -m sim run`` measures them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._stream import Stream

#: Cycles a call spends besides its beats: the final output handshake, the
#: ap_done cycle and the restart cycle (``ap_start`` held high).
CALL_OVERHEAD = 3


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """Cycles of one design with no input gaps and no backpressure.

    ``cycles_per_beat`` c: one time step of one sequence (one x beat) every c cycles.
    ``ticks`` = k*F folded butterfly cycles (0 when unfolded, k = log2 m).
    ``first`` = max(1, ticks): cycles from a call's first RUN cycle to its first update.
    ``drain``: cycles after the last beat until its output leaves (pipelined: P - 1
    plus the readout tree's levels plus the output FIFO's cycle; streaming: the
    readout latency L_r plus N - 1).
    A call of B sequences of T steps takes ``first + (T*B - 1)*c + drain + 3``
    cycles; each sequence steps every B*c cycles.
    """

    fold: int
    interleave: int
    ticks: int
    cycles_per_beat: int
    cycles_per_sequence_step: int
    first: int
    drain: int                  #: cycles after the last beat until its output leaves
    call_overhead: int
    latency: int
    first_latency: int

    def call_cycles(self, steps: int) -> int:
        """Cycles of one call (B sequences of ``steps`` steps), ap_start held high."""
        beats = steps * self.interleave
        return (self.first + (beats - 1) * self.cycles_per_beat + self.drain
                + self.call_overhead)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Schedule:
        """The schedule a project manifest recorded (``to_json``'s inverse)."""
        return cls(**{f.name: int(doc[f.name]) for f in fields(cls)})

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        drain = f" + {self.drain}" if self.drain else ""
        doc["call_cycles"] = (f"{self.first} + (T*{self.interleave} - 1)*"
                              f"{self.cycles_per_beat}{drain} + {self.call_overhead}")
        return doc


def schedule(*, k: int, fold: int, interleave: int, dense: bool = False,
             pipeline: int = 1, stream: Stream | None = None, n: int = 1,
             readout_stages: int = 0, output_fifo: bool = False) -> Schedule:
    """The schedule of a design with ``k`` butterfly stages folded ``fold`` times
    (or cut into ``pipeline`` stages)."""
    if stream is not None:
        # One slice per cycle: a beat every N cycles; after the last beat its
        # step still streams N - 1 slices and the readout's accumulator trails
        # the entry by L_r (the Verilog target's registered readout), plus the
        # cycle the datapath runs behind the control (its enables are registered).
        # With --reuse R a slice lasts R cycles (the readout's last add is the
        # last slice's last cycle); the datapath's cycle behind the control does
        # not scale.
        r = stream.cycles_per_slice
        c = n // stream.lanes * r
        l_r = stream.registers.readout_latency * r + 1
        return Schedule(fold=1, interleave=interleave, ticks=0, cycles_per_beat=c,
                        cycles_per_sequence_step=c * interleave, first=1,
                        drain=l_r + c - 1, call_overhead=CALL_OVERHEAD,
                        latency=c + l_r, first_latency=c + l_r)
    ticks = k * fold if (fold > 1 and k > 0 and not dense) else 0
    c = ticks + 1
    first = max(1, ticks)
    # the FIFO's write cycle, and the datapath's cycle behind the control (its
    # enables are registered twice)
    r = readout_stages + (2 if output_fifo else 0)
    return Schedule(fold=fold, interleave=interleave, ticks=ticks, cycles_per_beat=c,
                    cycles_per_sequence_step=c * interleave, first=first,
                    drain=pipeline - 1 + r, call_overhead=CALL_OVERHEAD,
                    latency=c + pipeline + r, first_latency=first + pipeline + r)
