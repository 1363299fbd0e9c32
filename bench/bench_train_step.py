"""Time one training step (forward, loss, backward, Adam) on the copy task.

Ours: the hardware-exact HadamRNN (binary, n = 128, 4-bit U/V, 16-bit state,
fused compiled loop), and optionally the same with ``--float-state``.  With
``--paper PATH`` (a checkout of github.com/deel-ai-papers/hadamRNN) the paper's
own ``BinadamSSM`` with its ``training_step`` is timed too, in the same process,
alternating with ours step by step so that both see the same machine load; its
configuration is the one of its ``config/copytask`` file (n = 128, 4-bit input
and output layers, ReLU, single layer, lr 1e-4).  Both get the same batches
(batch 128, the same copy-task definition) and one torch thread.

Peak memory: each (model, T) also runs alone in a child process, which reports
its peak resident set size (``ru_maxrss``) and the part above the resident size
after imports and set-up.

    .venv/bin/python bench/bench_train_step.py [--paper /path/to/hadamRNN]
        [--seq-lens 200 1000] [--steps 10] [--float-state] [--json out.json]

The paper's code imports ``deel.torchlip`` and ``torchmetrics`` at module level
but its BinadamSSM uses neither; when they are not installed, empty stand-ins
are put in ``sys.modules`` so that its modules import.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

BATCH = 128
HIDDEN = 128
LR = 1e-4


def _rss_mb() -> float:
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """Peak resident set size of this process in MiB (VmHWM; ``ru_maxrss`` would
    report the parent's peak in a child started by fork and exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(seq_len: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from model.tasks import load_task

    data = load_task("copy", seq_len=seq_len, data_dir=None, seed=0,
                     train_size=BATCH * count, val_size=1, test_size=1)
    return list(data.batches("train", BATCH, shuffle=True, seed=0))


class Ours:
    name = "ours"

    def __init__(self, seq_len: int, *, float_state: bool = False) -> None:
        from model import FixedFormat
        from model.net import HadamRNN

        torch.manual_seed(0)
        self.net = HadamRNN(input_dim=10, hidden=HIDDEN, outputs=9, block_size=HIDDEN,
                            weight_bits=4, input_format=FixedFormat(width=1, frac=0,
                                                                    signed=False),
                            state_format=FixedFormat(width=16, frac=8),
                            hardware_exact=not float_state)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LR)
        if float_state:
            self.name = "ours --float-state"

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """The step of ``model train``: forward, loss and hits, backward, Adam."""
        from model.net._train import loss_and_hits

        logits = self.net(torch.from_numpy(x))
        loss, *_ = loss_and_hits(logits, torch.from_numpy(y), "ce", 10)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def _import_paper(path: str) -> tuple[types.ModuleType, types.ModuleType]:
    src = Path(path) / "src"
    if not (src / "models.py").is_file():
        raise SystemExit(f"error: {path}: no src/models.py (a hadamRNN checkout?)")
    try:
        import deel.torchlip  # noqa: F401
    except ImportError:
        deel = types.ModuleType("deel")
        lip = types.ModuleType("deel.torchlip")

        class SpectralLinear(torch.nn.Linear):
            def __init__(self, *args, **kwargs):
                kwargs.pop("eps_bjorck", None)
                super().__init__(*args, **kwargs)

        lip.SpectralLinear = SpectralLinear
        deel.torchlip = lip
        sys.modules.update({"deel": deel, "deel.torchlip": lip})
    try:
        import torchmetrics  # noqa: F401
    except ImportError:
        tm = types.ModuleType("torchmetrics")
        tm.Metric = torch.nn.Module
        tm.Accuracy = object
        sys.modules["torchmetrics"] = tm
    sys.path.insert(0, str(src))
    import models  # type: ignore[import-not-found]
    import training  # type: ignore[import-not-found]

    return models, training


