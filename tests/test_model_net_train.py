"""model.net training: determinism, checkpoints, resume after an interruption,
evaluation against the integer reference, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import model
from model import FlowError
from model.net._evaluate import evaluate_run, export_run
from model.net._train import CHECKPOINT, METRICS, Interrupted, TrainConfig, train

TINY = TrainConfig(task="copy", seq_len=24, hidden=16, block_size=8, train_size=192,
                   val_size=64, test_size=64, bits=4, state_bits=12, state_frac=6, epochs=2,
                   batch_size=64, lr=3e-3, seed=7, val_every=2)


def _quiet(msg: str) -> None:
    pass


def _metrics(run: Path) -> dict:
    """metrics.json without the wall-clock fields."""
    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if not k.startswith("wall_time")}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj
    return strip(json.loads((run / METRICS).read_text()))


def _weights(run: Path) -> dict:
    return torch.load(run / CHECKPOINT, weights_only=True)["model"]


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_result_and_resume_after_interrupt(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    train(TINY, a, progress=False, log=_quiet)
    train(TINY, b, progress=False, log=_quiet)
    assert _metrics(a) == _metrics(b)
    assert _same_weights(_weights(a), _weights(b))
    hist = _metrics(a)["history"]
    assert [e["epoch"] for e in hist["epochs"]] == [1, 2]
    assert [v["step"] for v in hist["val_checks"]] == [2, 3, 4, 6]
    assert "recall_accuracy" in hist["epochs"][0]["val"]
    assert (a / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def stop_at_step_2(step: int) -> None:
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="--resume"):
        train(TINY, c, progress=False, log=_quiet, on_step=stop_at_step_2)
    state = torch.load(c / CHECKPOINT, weights_only=True)
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 2, 2)
    with pytest.raises(FlowError, match="already holds a run"):
        train(TINY, c, progress=False, log=_quiet)
    train(None, c, resume=True, progress=False, log=_quiet)
    assert _metrics(c) == _metrics(a)
    assert _same_weights(_weights(c), _weights(a))

    # resume may extend a finished run
    train(None, c, resume=True, epochs=3, progress=False, log=_quiet)
    assert [e["epoch"] for e in _metrics(c)["history"]["epochs"]] == [1, 2, 3]

    # the trained run: torch and integer reference agree on every test sequence
    report = evaluate_run(c)
    assert report["differing_sequences"] == 0 and report["sequences"] == 64
    assert report["torch"] == report["integer"]
    written = export_run(c, tmp_path / "ir")
    assert {p.name for p in written} == {"model.json", "weights.npz", "model.qonnx.onnx"}
    ir = model.load_ir(tmp_path / "ir")
    assert ir.meta["task"] == "copy" and ir.hidden == 16 and ir.block_size == 8


def test_time_based_checkpoint_mid_epoch_resumes_to_the_same_result(tmp_path: Path) -> None:
    """A run killed after a time-based checkpoint (written mid-epoch, on an injected
    clock) and resumed ends exactly as an uninterrupted run."""
    a, c = tmp_path / "a", tmp_path / "c"
    train(TINY, a, progress=False, log=_quiet, checkpoint_minutes=0)
    now = [0.0]

    def tick(step: int) -> None:  # one minute per optimizer step; killed at step 3
        now[0] = 60.0 * step
        if step == 3:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        train(TINY, c, progress=False, log=_quiet, on_step=tick, checkpoint_minutes=2,
              clock=lambda: now[0])
    state = torch.load(c / CHECKPOINT, weights_only=True)
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 2, 2)
    assert state["wall_time"] > 0
    assert [v["step"] for v in _metrics(c)["history"]["val_checks"]] == [2]
    train(None, c, resume=True, progress=False, log=_quiet)
    assert _metrics(c) == _metrics(a)
    assert _same_weights(_weights(c), _weights(a))


def test_init_from_starts_with_the_other_runs_weights(tmp_path: Path) -> None:
    from dataclasses import replace

    a = tmp_path / "a"
    train(replace(TINY, epochs=1, val_every=0), a, progress=False, log=_quiet)
    def stop(step: int) -> None:
        raise KeyboardInterrupt  # stop after the first step

    longer = replace(TINY, seq_len=40, epochs=1, val_every=0, init_from=str(a))
    b = tmp_path / "b"
    with pytest.raises(Interrupted):
        train(longer, b, progress=False, log=_quiet, on_step=stop)
    start, after = _weights(a), _weights(b)
    moved = {k: float((after[k] - start[k]).abs().max()) for k in start}
    assert all(v < 1e-2 for v in moved.values()), moved  # one Adam step of lr 3e-3
    with pytest.raises(FlowError, match="does not match"):
        train(replace(longer, hidden=32, block_size=8), tmp_path / "c", progress=False,
              log=_quiet)


def test_float_state_run_evaluates_through_its_exact_mode(tmp_path: Path) -> None:
    from dataclasses import replace

    cfg = replace(TINY, float_state=True, epochs=1, val_every=0)
    train(cfg, tmp_path / "f", progress=False, log=_quiet)
    report = evaluate_run(tmp_path / "f")
    assert report["float_state"] and report["differing_sequences"] == 0


def test_damaged_checkpoints_are_refused(tmp_path: Path) -> None:
    from dataclasses import replace

    run = tmp_path / "r"
    train(replace(TINY, epochs=1, val_every=0), run, progress=False, log=_quiet)
    good = (run / CHECKPOINT).read_bytes()
    (run / CHECKPOINT).write_bytes(good[: len(good) // 2])
    with pytest.raises(FlowError, match="unreadable or truncated"):
        evaluate_run(run)
    state = torch.load(_save(good, tmp_path), weights_only=True)
    state["model"]["state_bias"] = torch.zeros(5)
    torch.save(state, run / CHECKPOINT)
    with pytest.raises(FlowError, match="do not fit"):
        export_run(run, tmp_path / "ir")
    state["model"]["state_bias"] = torch.full((16,), float("nan"))
    torch.save(state, run / CHECKPOINT)
    with pytest.raises(FlowError, match="NaN"):
        export_run(run, tmp_path / "ir")
    del state["optimizer"]
    torch.save(state, run / CHECKPOINT)
    with pytest.raises(FlowError, match="'optimizer' is missing"):
        train(None, run, resume=True, progress=False, log=_quiet)
    assert not (tmp_path / "ir").exists()


def _save(data: bytes, folder: Path) -> Path:
    path = folder / "copy.pt"
    path.write_bytes(data)
    return path


def test_token_task_trains_with_an_embedding_and_exports_it(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 12, size=(80, 10))
    y = (x[:, -1] > 5).astype(np.int64)  # the class is given by the last token
    np.savez(tmp_path / "tok.npz", x_train=x[:60], y_train=y[:60], x_test=x[60:],
             y_test=y[60:])
    cfg = TrainConfig(task="npz", data_dir=str(tmp_path / "tok.npz"), hidden=8, block_size=4,
                      embed_dim=5, epochs=2, batch_size=16, lr=1e-2, seed=1)
    run = tmp_path / "run"
    train(cfg, run, progress=False, log=_quiet)
    report = evaluate_run(run)
    assert report["differing_sequences"] == 0 and report["torch"] == report["integer"]
    written = export_run(run, tmp_path / "ir")
    assert "embedding.npz" in {p.name for p in written}
    ir = model.load_ir(tmp_path / "ir")
    with np.load(tmp_path / "ir" / "embedding.npz") as emb:
        table = emb["table"]
        assert table.shape == (12, 5) and int(emb["frac"]) == ir.input_format.frac
    assert ir.input_dim == 5
    assert table.min() >= ir.input_format.min_int and table.max() <= ir.input_format.max_int
