"""Training, evaluation and run folders (checkpoint, metrics, curves).

A run folder holds ``checkpoint.pt`` (everything needed to resume or export),
``metrics.json`` (per-epoch history and the within-epoch validation checks),
``config.json`` (the options, for people) and ``curves.png``.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .._errors import FlowError
from .._files import atomic_write
from .._fixed import FixedFormat
from ._module import HadamRNN, NetConfig
from ._recurrence import fused_cross_entropy

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.json"
CONFIG = "config.json"
CURVES = "curves.png"
CHECKPOINT_FORMAT = "hadamrnn-checkpoint"
CHECKPOINT_VERSION = 1
#: minutes between time-based checkpoints (``--checkpoint-minutes``)
DEFAULT_CHECKPOINT_MINUTES = 10.0

#: Per-task defaults from the paper's reference configurations (PAPER.md).
TASK_DEFAULTS: dict[str, dict[str, float | int]] = {
    "copy": {"lr": 1e-4, "gamma": 0.98, "batch_size": 128, "epochs": 10},
    "mnist": {"lr": 1e-3, "gamma": 0.98, "batch_size": 64, "epochs": 100},
    "pmnist": {"lr": 1e-3, "gamma": 0.98, "batch_size": 100, "epochs": 100},
    "digits": {"lr": 1e-3, "gamma": 0.98, "batch_size": 64, "epochs": 30},
    "pdigits": {"lr": 1e-3, "gamma": 0.98, "batch_size": 64, "epochs": 30},
    "imdb": {"lr": 5e-4, "gamma": 0.99, "batch_size": 100, "epochs": 30},
    "npz": {"lr": 1e-3, "gamma": 0.98, "batch_size": 64, "epochs": 30},
}


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """The options of one training run (stored in the checkpoint)."""

    task: str
    hidden: int
    block_size: int
    seq_len: int | None = None
    data_dir: str | None = None
    data_seed: int = 0
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    bits: int = 4
    state_bits: int = 16
    state_frac: int | None = None
    state_rounding: str = "half_up"
    inv_sqrt2_frac: int = 16
    float_state: bool = False
    embed_dim: int = 64
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-4
    gamma: float = 0.98
    seed: int = 0
    val_every: int = 0
    threads: int = 1
    init_from: str | None = None

    def resolved_state_frac(self) -> int:
        return self.state_bits // 2 if self.state_frac is None else self.state_frac

    def check(self) -> None:
        from ..tasks import TASK_NAMES

        if self.task not in TASK_NAMES:
            raise FlowError(f"unknown task {self.task!r}; choose one of {', '.join(TASK_NAMES)}")
        for name, v in (("hidden", self.hidden), ("block-size", self.block_size)):
            if v < 1 or v & (v - 1):
                raise FlowError(f"--{name} must be a power of two, got {v}")
        if self.hidden % self.block_size or self.block_size > self.hidden:
            raise FlowError(f"--block-size {self.block_size} must divide --hidden {self.hidden}")
        if self.state_rounding not in ("half_up", "floor"):
            raise FlowError(f"--state-rounding must be half_up or floor, "
                            f"got {self.state_rounding!r}")
        if not 2 <= self.bits <= 16:
            raise FlowError(f"--bits must be in [2, 16], got {self.bits}")
        if not 2 <= self.state_bits <= 32:
            raise FlowError(f"--state-bits must be in [2, 32], got {self.state_bits}")
        if not 1 <= self.inv_sqrt2_frac <= 32:
            raise FlowError(f"--inv-sqrt2-frac must be in [1, 32], got {self.inv_sqrt2_frac}")
        if not -32 <= self.resolved_state_frac() <= 64:
            raise FlowError(f"--state-frac must be in [-32, 64], got {self.state_frac}")
        for name in ("epochs", "batch_size", "threads", "embed_dim"):
            if getattr(self, name) < 1:
                raise FlowError(f"--{name.replace('_', '-')} must be >= 1, "
                                f"got {getattr(self, name)}")
        if self.val_every < 0:
            raise FlowError(f"--val-every must be >= 0, got {self.val_every}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise FlowError(f"--lr must be a positive number, got {self.lr}")
        if not 0 < self.gamma <= 1:
            raise FlowError(f"--gamma must be in (0, 1], got {self.gamma}")
        if self.seed < 0:
            raise FlowError(f"--seed must be >= 0, got {self.seed}")


# ------------------------------------------------------------------ data and model


def load_data(cfg: TrainConfig) -> Any:
    from ..tasks import load_task

    return load_task(cfg.task, seq_len=cfg.seq_len, data_dir=cfg.data_dir,
                     seed=cfg.data_seed, train_size=cfg.train_size,
                     val_size=cfg.val_size, test_size=cfg.test_size)


def net_config(cfg: TrainConfig, data: Any) -> NetConfig:
    input_dim = cfg.embed_dim if data.vocab else data.input_dim
    return NetConfig(
        input_dim=input_dim, hidden=cfg.hidden, outputs=data.outputs,
        block_size=cfg.block_size, readout=data.readout, weight_bits=cfg.bits,
        input_format=data.input_format,
        state_format=FixedFormat(width=cfg.state_bits, frac=cfg.resolved_state_frac()),
        state_rounding=cfg.state_rounding, inv_sqrt2_frac=cfg.inv_sqrt2_frac,
        hardware_exact=not cfg.float_state, vocab=data.vocab)


def _as_input(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x))


def loss_and_hits(
    logits: torch.Tensor, y: torch.Tensor, loss_kind: str, recall: int
) -> tuple[torch.Tensor, int, int, int, int, int]:
    """Mean loss; (correct, count) over all targets, over the recalled steps, and
    fully correct sequences (copy task)."""
    if loss_kind == "bce":
        z = logits.reshape(y.shape)
        loss = F.binary_cross_entropy_with_logits(z, y.to(z.dtype))
        pred = (z > 0).long()
    else:
        fused = fused_cross_entropy(logits, y)
        if fused is not None:
            loss, pred = fused
        else:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            pred = logits.argmax(-1)
    ok = pred == y
    hits, count = int(ok.sum()), ok.numel()
    if recall and ok.dim() == 2:
        tail = ok[:, -recall:]
        return loss, hits, count, int(tail.sum()), tail.numel(), int(tail.all(1).sum())
    return loss, hits, count, 0, 0, 0


class _Tally:
    """Running sums of loss and hits over batches."""

    def __init__(self, d: dict[str, float] | None = None) -> None:
        self.s = dict(d or {"loss": 0.0, "n": 0, "hits": 0, "count": 0, "rhits": 0,
                            "rcount": 0, "seqs": 0, "nseq": 0})

    def add(self, loss: float, batch: int, hits: int, count: int, rhits: int, rcount: int,
            seqs: int) -> None:
        s = self.s
        s["loss"] += loss * batch
        s["n"] += batch
        s["hits"] += hits
        s["count"] += count
        s["rhits"] += rhits
        s["rcount"] += rcount
        s["seqs"] += seqs
        s["nseq"] += batch

    def summary(self) -> dict[str, float]:
        s = self.s
        out = {"loss": s["loss"] / max(s["n"], 1), "accuracy": s["hits"] / max(s["count"], 1)}
        if s["rcount"]:
            out["recall_accuracy"] = s["rhits"] / s["rcount"]
            out["sequence_accuracy"] = s["seqs"] / max(s["nseq"], 1)
        return out


@torch.no_grad()
def evaluate(net: HadamRNN, data: Any, split: str, *, batch_size: int = 500) -> dict[str, float]:
    """Loss and accuracy of the torch model on a split."""
    net.eval()
    tally = _Tally()
    recall = int(data.meta.get("recall_steps", 0)) if data.readout == "every" else 0
    for x, y in data.batches(split, batch_size, shuffle=False):
        yt = torch.from_numpy(y)
        loss, *hits = loss_and_hits(net(_as_input(x)), yt, data.loss, recall)
        tally.add(float(loss), len(y), *hits)
    net.train()
    return tally.summary()


# ------------------------------------------------------------------ files


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


def load_checkpoint(run: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a run's checkpoint; any damage becomes a one-line FlowError."""
    folder = Path(run)
    path = folder / CHECKPOINT if folder.is_dir() or not folder.suffix else folder
    if not path.is_file():
        raise FlowError(f"{path}: no checkpoint (expected a run folder written by "
                        "'python -m model train')")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FlowError(f"{path}: unreadable or truncated checkpoint ({first[:120]})"
                        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise FlowError(f"{path}: not a HadamRNN checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise FlowError(f"{path}: unsupported checkpoint version {state.get('version')!r}")
    for key in ("train_config", "net_config", "model", "optimizer", "scheduler", "epoch",
                "step_in_epoch", "global_step", "history", "tally", "wall_time"):
        if key not in state:
            raise FlowError(f"{path}: checkpoint field {key!r} is missing")
    state["path"] = str(path)
    return state


def _train_config(d: Any, where: str) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    if not isinstance(d, dict) or not set(d) <= names:
        raise FlowError(f"{where}: bad train_config")
    try:
        return TrainConfig(**d)
    except TypeError as exc:
        raise FlowError(f"{where}: bad train_config ({exc})") from None


def model_from_checkpoint(state: dict[str, Any]) -> tuple[TrainConfig, HadamRNN]:
    where = state.get("path", CHECKPOINT)
    cfg = _train_config(state["train_config"], where)
    try:
        ncfg = NetConfig.from_json(state["net_config"])
    except (TypeError, ValueError) as exc:
        raise FlowError(f"{where}: bad net_config ({exc})") from None
    net = HadamRNN(config=ncfg)
    try:
        net.load_state_dict(state["model"])
    except (RuntimeError, TypeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise FlowError(f"{where}: model weights do not fit the model ({first[:120]})"
                        ) from None
    for name, p in net.state_dict().items():
        if p.is_floating_point() and not bool(torch.isfinite(p).all()):
            raise FlowError(f"{where}: model weight {name} holds NaN or infinity")
    return cfg, net


def plot_curves(path: Path, history: dict[str, Any], baseline: float | None = None) -> None:
    """Loss and accuracy against training steps (Agg backend, atomic write);
    ``baseline``: a reference loss drawn as a line (copy task: the memoryless CE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = history["epochs"]
    checks = history["val_checks"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    if epochs:
        st = [e["step"] for e in epochs]
        ax1.plot(st, [e["train"]["loss"] for e in epochs], "o-", label="train (epoch mean)")
    if checks:
        st = [c["step"] for c in checks]
        ax1.plot(st, [c["val"]["loss"] for c in checks], ".-", label="val")
        key = "recall_accuracy" if "recall_accuracy" in checks[0]["val"] else "accuracy"
        ax2.plot(st, [100 * c["val"][key] for c in checks], ".-", label=f"val {key}")
        ax2.plot(st, [100 * c["val"]["accuracy"] for c in checks], ".-", label="val accuracy",
                 alpha=0.5)
    if baseline is not None:
        ax1.axhline(baseline, color="gray", linestyle="--", label="memoryless baseline")
    ax1.set_xlabel("training step")
    ax1.set_ylabel("loss")
    ax1.set_yscale("log")
    if ax1.get_legend_handles_labels()[0]:
        ax1.legend()
    ax2.set_xlabel("training step")
    ax2.set_ylabel("%")
    ax2.set_ylim(0, 101)
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    atomic_write(path, buf.getvalue())


# ------------------------------------------------------------------ training


class Interrupted(Exception):
    """Training stopped by Ctrl-C (or SIGTERM) after saving a checkpoint."""


class _StopRequest:
    """SIGINT / SIGTERM ask training to stop at the next safe point (after an
    optimizer step); a second signal stops at once.  Background jobs start with
    SIGINT ignored, which is why both are caught here."""

    def __init__(self) -> None:
        self.requested = False
        self.old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __enter__(self) -> _StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, h in self.old.items():
            signal.signal(sig, h)


def _initial_weights(run: str, ncfg: NetConfig) -> HadamRNN:
    """The model of another run (``--init-from``, e.g. a shorter copy task), which
    must have the same shape and formats; the optimizer starts afresh."""
    _, net = model_from_checkpoint(load_checkpoint(run))
    if net.config != ncfg:
        raise FlowError(f"--init-from {run}: its model ({net.config.hidden} states, "
                        f"{net.config.state_format}) does not match this run's")
    return net


def train(
    cfg: TrainConfig | None, out: str | os.PathLike[str], *, resume: bool = False,
    epochs: int | None = None, progress: bool = True, log: Any = None,
    on_step: Callable[[int], None] | None = None,
    checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Train a new run into folder ``out`` (``cfg`` required), or with ``resume``
    continue the run saved there (its own options; ``epochs`` may extend it).
    Returns the metrics history.  Ctrl-C saves a checkpoint and raises
    :class:`Interrupted`.

    Besides the checkpoint after every epoch, one is written (atomically, after an
    optimizer step) whenever ``checkpoint_minutes`` have passed on ``clock``
    (seconds) since the last one, so that a killed run loses at most that much.
    ``checkpoint_minutes <= 0`` turns the time-based checkpoints off."""
    log = log or (lambda msg: print(msg, flush=True))
    folder = Path(out)
    ckpt_path = folder / CHECKPOINT
    state: dict[str, Any] | None = None
    if resume:
        state = load_checkpoint(folder)
        cfg = _train_config(state["train_config"], str(ckpt_path))
        if epochs is not None:
            cfg = replace(cfg, epochs=epochs)
    elif ckpt_path.exists():
        raise FlowError(f"{folder}: already holds a run; use --resume or another --out")
    elif cfg is None:
        raise FlowError("train needs its options (or --resume for an existing run)")
    elif epochs is not None:
        cfg = replace(cfg, epochs=epochs)
    cfg.check()
    torch.set_num_threads(cfg.threads)
    data = load_data(cfg)
    torch.manual_seed(cfg.seed)
    ncfg = net_config(cfg, data)
    net = HadamRNN(config=ncfg)
    if state is None and cfg.init_from:
        net = _initial_weights(cfg.init_from, ncfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=cfg.gamma)
    epoch, skip, global_step, wall = 0, 0, 0, 0.0
    history: dict[str, Any] = {"epochs": [], "val_checks": []}
    tally = _Tally()
    if state is not None:
        _, net = model_from_checkpoint(state)
        if net.config != ncfg:
            raise FlowError(f"{ckpt_path}: the model does not match the task's shape")
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=cfg.gamma)
        try:
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FlowError(f"{ckpt_path}: bad optimizer state ({exc})") from None
        epoch, skip = int(state["epoch"]), int(state["step_in_epoch"])
        global_step, wall = int(state["global_step"]), float(state["wall_time"])
        history, tally = state["history"], _Tally(state["tally"])
        log(f"resuming {folder} at epoch {epoch + 1}, step {global_step}")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / CONFIG, _json_bytes({"train": asdict(cfg), "net": ncfg.to_json()}))
    recall = int(data.meta.get("recall_steps", 0)) if data.readout == "every" else 0
    n_batches = math.ceil(data.size("train") / cfg.batch_size)

    def snapshot(ep: int, step_in_epoch: int) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
            "train_config": asdict(cfg), "net_config": ncfg.to_json(),
            "model": net.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "epoch": ep, "step_in_epoch": step_in_epoch,
            "global_step": global_step, "history": history, "tally": tally.s,
            "wall_time": wall,
        }

    plotted = [wall]

    def write_metrics(plot: bool = True) -> None:
        atomic_write(folder / METRICS, _json_bytes(
            {"task": cfg.task, "seq_len": data.seq_len, "history": history,
             "wall_time_s": round(wall, 3), "steps": global_step}))
        if plot:
            plot_curves(folder / CURVES, history, data.meta.get("memoryless_ce"))
            plotted[0] = wall

    net.train()
    done_in_epoch = skip
    last_save = [clock()]
    with _StopRequest() as stop:
        try:
            from tqdm import tqdm

            t0 = time.perf_counter()
            while epoch < cfg.epochs:
                t0 = time.perf_counter()
                bar = tqdm(total=n_batches, initial=done_in_epoch, desc=f"epoch {epoch + 1}",
                           disable=not progress, dynamic_ncols=True, file=sys.stderr,
                           mininterval=1.0 if sys.stderr.isatty() else 30.0)
                batches = data.batches("train", cfg.batch_size, shuffle=True,
                                       seed=cfg.seed * 100_003 + epoch)
                for i, (x, y) in enumerate(batches):
                    if i < done_in_epoch:
                        continue
                    logits = net(_as_input(x))
                    loss, *hits = loss_and_hits(logits, torch.from_numpy(y), data.loss, recall)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    global_step += 1
                    done_in_epoch = i + 1
                    tally.add(loss.item(), len(y), *hits)
                    summary = tally.summary()
                    post = {"loss": f"{summary['loss']:.4f}",
                            "acc": f"{100 * summary['accuracy']:.2f}"}
                    if "recall_accuracy" in summary:
                        post["recall"] = f"{100 * summary['recall_accuracy']:.1f}"
                    bar.set_postfix(post, refresh=False)
                    bar.update(1)
                    if cfg.val_every and global_step % cfg.val_every == 0:
                        val = evaluate(net, data, "val")
                        now = wall + time.perf_counter() - t0
                        history["val_checks"].append(
                            {"step": global_step, "epoch": epoch + 1, "val": val,
                             "wall_time_s": round(now, 3)})
                        bar.write(_line(f"step {global_step}", val, now))
                        write_metrics(plot=now - plotted[0] > 60)
                    if on_step is not None:
                        on_step(global_step)
                    if (checkpoint_minutes > 0
                            and clock() - last_save[0] >= 60.0 * checkpoint_minutes):
                        now = time.perf_counter()
                        wall += now - t0
                        t0 = now
                        save_checkpoint(ckpt_path, snapshot(epoch, done_in_epoch))
                        write_metrics()
                        last_save[0] = clock()
                        log(f"checkpoint at epoch {epoch + 1}, step {global_step} "
                            f"[{wall:.0f} s]")
                    stop.check()
                bar.close()
                lr = opt.param_groups[0]["lr"]
                sched.step()
                val = evaluate(net, data, "val")
                wall += time.perf_counter() - t0
                entry = {"epoch": epoch + 1, "step": global_step, "lr": lr,
                         "train": tally.summary(), "val": val, "wall_time_s": round(wall, 3)}
                history["epochs"].append(entry)
                if not cfg.val_every or global_step % cfg.val_every:
                    history["val_checks"].append({"step": global_step, "epoch": epoch + 1,
                                                  "val": val, "wall_time_s": round(wall, 3)})
                epoch += 1
                done_in_epoch = 0
                tally = _Tally()
                save_checkpoint(ckpt_path, snapshot(epoch, 0))
                write_metrics()
                last_save[0] = clock()
                log(_line(f"epoch {epoch}/{cfg.epochs}", val, wall, train=entry["train"]))
                stop.check()
        except KeyboardInterrupt:
            if done_in_epoch:
                wall += time.perf_counter() - t0
            save_checkpoint(ckpt_path, snapshot(epoch, done_in_epoch))
            write_metrics()
            raise Interrupted(
                f"interrupted at epoch {epoch + 1}, step {global_step}: checkpoint saved to "
                f"{ckpt_path}; continue with --resume") from None
    return history


def _line(head: str, val: dict[str, float], wall: float, train: dict[str, float] | None = None
          ) -> str:
    parts = [head]
    if train is not None:
        parts.append(f"train loss {train['loss']:.5f} acc {100 * train['accuracy']:.2f}%")
    parts.append(f"val loss {val['loss']:.5f} acc {100 * val['accuracy']:.2f}%")
    if "recall_accuracy" in val:
        parts.append(f"recall {100 * val['recall_accuracy']:.2f}% "
                     f"seq {100 * val['sequence_accuracy']:.2f}%")
    parts.append(f"[{wall:.0f} s]")
    return "  ".join(parts)