class Paper:
    name = "paper"

    def __init__(self, seq_len: int, path: str) -> None:
        models, training = _import_paper(path)
        self.training = training
        self.net = models.BinadamSSM(
            input_size=10, hidden_size=HIDDEN, output_size=9, activation=torch.nn.ReLU(),
            bias=True, bias_final=True, num_bits=4, manytomany=True, basic_block="full",
            seed=712, qoutput=True, single_layer=True)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LR)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        stat = self.training.training_step(
            torch.from_numpy(x), torch.from_numpy(y), self.net, self.opt, self.loss_fn,
            metrics=None, track_flips=True, torch_device="cpu")
        return float(stat["loss"])


def _make(kind: str, seq_len: int, paper: str | None):
    if kind == "paper":
        return Paper(seq_len, paper)
    return Ours(seq_len, float_state=kind == "ours-float")


def child(kind: str, seq_len: int, steps: int, paper: str | None) -> None:
    """Run ``steps`` steps of one model alone; print its memory figures as JSON."""
    torch.set_num_threads(1)
    batches = _batches(seq_len, 1)
    impl = _make(kind, seq_len, paper)
    base = _rss_mb()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        impl.step(*batches[0])
        times.append(time.perf_counter() - t0)
    print(json.dumps({"kind": kind, "seq_len": seq_len, "base_rss_mb": base,
                      "peak_rss_mb": _peak_mb(), "times": times}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paper", help="path of a deel-ai-papers/hadamRNN checkout")
    ap.add_argument("--seq-lens", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--steps", type=int, default=10, help="timed steps per model and T")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--float-state", action="store_true", help="also time --float-state")
    ap.add_argument("--no-memory", action="store_true", help="skip the child processes")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "T"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], int(a.child[1]), 3, a.paper)
        return
    torch.set_num_threads(1)
    kinds = ["ours"] + (["ours-float"] if a.float_state else []) + (
        ["paper"] if a.paper else [])
    rows = []
    for seq_len in a.seq_lens:
        batches = _batches(seq_len, a.warmup + a.steps)
        impls = {k: _make(k, seq_len, a.paper) for k in kinds}
        times: dict[str, list[float]] = {k: [] for k in kinds}
        for i, (x, y) in enumerate(batches):
            for k, impl in impls.items():  # alternate: every model sees every batch
                t0 = time.perf_counter()
                impl.step(x, y)
                if i >= a.warmup:
                    times[k].append(time.perf_counter() - t0)
        for k in kinds:
            mem = {}
            if not a.no_memory:
                cmd = [sys.executable, __file__, "--child", k, str(seq_len)]
                if a.paper:
                    cmd += ["--paper", a.paper]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                mem = json.loads(out.strip().splitlines()[-1])
            rows.append({"kind": impls[k].name, "seq_len": seq_len,
                         "median_s": statistics.median(times[k]),
                         "min_s": min(times[k]), "max_s": max(times[k]),
                         "steps": len(times[k]),
                         "peak_rss_mb": mem.get("peak_rss_mb"),
                         "above_base_mb": (mem["peak_rss_mb"] - mem["base_rss_mb"])
                         if mem else None})
        del impls
    paper_median = {r["seq_len"]: r["median_s"] for r in rows if r["kind"] == "paper"}
    print(f"one torch thread, batch {BATCH}, n = {HIDDEN}, lr {LR}; "
          f"{a.steps} timed steps per model, alternating")
    print("| model | T | median s/step | min | max | speed-up vs paper | peak RSS MiB "
          "| above set-up MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ref = paper_median.get(r["seq_len"])
        sp = f"{ref / r['median_s']:.2f}x" if ref else ""
        pk = f"{r['peak_rss_mb']:.0f}" if r["peak_rss_mb"] is not None else ""
        ab = f"{r['above_base_mb']:.0f}" if r["above_base_mb"] is not None else ""
        print(f"| {r['kind']} | {r['seq_len']} | {r['median_s']:.3f} | {r['min_s']:.3f} "
              f"| {r['max_s']:.3f} | {sp} | {pk} | {ab} |")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
