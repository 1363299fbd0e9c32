"""``python -m model``: train, eval, export, random.

Each subcommand is a thin wrapper over a library function.  torch is imported
only by the subcommands that need it (``random`` runs without it).  Every user
error prints one line ``error: ...`` to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cli_common import OneLineParser, positive_int
from ._errors import FlowError


def _integer(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    return v


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m model",
                description="HadamRNN: train with hardware-exact fixed point, evaluate "
                            "against the integer reference, export the deployment IR.")
    sub = p.add_subparsers(dest="command", metavar="{train,eval,export,info,random}",
                           parser_class=OneLineParser)

    t = sub.add_parser("train", help="train a HadamRNN / Block-HadamRNN on a task",
                       description="Train a model into a run folder (checkpoint each epoch, "
                                   "metrics.json, curves.png). Ctrl-C saves and stops.")
    t.add_argument("--task", help="copy, digits, pdigits, mnist, pmnist, imdb or npz")
    t.add_argument("--seq-len", type=_integer, help="sequence length (copy task: total T)")
    t.add_argument("--data-dir", help="folder with MNIST/IMDB files, or the .npz file")
    t.add_argument("--data-seed", type=_integer, default=0, help="seed of the data set / split")
    t.add_argument("--train-size", type=_integer, help="number of training sequences")
    t.add_argument("--val-size", type=_integer, help="number of validation sequences")
    t.add_argument("--test-size", type=_integer, help="number of test sequences")
    t.add_argument("--hidden", type=_integer, help="state size n (power of two)")
    t.add_argument("--block-size", type=_integer,
                   help="Hadamard block m (default n: binary HadamRNN; m < n: Block-HadamRNN)")
    t.add_argument("--bits", type=_integer, default=4, help="bits of U and V (default 4)")
    t.add_argument("--state-bits", type=_integer, default=16, help="state width S (default 16)")
    t.add_argument("--state-frac", type=_integer, help="state fraction bits (default S//2)")
    t.add_argument("--state-rounding", default="half_up", choices=("half_up", "floor"))
    t.add_argument("--inv-sqrt2-frac", type=_integer, default=16,
                   help="fraction bits of the 1/sqrt(2) constant of odd log2 m, trained with "
                        "exactly the integer the hardware uses (default 16)")
    t.add_argument("--float-state", action="store_true",
                   help="train with a float32 state and exact 1/sqrt(m), as the paper did")
    t.add_argument("--embed-dim", type=_integer, default=64, help="embedding width (token tasks)")
    t.add_argument("--epochs", type=_integer)
    t.add_argument("--batch-size", type=_integer)
    t.add_argument("--lr", type=_float)
    t.add_argument("--gamma", type=_float, help="StepLR decay per epoch (default per task)")
    t.add_argument("--seed", type=_integer, default=0)
    t.add_argument("--val-every", type=_integer, default=0,
                   help="also validate every N training steps (0: once per epoch)")
    t.add_argument("--threads", type=_integer, default=1, help="torch CPU threads (default 1)")
    t.add_argument("--out", required=True, help="run folder")
    t.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    t.add_argument("--init-from", help="start from the weights of this run folder")
    t.add_argument("--checkpoint-minutes", type=_float, default=10.0,
                   help="also save a checkpoint every N minutes (default 10; 0: off)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    e = sub.add_parser("eval", help="test accuracy by torch and by the integer reference",
                       description="Evaluate a run on its test split twice: the torch model "
                                   "and the integer reference (model.run) on the exported IR.")
    e.add_argument("run", help="run folder")
    e.add_argument("--split", default="test", choices=("train", "val", "test"))
    e.add_argument("--data-dir", help="override the data folder of the run")
    e.add_argument("--batch-size", type=_integer, default=500)

    x = sub.add_parser("export", help="write the deployment IR and the QONNX cell",
                       description="Write model.json + weights.npz (the IR), model.qonnx.onnx "
                                   "(one recurrent step) and embedding.npz for token tasks.")
    x.add_argument("run", help="run folder")
    x.add_argument("--out", required=True, help="IR folder to write")
    x.add_argument("--name", help="IR name (default: the run folder's name)")
    x.add_argument("--no-qonnx", action="store_true", help="skip the QONNX file")

    i = sub.add_parser("info", help="check an IR folder and print its shape and widths",
                       description="Load and validate an IR folder (no torch); print its "
                                   "shape, formats and the datapath widths.")
    i.add_argument("ir", help="IR folder (model.json + weights.npz)")

    r = sub.add_parser("random", help="write a random but valid IR (no training, no torch)")
    r.add_argument("--hidden", type=positive_int, required=True)
    r.add_argument("--block-size", type=positive_int)
    r.add_argument("--input-dim", type=positive_int, required=True)
    r.add_argument("--outputs", type=positive_int, required=True)
    r.add_argument("--readout", default="every", choices=("every", "last"))
    r.add_argument("--seed", type=_integer, default=0)
    r.add_argument("--bits", type=_integer, default=4, help="bits of U and V")
    r.add_argument("--state-bits", type=_integer, default=16)
    r.add_argument("--state-frac", type=_integer, default=10)
    r.add_argument("--state-rounding", default="half_up", choices=("half_up", "floor"))
    r.add_argument("--out", required=True, help="IR folder to write")
    return p


# ------------------------------------------------------------------ commands


def _cmd_train(a: argparse.Namespace) -> int:
    from .net._train import TASK_DEFAULTS, Interrupted, TrainConfig, train

    cfg = None
    if not a.resume:
        missing = [f"--{k}" for k in ("task", "hidden") if getattr(a, k) is None]
        if missing:
            raise FlowError(f"train needs {' and '.join(missing)} (or --resume)")
        if a.task not in TASK_DEFAULTS:
            names = ", ".join(TASK_DEFAULTS)
            raise FlowError(f"unknown task {a.task!r}; choose one of {names}")
        d = TASK_DEFAULTS[a.task]
        cfg = TrainConfig(
            task=a.task, hidden=a.hidden,
            block_size=a.hidden if a.block_size is None else a.block_size,
            seq_len=a.seq_len, data_dir=a.data_dir, data_seed=a.data_seed,
            train_size=a.train_size, val_size=a.val_size, test_size=a.test_size,
            bits=a.bits, state_bits=a.state_bits, state_frac=a.state_frac,
            state_rounding=a.state_rounding, inv_sqrt2_frac=a.inv_sqrt2_frac,
            float_state=a.float_state,
            embed_dim=a.embed_dim,
            epochs=int(d["epochs"]) if a.epochs is None else a.epochs,
            batch_size=int(d["batch_size"]) if a.batch_size is None else a.batch_size,
            lr=float(d["lr"]) if a.lr is None else a.lr,
            gamma=float(d["gamma"]) if a.gamma is None else a.gamma,
            seed=a.seed, val_every=a.val_every, threads=a.threads, init_from=a.init_from)
        cfg.check()
    try:
        train(cfg, a.out, resume=a.resume, epochs=a.epochs if a.resume else None,
              progress=not a.no_progress, checkpoint_minutes=a.checkpoint_minutes)
    except Interrupted as exc:
        print(str(exc), file=sys.stderr)
        return 130
    print(f"run saved in {a.out}")
    return 0


def _cmd_eval(a: argparse.Namespace) -> int:
    from .net._evaluate import evaluate_run, format_report

    report = evaluate_run(a.run, split=a.split, data_dir=a.data_dir, batch_size=a.batch_size)
    print(format_report(report))
    return 0 if report["differing_sequences"] == 0 else 1


def _cmd_export(a: argparse.Namespace) -> int:
    from .net._evaluate import export_run

    written = export_run(a.run, a.out, name=a.name, qonnx=not a.no_qonnx)
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_random(a: argparse.Namespace) -> int:
    from ._fixed import FixedFormat
    from ._ir import save_ir
    from ._random import random_ir

    if not 2 <= a.bits <= 16:
        raise FlowError(f"--bits must be in [2, 16], got {a.bits}")
    if not 2 <= a.state_bits <= 32:
        raise FlowError(f"--state-bits must be in [2, 32], got {a.state_bits}")
    ir = random_ir(hidden=a.hidden, block_size=a.block_size, input_dim=a.input_dim,
                   outputs=a.outputs, readout=a.readout, seed=a.seed, weight_bits=a.bits,
                   state_format=FixedFormat(width=a.state_bits, frac=a.state_frac),
                   state_rounding=a.state_rounding)
    folder = save_ir(ir, a.out)
    print(f"wrote {Path(folder) / 'model.json'} and weights.npz ({ir.name})")
    return 0


def _cmd_info(a: argparse.Namespace) -> int:
    from ._ir import load_ir
    from ._widths import datapath_widths

    ir = load_ir(a.ir)
    w = datapath_widths(ir)
    kind = "binary HadamRNN" if ir.block_size == ir.hidden else "Block-HadamRNN"
    st, fx = ir.state_format, ir.input_format
    print(f"{ir.name}: {kind}, hidden {ir.hidden}, block {ir.block_size}, "
          f"input {ir.input_dim}, outputs {ir.outputs}, readout {ir.readout}")
    print(f"  input  {'s' if fx.signed else 'u'}{fx.width}.{fx.frac}   "
          f"state s{st.width}.{st.frac} ({ir.state_rounding}, {ir.state_overflow})   "
          f"U {ir.input_weight_bits} bit 2^-{ir.input_weight_frac}   "
          f"V {ir.output_weight_bits} bit 2^-{ir.output_weight_frac}")
    print(f"  widths: FWHT stages {list(w.stages)}, recurrent {w.recurrent}, "
          f"input product {w.input_product}, accumulator {w.acc}, output {w.output}")
    return 0


_COMMANDS: dict[str, Any] = {
    "train": _cmd_train, "eval": _cmd_eval, "export": _cmd_export, "info": _cmd_info,
    "random": _cmd_random,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return int(_COMMANDS[args.command](args))
    except FlowError as exc:
        msg = " ".join(str(exc).split())
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
