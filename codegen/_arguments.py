"""Command-line options shared by ``emit`` and ``estimate``."""

from __future__ import annotations

import argparse

from model import positive_int

from .hw import ARITHS, DATAPATHS


def add_schedule_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fold", type=positive_int, default=1,
                   help="F: butterflies shared over F cycles per stage (1 = fully parallel)")
    p.add_argument("--interleave", type=positive_int, default=1,
                   help="B: independent sequences in flight to fill the recurrence pipeline")
    p.add_argument("--clock-ns", type=float, default=10.0, help="target clock period in ns")
    p.add_argument("--pipeline", type=positive_int, default=1,
                   help="P: pipeline stages in the recurrent loop (1..log2 m + 2); needs "
                        "--interleave >= P sequences to keep one step entering per cycle")
    p.add_argument("--arch", choices=("parallel", "stream"), default="parallel",
                   help="parallel: every element each cycle; stream: one element per cycle "
                        "through delay-feedback butterflies (n cycles per step)")
    p.add_argument("--lanes", type=positive_int, default=1,
                   help="L: elements per cycle of --arch stream (a power of two, 1 .. n/2)")
    p.add_argument("--reuse", type=positive_int, default=1,
                   help="R: cycles each slice of --arch stream --lanes 1 is held; one U x "
                        "adder and one readout adder serve ceil(inputs / R) inputs and "
                        "ceil(outputs / R) outputs per cycle (hls4ml's reuse factor)")
    p.add_argument("--arith", choices=ARITHS, default="csd",
                   help="csd: each constant product as its own CSD shift-add terms; da: "
                        "da4ml adder graphs (the readout shares sums between outputs, "
                        "x 1/sqrt(2) is a minimal adder chain); parallel Verilog designs")
    p.add_argument("--datapath", choices=DATAPATHS, default="hadamard",
                   help="'dense' builds the recurrent product as a dense +-1 matrix (baseline)")
