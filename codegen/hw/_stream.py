"""The streaming architecture (``--arch stream``, one lane): the state flows through
the datapath one element per cycle, n cycles per step.

Ring of one element stream (all stages advance together on one enable):
entry register (a fresh sequence's state reads as 0) -> k single-path
delay-feedback butterfly stages (stage s pairs elements D_s = m / 2^s apart with
one adder, one subtractor and a D_s-element delay line, registered output) ->
the element-wise update (sign and bias and the U row read from ROM, 1/sqrt(2)
as a constant shift-add; +-r/sqrt(2) and U x registered, then the kept
accumulator bits) -> saturation ->
a state delay line of Ls elements back to the entry.  The ring is exactly B*n
elements long, so element p of a sequence's state comes back with that
sequence's next beat; B >= ceil(L_u / n) sequences hide the transform's fill.
The readout accumulates V relu(h) as the new state streams past (o
accumulators, V column from ROM).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class SdfStage:
    """Butterfly stage ``index`` (1-based): distance ``delay`` = m / 2^index;
    inputs ``width_in`` bits, outputs and delay line ``width_in + 1``; the element
    entering it has index ``e - offset`` (mod n) for entry counter e."""

    index: int
    delay: int
    width_in: int
    offset: int

    @property
    def width_out(self) -> int:
        return self.width_in + 1

    @property
    def half_bit(self) -> int:
        """Bit of the element index that says first (0) or second (1) half."""
        return self.delay.bit_length() - 1


@dataclass(frozen=True, kw_only=True)
class StepLookup:
    """Which per-step record a stage reads: at entry index ``e``, record
    ``at_zero`` when e == 0, ``early`` when 0 < e < ``bound``, else ``late``."""

    at_zero: int
    early: int
    late: int
    bound: int


@dataclass(frozen=True, kw_only=True)
class Stream:
    lanes: int
    index_width: int           #: bits of the element index counters
    stages: tuple[SdfStage, ...]
    transform_latency: int     #: L_wht: cycles from entry to r in the last stage register
    update_latency: int        #: L_u: cycles from entry to the new state element
    state_delay: int           #: Ls = B*n - L_u: the state delay line
    min_interleave: int        #: ceil(L_u / n)
    update_step: StepLookup    #: the record whose beat the update uses
    end_index: int             #: entry index when the readout sees a step's last element
    end_record: int            #: the record of that step
    records: int               #: per-step records kept
    readout_first: int         #: entry index when the readout sees element 0
    u_address_offset: int      #: ROM address = e - offset (mod n) for the update's row
    sb_address_offset: int     #: same for the sign and bias (one cycle later)
    v_address_offset: int      #: same for the readout's V column


def _lookup(latency: int, n: int) -> tuple[StepLookup, int]:
    """Record index for a consumer ``latency`` cycles behind the entry."""
    q, r = divmod(latency, n)
    # age of the step = q + [e < r]; record index = age - [e == 0]
    at_zero = q + (1 if 0 < r else 0) - 1
    early = q + 1
    late = q
    return StepLookup(at_zero=at_zero, early=early, late=late, bound=r), max(at_zero, early, late)


def stream_plan(*, n: int, m: int, state_width: int, interleave: int, lanes: int = 1) -> Stream:
    k = m.bit_length() - 1
    stages = []
    offset = 1          # the entry register
    for s in range(1, k + 1):
        d = m >> s
        stages.append(SdfStage(index=s, delay=d, width_in=state_width + s - 1, offset=offset))
        offset += d + 1
    l_wht = offset      # r of element p sits in the last stage register at t0 + p + l_wht
    l_u = l_wht + 2     # +-r/sqrt(2) and U x registered, then the kept accumulator bits
    upd, top_u = _lookup(l_wht, n)
    end_latency = l_u + n - 1
    q, r = divmod(end_latency, n)
    end_index = end_latency % n
    end_age = q + (1 if end_index < r else 0)
    end_record = end_age - (1 if end_index == 0 else 0)
    return Stream(
        lanes=lanes, index_width=max(1, (n - 1).bit_length()), stages=tuple(stages),
        transform_latency=l_wht, update_latency=l_u,
        state_delay=interleave * n - l_u, min_interleave=-(-l_u // n), update_step=upd,
        end_index=end_index, end_record=end_record, records=max(top_u, end_record) + 1,
        readout_first=l_u % n, u_address_offset=l_wht - 1, sb_address_offset=l_wht,
        v_address_offset=l_u - 1)
