"""How a pipelined design stalls without a global combinational enable.

A C-slow pipeline must stop as one when its next beat is missing (an input
gap) or its output cannot leave (backpressure).  Deciding that in the cycle it
applies makes one net, computed from the handshakes, drive the clock enable of
every pipeline register; on a large design that net's routing is the critical
path.  Instead:

* the readout tree never stalls; its results enter an output FIFO of
  ``fifo_depth`` entries, and a beat whose output is due enters the loop only
  while fewer than ``fifo_depth`` outputs are committed (fired and not yet
  taken from the FIFO), so the FIFO cannot overflow;
* whether the loop advances in cycle t is a function of registers only, so it
  is computed from their next-state values one edge earlier and registered in
  two levels: one register per :class:`EnableGroup` (a pipeline layer of
  registers) beside the control, then per group one copy per run of rows
  holding at most ``COPY_BITS`` register bits, each copy driving only those
  rows' clock enables.  The datapath therefore runs one cycle behind the
  control (the beat's input, the ring's clear and ``ho``'s write are delayed
  with it), and the decision never drives a net that crosses the die.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._pipeline import Pipeline
from ._readout import SumTree

#: Register bits one enable copy drives at most (rows are split between copies).
COPY_BITS = 1024


@dataclass(frozen=True, kw_only=True)
class EnableGroup:
    """Registers that advance on registered copies of the loop enable: ``copies``
    of them, each driving a contiguous run of the ``rows`` rows."""

    name: str
    bits: int
    rows: int = 1

    @property
    def copies(self) -> int:
        return max(1, min(self.rows, -(-self.bits // COPY_BITS)))

    def copy(self, row: int) -> int:
        """The copy that drives row ``row``."""
        return row * self.copies // self.rows

    def row_ranges(self) -> tuple[tuple[int, int], ...]:
        """(first row, last row) of each copy."""
        out = []
        for c in range(self.copies):
            rows = [r for r in range(self.rows) if self.copy(r) == c]
            out.append((rows[0], rows[-1]))
        return tuple(out)

    def signals(self, prefix: str = "en") -> tuple[str, ...]:
        return tuple(f"{prefix}_{self.name}_{c}" for c in range(self.copies))


@dataclass(frozen=True, kw_only=True)
class Stall:
    fifo_depth: int                     #: output FIFO entries (a power of two)
    groups: tuple[EnableGroup, ...]     #: registered enable copies
    reset_groups: tuple[EnableGroup, ...]   #: state registers with registered reset copies
    ho: EnableGroup                     #: ho, written when a due beat leaves the loop

    @property
    def address_bits(self) -> int:
        return (self.fifo_depth - 1).bit_length()

    @property
    def copies(self) -> int:
        """Registered enable and reset copies in all."""
        return sum(g.copies for g in (*self.groups, *self.reset_groups, self.ho))

    @property
    def first_level(self) -> int:
        """Level-1 registers: one per datapath enable group, reset group and ho."""
        return len(self.groups) - 1 + len(self.reset_groups) + 1

    @property
    def widest_copy(self) -> int:
        """Register bits behind the most loaded copy."""
        return max(-(-g.bits // g.copies) for g in (*self.groups, *self.reset_groups, self.ho))

    def group(self, name: str) -> EnableGroup:
        return next(g for g in self.groups if g.name == name)

    def names(self, module: str) -> list[str]:
        """The groups whose registers live in ``module`` (recur, input, update)."""
        prefixes = {"recur": ("rec",), "input": ("in", "xd"), "update": ("prod", "acc")}[module]
        return [g.name for g in self.groups if g.name.startswith(prefixes)]

    def port(self, names: list[str]) -> tuple[str, ...]:
        """The enable signals a module gets for its groups ``names``, bit 0 first."""
        return tuple(s for name in names for s in self.group(name).signals())

    def bit(self, names: list[str], name: str, row: int) -> int:
        """The bit of :meth:`port` that drives row ``row`` of group ``name``."""
        offset = 0
        for other in names:
            if other == name:
                return offset + self.group(name).copy(row)
            offset += self.group(other).copies
        raise KeyError(name)


def fifo_depth(pipeline_depth: int, readout_levels: int) -> int:
    """Entries that keep one output per cycle flowing: a due beat is committed
    from the cycle after it fires until the cycle after its output is taken,
    P + R + 2 cycles (the datapath's cycle behind the control, loop, ho,
    readout tree, FIFO), so P + R + 3 entries never run out; two more because
    the credit that lets a due beat fire is registered a cycle before (it
    counts this cycle's fire as owed) and counts an output taken a cycle late;
    rounded up to a power of two."""
    need = pipeline_depth + readout_levels + 5
    return max(4, 1 << (need - 1).bit_length())


def stall_plan(*, pipeline: Pipeline, stage_bits: dict[int, int], acc_bits: int,
               input_tree: SumTree | None, input_width: int, constant_width: int, n: int,
               state_width: int, ring: int, readout_levels: int,
               product_bits: int = 0) -> Stall:
    """The enable groups of a pipelined design: registered butterfly stages
    (``stage_bits[j]``: bits after stage j), the U x tree levels and delays (the
    last one ``constant_width`` bits wide when it adds the acc constant), the
    registered x 1/sqrt(2) layer (``product_bits``) and acc layer, each state
    register of the ring; plus the control."""
    groups = [EnableGroup(name="ctl", bits=0)]
    groups += [EnableGroup(name=f"rec{j}", bits=stage_bits[j], rows=n)
               for j in sorted(stage_bits) if pipeline.registered(j)]
    if input_tree is not None:
        for level in range(input_tree.levels):
            regs = sum(len(levels[level]) for levels in input_tree.outputs)
            groups.append(EnableGroup(name=f"in{level}", bits=regs * input_width, rows=n))
        for j in range(input_tree.levels + 1, pipeline.x_stages + 1):
            wide = pipeline.constant_ahead and j == pipeline.x_stages
            groups.append(EnableGroup(name=f"xd{j}", rows=n,
                                      bits=n * (constant_width if wide else input_width)))
    if pipeline.product_registered:
        groups.append(EnableGroup(name="prod", bits=product_bits, rows=n))
    if pipeline.acc_registered:
        groups.append(EnableGroup(name="acc", bits=acc_bits, rows=n))
    ring = tuple(EnableGroup(name=f"hq{b}", bits=n * state_width, rows=n) for b in range(ring))
    return Stall(fifo_depth=fifo_depth(pipeline.flag_stages + 1, readout_levels),
                 groups=(*groups, *ring), reset_groups=ring,
                 ho=EnableGroup(name="ho", bits=n * (state_width - 1), rows=n))
