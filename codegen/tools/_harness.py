"""A timing harness for place and route on small packages.

The generated top has far more ports than an iCE40UP5K-SG48 has pins, so
nextpnr cannot place it as is.  The harness keeps the design whole and gives
it three pins: the clock, a serial input that shifts into a register feeding
every input port, and one output, the XOR of every output port, reduced by a
tree of registered four-input XORs (so that no path of the harness itself
crosses the chip: a single XOR of a large design's outputs into one pin was the
critical path of the n = 64, P = 8 run, 18.6 ns of routing).  All design paths
stay register to register, so Fmax is that of the design.
"""

from __future__ import annotations

import re

from model import FlowError

HARNESS = "pnr_harness"
_PORT = re.compile(
    r"\b(input|output)\s+(?:wire|reg)?\s*(?:signed\s*)?(?:\[\s*(\d+)\s*:\s*(\d+)\s*\])?\s*(\w+)")


def ports(verilog: str, top: str) -> list[tuple[str, str, int]]:
    """``(direction, name, width)`` of each port of module ``top`` (ANSI header)."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", verilog, flags=re.S)
    m = re.search(rf"\bmodule\s+{re.escape(top)}\s*(?:#\s*\(.*?\)\s*)?\((.*?)\);", text, re.S)
    if not m:
        raise FlowError(f"cannot find the port list of module {top!r}")
    out = []
    for direction, hi, lo, name in _PORT.findall(m.group(1)):
        width = abs(int(hi) - int(lo)) + 1 if hi else 1
        out.append((direction, name, width))
    return out


def harness(verilog: str, top: str, *, clock: str = "ap_clk") -> str:
    """Verilog of ``pnr_harness(clk, sin, sout)`` around ``top``."""
    plist = ports(verilog, top)
    ins = [(n, w) for d, n, w in plist if d == "input" and n != clock]
    outs = [(n, w) for d, n, w in plist if d == "output"]
    n_in = max(sum(w for _, w in ins), 1)
    n_out = max(sum(w for _, w in outs), 1)
    lines = [
        f"// Place-and-route harness for {top}: serial inputs, XOR-reduced output.",
        f"module {HARNESS} (input wire clk, input wire sin, output reg sout);",
        f"    reg  [{n_in - 1}:0] sr;",
        f"    wire [{n_out - 1}:0] o;",
        f"    always @(posedge clk) sr <= {{sr[{max(n_in - 2, 0)}:0], sin}};"
        if n_in > 1 else "    always @(posedge clk) sr <= sin;",
    ]
    width, level, src = n_out, 0, "o"
    while width > 1:              # registered 4:1 XOR levels down to one bit
        nxt = -(-width // 4)
        lines.append(f"    reg  [{nxt - 1}:0] xr{level};")
        for j in range(nxt):
            hi = min(4 * j + 3, width - 1)
            lines.append(f"    always @(posedge clk) xr{level}[{j}] <= ^{src}[{hi}:{4 * j}];")
        width, src, level = nxt, f"xr{level}", level + 1
    lines.append(f"    always @(posedge clk) sout <= {src}[0];")
    conns = [f".{clock}(clk)"]
    pos = 0
    for name, w in ins:
        conns.append(f".{name}(sr[{pos + w - 1}:{pos}])")
        pos += w
    pos = 0
    for name, w in outs:
        conns.append(f".{name}(o[{pos + w - 1}:{pos}])")
        pos += w
    lines.append(f"    {top} u_top ({', '.join(conns)});")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"
