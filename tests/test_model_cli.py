"""``python -m model``: subcommands, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import model
from model._cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--task", "copy", "--seq-len", "24", "--hidden", "16", "--block-size", "8",
        "--train-size", "128", "--val-size", "64", "--test-size", "64", "--epochs", "1",
        "--batch-size", "64", "--lr", "3e-3", "--state-bits", "12", "--no-progress"]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run main(argv), expect exit status 2 and exactly one ``error:`` line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_help_lists_the_subcommands() -> None:
    out = subprocess.run([sys.executable, "-m", "model", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for cmd in ("train", "eval", "export", "info", "random"):
        assert cmd in out


def test_random_writes_a_valid_ir_without_importing_torch(tmp_path: Path) -> None:
    code = ("import sys; from model._cli import main; "
            f"rc = main(['random', '--hidden', '64', '--block-size', '16', '--input-dim', '10', "
            f"'--outputs', '9', '--readout', 'every', '--seed', '1', '--out', "
            f"{str(tmp_path / 'ir')!r}]); "
            "print(rc, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[-2:] == ["0", "False"]
    ir = model.load_ir(tmp_path / "ir")
    assert (ir.hidden, ir.block_size, ir.input_dim, ir.outputs, ir.readout) == (
        64, 16, 10, 9, "every")
    same = model.random_ir(hidden=64, block_size=16, input_dim=10, outputs=9, seed=1,
                           state_format=ir.state_format)
    np.testing.assert_array_equal(ir.input_weight, same.input_weight)


def test_train_eval_export_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(run)]) == 0
    hist = json.loads((run / "metrics.json").read_text())["history"]
    assert len(hist["epochs"]) == 1
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0
    out = capsys.readouterr().out
    assert "torch model" in out and "integer reference" in out
    assert "differ (hardware-exact torch vs model.run): 0" in out
    assert main(["export", str(run), "--out", str(tmp_path / "ir")]) == 0
    assert (tmp_path / "ir" / "model.qonnx.onnx").is_file()
    assert main(["info", str(tmp_path / "ir")]) == 0
    assert "accumulator" in capsys.readouterr().out

    # bad checkpoints: truncated, and hand-edited into something else
    ckpt = run / "checkpoint.pt"
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[:1000])
    assert "unreadable or truncated" in _error(capsys, ["eval", str(run)])
    ckpt.write_bytes(b"not a checkpoint at all")
    assert "unreadable or truncated" in _error(capsys, ["export", str(run), "--out",
                                                        str(tmp_path / "ir2")])
    assert not (tmp_path / "ir2").exists()
    ckpt.write_bytes(data)
    assert "already holds a run" in _error(capsys, ["train", *TINY, "--out", str(run)])


def test_inv_sqrt2_precision_is_trained_and_exported(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """--inv-sqrt2-frac reaches the IR; the torch model trained with that constant
    and the integer reference agree exactly."""
    run = tmp_path / "run"
    argv = [*TINY, "--inv-sqrt2-frac", "5", "--out", str(run)]
    assert main(["train", *argv]) == 0
    assert main(["export", str(run), "--out", str(tmp_path / "ir")]) == 0
    ir = model.load_ir(tmp_path / "ir")
    assert ir.odd_log2 and ir.inv_sqrt2_frac == 5 and ir.inv_sqrt2 == 23   # 23 / 32
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0
    assert "differ (hardware-exact torch vs model.run): 0" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "needle"), [
    (["train", "--task", "copy", "--hidden", "64", "--inv-sqrt2-frac", "0", "--out", "x"],
     "--inv-sqrt2-frac"),
    (["train", "--task", "copy", "--hidden", "48", "--out", "x"], "power of two"),
    (["train", "--task", "copy", "--hidden", "64", "--block-size", "128", "--out", "x"],
     "must divide"),
    (["train", "--task", "copy", "--hidden", "64", "--block-size", "3", "--out", "x"],
     "power of two"),
    (["train", "--task", "copy", "--hidden", "64", "--bits", "0", "--out", "x"], "--bits"),
    (["train", "--task", "copy", "--hidden", "64", "--bits", "64", "--out", "x"], "--bits"),
    (["train", "--task", "copy", "--hidden", "64", "--state-bits", "64", "--out", "x"],
     "--state-bits"),
    (["train", "--task", "copy", "--hidden", "64", "--state-bits", "0", "--out", "x"],
     "--state-bits"),
    (["train", "--task", "sudoku", "--hidden", "64", "--out", "x"], "unknown task"),
    (["train", "--task", "copy", "--hidden", "sixty", "--out", "x"], "integer"),
    (["train", "--hidden", "64", "--out", "x"], "--task"),
    (["random", "--hidden", "63", "--input-dim", "1", "--outputs", "1", "--out", "x"],
     "power of two"),
    (["random", "--hidden", "64", "--block-size", "128", "--input-dim", "1", "--outputs",
      "1", "--out", "x"], "block_size"),
    (["random", "--hidden", "64", "--input-dim", "1", "--outputs", "1", "--bits", "0",
      "--out", "x"], "--bits"),
    (["random", "--hidden", "-4", "--input-dim", "1", "--outputs", "1", "--out", "x"],
     "--hidden: must be >= 1"),
    (["random", "--hidden", "8", "--input-dim", "2", "--outputs", "1", "--state-frac", "60",
      "--out", "x"], "state_format"),
    (["bogus"], "invalid choice"),
])
def test_bad_options_give_one_error_line(argv: list[str], needle: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert needle in _error(capsys, argv)
    assert not (tmp_path / "x").exists()


def test_missing_data_and_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _error(capsys, ["train", "--task", "mnist", "--hidden", "64", "--data-dir",
                           str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")])
    assert "nowhere" in line
    assert "no checkpoint" in _error(capsys, ["eval", str(tmp_path / "missing")])
    assert "no checkpoint" in _error(capsys, ["train", "--resume", "--out",
                                              str(tmp_path / "r")])


def test_truncated_and_hand_edited_irs(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    ir = model.random_ir(hidden=16, block_size=4, input_dim=2, outputs=3, seed=0)
    folder = tmp_path / "ir"
    model.save_ir(ir, folder)
    weights = folder / "weights.npz"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    assert "truncated" in _error(capsys, ["info", str(folder)])
    weights.write_bytes(data)
    doc = json.loads((folder / "model.json").read_text())
    doc["block_size"] = 3
    (folder / "model.json").write_text(json.dumps(doc))
    assert "block_size" in _error(capsys, ["info", str(folder)])
    (folder / "model.json").write_text("{ not json")
    assert "not valid JSON" in _error(capsys, ["info", str(folder)])
