#!/usr/bin/env bash
# The main job on an embedded default: train a small copy-task HadamRNN with the
# hardware's fixed-point state, export the IR, check the integer reference, emit
# the Vitis HLS project and the Verilog, prove both bit-exact, estimate a board.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=runs/demo
OUT=build/demo
step() { printf '\n== %s\n' "$*"; }

step "1/8 train a binary HadamRNN on the copy task (T=30, n=128, 4-bit U/V, 16-bit state)"
rm -rf "$RUN"
$PY -m model train --task copy --seq-len 30 --hidden 128 --block-size 128 --bits 4 \
    --state-bits 16 --epochs 12 --train-size 8192 --batch-size 64 --lr 1e-3 --seed 0 --out "$RUN"

step "2/8 evaluate: torch model vs integer reference"
$PY -m model eval "$RUN"

step "3/8 export the deployment IR and the QONNX cell"
$PY -m model export "$RUN" --out "$OUT/ir"

step "4/8 emit the Vitis HLS project"
$PY -m codegen emit "$OUT/ir" --target vitis --out "$OUT/vitis" --force

step "5/8 C simulation (g++ + ap_types) against the integer reference"
$PY -m sim csim "$OUT/vitis" --vectors 500

step "6/8 emit the Verilog"
$PY -m codegen emit "$OUT/ir" --target verilog --out "$OUT/rtl" --force

step "7/8 cocotb + Verilator simulation against the integer reference"
$PY -m sim run "$OUT/rtl" --vectors 50

step "8/8 resource and latency estimates: the parallel design on a Kria KV260, the streaming one on an iCE40 UP5K"
$PY -m codegen estimate "$OUT/ir" --board kv260
$PY -m codegen estimate "$OUT/ir" --board ice40-up5k --arch stream --interleave 2
