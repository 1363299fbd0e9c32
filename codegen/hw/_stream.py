"""The streaming architecture (``--arch stream --lanes L``): the state flows
through the datapath L elements per cycle (one slice of L lanes: elements
e*L .. e*L + L - 1), N = n / L cycles per step.  All counts below are in
slices (cycles).

Ring of one slice stream (all stages advance together on one enable):
entry register (a fresh sequence's state reads as 0) -> k butterfly stages;
stage s pairs elements D_s = m / 2^s apart: when D_s >= L both lie in the same
lane, D_s / L slices apart, and each lane has a single-path delay-feedback
butterfly (one adder, one subtractor and a D_s / L-slice delay line, registered
output); when D_s < L both lie in the same slice, and the stage is L / 2
registered butterflies across lanes ->
the element-wise update (sign and bias and the U row read from ROM, 1/sqrt(2)
as a constant shift-add; +-r/sqrt(2) and U x registered, then the kept
accumulator bits) -> saturation ->
a state delay line of Ls slices back to the entry.  The ring is exactly B*N
slices long, so element p of a sequence's state comes back with that
sequence's next beat; B >= ceil(L_u / N) sequences hide the transform's fill.
The readout accumulates V relu(h) as the new state streams past (o
accumulators each adding L lanes, V columns from ROM).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class SdfStage:
    """Butterfly stage ``index`` (1-based) pairing elements ``distance`` = m / 2^index
    apart: a delay-feedback stage of ``delay`` = distance / L slices per lane, or
    (``delay`` 0, distance < L) butterflies across lanes.  Inputs ``width_in``
    bits, outputs and delay line ``width_in + 1``; the slice entering it has index
    ``e - offset`` (mod N) for entry counter e."""

    index: int
    distance: int
    delay: int
    width_in: int
    offset: int

    @property
    def across_lanes(self) -> bool:
        return self.delay == 0

    @property
    def width_out(self) -> int:
        return self.width_in + 1

    @property
    def half_bit(self) -> int:
        """Bit of the slice index that says first (0) or second (1) half."""
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
    slices: int                #: N = n / L slices (cycles) per step
    index_width: int           #: bits of the slice index counters
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
    slices = n // lanes
    stages = []
    offset = 1          # the entry register
    for s in range(1, k + 1):
        d = m >> s
        delay = d // lanes if d >= lanes else 0
        stages.append(SdfStage(index=s, distance=d, delay=delay, width_in=state_width + s - 1,
                               offset=offset))
        offset += delay + 1
    l_wht = offset      # r of slice e sits in the last stage register at t0 + e + l_wht
    l_u = l_wht + 2     # +-r/sqrt(2) and U x registered, then the kept accumulator bits
    upd, top_u = _lookup(l_wht, slices)
    end_latency = l_u + slices - 1
    q, r = divmod(end_latency, slices)
    end_index = end_latency % slices
    end_age = q + (1 if end_index < r else 0)
    end_record = end_age - (1 if end_index == 0 else 0)
    return Stream(
        lanes=lanes, slices=slices, index_width=max(1, (slices - 1).bit_length()),
        stages=tuple(stages), transform_latency=l_wht, update_latency=l_u,
        state_delay=interleave * slices - l_u, min_interleave=-(-l_u // slices),
        update_step=upd, end_index=end_index, end_record=end_record,
        records=max(top_u, end_record) + 1,
        readout_first=l_u % slices, u_address_offset=l_wht - 1, sb_address_offset=l_wht,
        v_address_offset=l_u - 1)
