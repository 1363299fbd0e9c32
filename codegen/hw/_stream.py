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

The Verilog target registers more than the cycle model above (``registers``):
U x is a tree of registered levels of at most ``GROUP`` operands each, started
as many cycles ahead as it has levels; relu(h) is registered; each V weight is
read as radix-4 Booth digits (a digit selects 0, relu or 2 relu and its sign
inverts the bits: one adder operand per digit, the inversion's +1 summed into
the accumulator's start value), and those operands meet in a tree of registered
levels before the accumulator.  The accumulator therefore sees slice e's
products ``readout_latency`` cycles after the entry.

With ``--reuse R`` (one lane) each slice is held R cycles: the transform, the
update and the delay lines advance once per slice, while one U x adder takes a
group of inputs per cycle (its sum registered when the slice ends: a tree of
one level) and one readout adder a group of outputs per cycle, their
accumulators a ring of R entries that turns once per cycle (``Reuse``).  All
counts of the plan stay in slices; a slice lasts R cycles.  When R leaves room
(R >= k + 2), one butterfly does the k stages in turn and their delay lines
share one memory (``SharedTransform``), with the same slice-level timing.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import signed_bits

#: operands per registered level of the lane trees (two adder levels)
GROUP = 4


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

    @property
    def switch(self) -> tuple[int, int]:
        """(entry index, record) where the step read changes, once per step: from
        then until the next switch every index reads that step's beat."""
        return (self.bound, self.late) if self.bound > 0 else (0, self.at_zero)


@dataclass(frozen=True, kw_only=True)
class LaneTree:
    """A sum of ``leaves`` operands in registered levels: ``levels[t]`` groups
    the previous level's values (level 0: the leaves) by index; the consumer
    adds what the last level leaves (at most ``root`` operands)."""

    leaves: int
    levels: tuple[tuple[tuple[int, ...], ...], ...]

    @property
    def depth(self) -> int:
        return len(self.levels)

    @property
    def outputs(self) -> int:
        return len(self.levels[-1]) if self.levels else self.leaves


def lane_tree(leaves: int, *, root: int, limit: int | None = None) -> LaneTree:
    """Registered levels of ``GROUP`` operands until at most ``root`` remain (at
    most ``limit`` levels: the last then takes larger groups)."""
    levels = []
    count = leaves
    while count > root and (limit is None or len(levels) < limit):
        size = GROUP
        if limit is not None and len(levels) == limit - 1:
            size = max(GROUP, -(-count // root))
        groups = tuple(tuple(range(i, min(i + size, count))) for i in range(0, count, size))
        levels.append(groups)
        count = len(groups)
    return LaneTree(leaves=leaves, levels=tuple(levels))


def one_level(leaves: int) -> LaneTree:
    """All ``leaves`` summed into one register (a tree of one level)."""
    return LaneTree(leaves=leaves, levels=((tuple(range(leaves)),),))


@dataclass(frozen=True, kw_only=True)
class Reuse:
    """``--reuse R``: phase s (0 .. R - 1) of a slice sums the U x terms of the
    inputs ``input_groups[s]`` and adds the readout operands of the outputs
    ``output_groups[s]`` (slot t of the ring entry the adder writes; -1: none).
    Groups are consecutive, so the beat, the U row and the V column are shift
    registers that move one group down per cycle."""

    factor: int
    input_groups: tuple[tuple[int, ...], ...]
    output_groups: tuple[tuple[int, ...], ...]
    #: a group's U x terms (slot t's at t * terms per input + bit) in registered
    #: levels down to one; at most R - 1 levels, so the last group's sum is in
    #: before the next slice ends
    group_tree: LaneTree

    @property
    def group_latency(self) -> int:
        """Cycles from a group's phase until its sum joins the partial sum."""
        return self.group_tree.depth

    @property
    def ux_load_phase(self) -> int:
        """The phase (of the next slice) in which the last group's sum arrives
        and U x is registered."""
        return (self.group_latency - 1) % self.factor

    @property
    def ux_restart_phase(self) -> int:
        """The phase in which group 0's sum arrives and the partial sum restarts."""
        return self.group_latency % self.factor

    @property
    def phase_bits(self) -> int:
        """Bits of the phase counter (0 .. R - 1); the phase table's rows are
        2^phase_bits words."""
        return max((self.factor - 1).bit_length(), 1)

    @property
    def inputs_per_cycle(self) -> int:
        return max(len(grp) for grp in self.input_groups)

    @property
    def outputs_per_cycle(self) -> int:
        return len(self.output_groups[0])

    def phase_of(self, output: int) -> tuple[int, int]:
        """(phase, slot) of ``output``."""
        for s, grp in enumerate(self.output_groups):
            if output in grp:
                return s, grp.index(output)
        raise KeyError(output)

    def final_entry(self, output: int) -> tuple[int | None, int]:
        """Where ``output``'s final sum is on the step's last cycle: (ring entry,
        slot), entry None for the adder's own result (the last phase's output);
        the ring has turned R - 1 times, so phase s sits in entry s + 1."""
        phase, slot = self.phase_of(output)
        return (None if phase == self.factor - 1 else phase + 1), slot


def reuse_groups(factor: int, inputs: tuple[int, ...], outputs: int,
                 terms_per_input: int = 1) -> Reuse:
    """Inputs and outputs spread over ``factor`` phases, as evenly as they go."""
    kx = max(1, -(-len(inputs) // factor))
    ky = max(1, -(-outputs // factor))
    ins = tuple(tuple(inputs[s * kx:(s + 1) * kx]) for s in range(factor))
    outs = tuple(tuple(o if o < outputs else -1 for o in range(s * ky, (s + 1) * ky))
                 for s in range(factor))
    terms = kx * terms_per_input
    tree = lane_tree(terms, root=1, limit=factor - 1)
    if not tree.depth:      # one term: still registered once
        tree = one_level(terms)
    return Reuse(factor=factor, input_groups=ins, output_groups=outs, group_tree=tree)


@dataclass(frozen=True, kw_only=True)
class SharedTransform:
    """``--reuse R`` with R >= max(k + 2, 4): one butterfly does the slice's k
    delay-feedback stages, the last stage first (stage s in phase ``phase(s)`` =
    k - s + 2), so each reads its predecessor's output of the previous slice as
    the per-stage form does; stage k's result is held until the slice ends.  The
    k delay lines are regions of one memory of m - 1 words (stage s's
    ``D_s`` words from ``base(s)``, the word of slice e at ``e mod D_s``), read
    two phases ahead (the read registered twice) and written a phase after
    their stage."""

    stages: tuple[SdfStage, ...]
    width: int                 #: the butterfly's width: the last stage's outputs

    @property
    def words(self) -> int:
        return sum(sd.delay for sd in self.stages)

    @property
    def address_width(self) -> int:
        return max(1, (self.words - 1).bit_length())

    def phase(self, sd: SdfStage) -> int:
        return len(self.stages) - sd.index + 2

    def base(self, sd: SdfStage) -> int:
        """First word of stage ``sd``'s region (regions in stage order)."""
        return sum(s.delay for s in self.stages if s.index < sd.index)


def shares_transform(factor: int, stages: int) -> bool:
    """Whether a slice of ``factor`` cycles holds its ``stages`` butterflies in
    one (phases 2 .. k + 1, and the last stage's result kept before the slice
    ends)."""
    return stages >= 1 and factor >= max(stages + 2, 4)


@dataclass(frozen=True, kw_only=True)
class Registers:
    """Where the Verilog target's extra registers put things (cycles after the
    entry, docs/schedule.md): the U x tree (its last level is the register the
    update adds), the readout's lane tree per output, and the indices, records
    and ROM offsets that follow from them."""

    ux: LaneTree               #: U x terms of one lane, the last level registered
    readout: LaneTree          #: one output's Booth operands over the L lanes
    #: bits of each readout tree register, per level and group (exact: its range)
    readout_widths: tuple[tuple[int, ...], ...]
    ux_step: StepLookup        #: the record U x's first level reads
    #: ROM address = e - offset (mod N): each table is read two cycles ahead and
    #: registered twice (Yosys moves the first register of a LUT ROM to its
    #: address, the second keeps the select in a cycle of its own)
    u_address_offset: int      #: the U row, kept when U x's first level reads it
    sb_address_offset: int     #: the sign and bias, kept beside r/sqrt(2)
    v_address_offset: int      #: the V column, kept beside relu(h)'s register
    readout_latency: int       #: L_r: cycles from entry until the accumulator adds a slice
    readout_first: int         #: entry index when it adds element 0
    end_index: int             #: entry index when it adds a step's last slice
    end_record: int            #: the record of that step
    records: int               #: per-step records kept


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
    registers: Registers       #: the Verilog target's registered form
    reuse: Reuse | None = None  #: ``--reuse R > 1``: slices held R cycles
    #: ``--reuse R`` long enough: one butterfly and one memory for the transform
    shared: SharedTransform | None = None

    @property
    def cycles_per_slice(self) -> int:
        return self.reuse.factor if self.reuse else 1


def _lookup(latency: int, n: int) -> tuple[StepLookup, int]:
    """Record index for a consumer ``latency`` cycles behind the entry."""
    q, r = divmod(latency, n)
    # age of the step = q + [e < r]; record index = age - [e == 0]
    at_zero = q + (1 if 0 < r else 0) - 1
    early = q + 1
    late = q
    return StepLookup(at_zero=at_zero, early=early, late=late, bound=r), max(at_zero, early, late)


def _end(latency: int, slices: int) -> tuple[int, int]:
    """Entry index and record of a step's last slice for a consumer ``latency``
    cycles behind the entry."""
    end_latency = latency + slices - 1
    q, r = divmod(end_latency, slices)
    end_index = end_latency % slices
    end_age = q + (1 if end_index < r else 0)
    return end_index, end_age - (1 if end_index == 0 else 0)


def stream_plan(*, n: int, m: int, state_width: int, interleave: int, lanes: int = 1,
                ux_terms: int = 1, booth_digits: int = 1, reuse: int = 1,
                inputs: tuple[int, ...] = (), outputs: int = 1,
                terms_per_input: int = 1) -> Stream:
    """The plan; ``ux_terms`` operands make one lane's U x and ``booth_digits``
    one V weight's digits (the Verilog target's trees, ``Stream.registers``);
    ``reuse`` > 1 holds each slice that many cycles, sharing the U x adder over
    the ``inputs`` and the readout adder over the ``outputs``."""
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
    end_index, end_record = _end(l_u, slices)
    # the Verilog target: U x's last level is registered at l_wht + 1 like r/sqrt(2);
    # its first level reads the record and the ROM (depth - 1) cycles earlier
    ux = lane_tree(ux_terms, root=1, limit=l_wht) if reuse == 1 else None
    if ux is None or not ux.depth:   # one level: all terms (with reuse: over R cycles)
        ux = one_level(ux_terms)
    ux_step, top_x = _lookup(l_wht + 1 - ux.depth, slices)
    # with reuse the accumulator adds one output's digits itself
    readout = lane_tree(lanes * booth_digits, root=2 if reuse == 1 else booth_digits)
    # leaf l*digits + j: digit j's operand, in [-2^S, 2^S - 1] * 4^j (S = state_width:
    # relu(h) or twice it, bits inverted when the digit is negative)
    ranges = [(-(1 << state_width) << 2 * j, ((1 << state_width) - 1) << 2 * j)
              for _ in range(lanes) for j in range(booth_digits)]
    widths = []
    for level in readout.levels:
        ranges = [(sum(ranges[i][0] for i in grp), sum(ranges[i][1] for i in grp))
                  for grp in level]
        widths.append(tuple(signed_bits(lo, hi) for lo, hi in ranges))
    l_r = l_u + 1 + readout.depth      # relu(h) registered, then the tree's levels
    r_end_index, r_end_record = _end(l_r, slices)
    registers = Registers(
        ux=ux, readout=readout, readout_widths=tuple(widths), ux_step=ux_step,
        u_address_offset=l_wht - ux.depth - 1, sb_address_offset=l_wht - 1,
        v_address_offset=l_u - 1, readout_latency=l_r, readout_first=l_r % slices,
        end_index=r_end_index, end_record=r_end_record,
        records=max(top_x, r_end_record) + 1)
    return Stream(
        lanes=lanes, slices=slices, index_width=max(1, (slices - 1).bit_length()),
        stages=tuple(stages), transform_latency=l_wht, update_latency=l_u,
        state_delay=interleave * slices - l_u, min_interleave=-(-l_u // slices),
        update_step=upd, end_index=end_index, end_record=end_record,
        records=max(top_u, end_record) + 1,
        readout_first=l_u % slices, u_address_offset=l_wht - 1, sb_address_offset=l_wht,
        v_address_offset=l_u - 1, registers=registers,
        reuse=reuse_groups(reuse, inputs, outputs, terms_per_input) if reuse > 1 else None,
        shared=(SharedTransform(stages=tuple(stages), width=stages[-1].width_out)
                if lanes == 1 and shares_transform(reuse, k) else None))
