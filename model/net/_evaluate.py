"""Evaluate a run twice (torch and the integer reference) and export it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._errors import FlowError
from .._fixed import quantize
from .._ir import DeploymentIR, save_ir
from .._reference import run as run_reference
from ._export import embedding_table, exact_copy, from_ir, save_embedding, to_ir
from ._module import HadamRNN
from ._train import _Tally, load_checkpoint, load_data, loss_and_hits, model_from_checkpoint

QONNX_FILE = "model.qonnx.onnx"


def integer_inputs(net: HadamRNN, ir: DeploymentIR, x: np.ndarray) -> np.ndarray:
    """What the hardware is fed: real inputs quantized to the input format, or for
    token tasks the rows of the integer embedding table."""
    if net.embedding is not None:
        table, _ = embedding_table(net)
        return table[np.asarray(x, dtype=np.int64)]
    return quantize(x, ir.input_format)


def _ir_meta(cfg: Any, data: Any, run: str) -> dict[str, Any]:
    return {"source": "train", "run": Path(run).name, "task": cfg.task,
            "seq_len": int(data.seq_len), "float_state": bool(cfg.float_state),
            "loss": data.loss}


def _ir_name(run: str | os.PathLike[str], name: str | None) -> str:
    text = name or Path(run).resolve().name or "hadamrnn"
    return text[:64]


@torch.no_grad()
def evaluate_run(
    run: str | os.PathLike[str], *, split: str = "test", data_dir: str | None = None,
    batch_size: int = 500,
) -> dict[str, Any]:
    """Accuracy and loss on ``split`` by the torch model and by ``model.run`` on the
    exported IR, and the number of sequences whose integer outputs differ between
    the hardware-exact torch forward and the reference."""
    state = load_checkpoint(run)
    cfg, net = model_from_checkpoint(state)
    if data_dir is not None:
        cfg = replace(cfg, data_dir=data_dir)
    torch.set_num_threads(cfg.threads)
    data = load_data(cfg)
    net.eval()
    ir = to_ir(net, name=_ir_name(run, None), meta=_ir_meta(cfg, data, str(run)))
    exact = exact_copy(net).eval()
    recall = int(data.meta.get("recall_steps", 0)) if data.readout == "every" else 0
    tallies = {"torch": _Tally(), "integer": _Tally()}
    n_seq = differ = 0
    scale = 2.0 ** ir.output_frac
    for x, y in data.batches(split, batch_size, shuffle=False):
        yt = torch.from_numpy(y)
        logits = net(torch.from_numpy(np.ascontiguousarray(x)))
        y_int = run_reference(ir, integer_inputs(net, ir, x))
        ref_logits = torch.from_numpy(y_int.astype(np.float64) / scale)
        for key, lg in (("torch", logits), ("integer", ref_logits)):
            loss, *hits = loss_and_hits(lg.to(torch.float64), yt, data.loss, recall)
            tallies[key].add(loss.item(), len(y), *hits)
        ex = exact(torch.from_numpy(np.ascontiguousarray(x))).numpy() * scale
        same = ex == y_int
        differ += int((~same.reshape(len(y), -1).all(axis=1)).sum())
        n_seq += len(y)
    report: dict[str, Any] = {"run": str(run), "split": split, "sequences": n_seq,
                              "differing_sequences": differ,
                              "float_state": bool(cfg.float_state)}
    for key, tally in tallies.items():
        report[key] = tally.summary()
    return report


def format_report(r: dict[str, Any]) -> str:
    lines = [f"{r['run']}: {r['split']} split, {r['sequences']} sequences"]
    for key, label in (("torch", "torch model"), ("integer", "integer reference")):
        e = r[key]
        text = f"  {label:18s} loss {e['loss']:.5f}  accuracy {100 * e['accuracy']:.2f} %"
        if "recall_accuracy" in e:
            text += (f"  recalled symbols {100 * e['recall_accuracy']:.2f} %"
                     f"  sequences {100 * e['sequence_accuracy']:.2f} %")
        lines.append(text)
    note = " (torch model trained with a float state; compared in its hardware-exact mode)" \
        if r["float_state"] else ""
    lines.append(f"  sequences whose integer outputs differ (hardware-exact torch vs "
                 f"model.run): {r['differing_sequences']}{note}")
    return "\n".join(lines)


def export_run(
    run: str | os.PathLike[str], out: str | os.PathLike[str], *, name: str | None = None,
    qonnx: bool = True,
) -> list[Path]:
    """Write the IR (and ``embedding.npz`` for token tasks, and the QONNX cell)."""
    state = load_checkpoint(run)
    cfg, net = model_from_checkpoint(state)
    data_meta: dict[str, Any] = {"source": "train", "run": Path(run).name, "task": cfg.task,
                                 "seq_len": cfg.seq_len, "float_state": bool(cfg.float_state)}
    ir = to_ir(net, name=_ir_name(run, name), meta=data_meta)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise FlowError(f"{folder}: exists and is not a folder")
    save_ir(ir, folder)
    written = [folder / "model.json", folder / "weights.npz"]
    if net.embedding is not None:
        written.append(save_embedding(net, folder))
    if qonnx:
        from ._qonnx import save_qonnx

        exact = from_ir(ir)
        written.append(save_qonnx(exact, folder / QONNX_FILE))
    return written
