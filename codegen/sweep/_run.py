"""Run a sweep: the points whose results are not stored yet, in-process or on Ray.

``workers == 1`` without ``address`` runs the points one after the other in
this process; otherwise every point is a Ray task (``num_cpus=1`` each) on a
local Ray instance started with ``num_cpus=workers``, or on the cluster at
``address``.  Both call the same :func:`codegen.sweep._point.evaluate`, so
they give the same results; the driver stores each result as it arrives.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import FlowError

from ._point import evaluate, one_line, point_name
from ._spec import Spec, expand
from ._store import SCHEMA, Store, code_fingerprint, ir_folder_digest, point_key


@dataclass(frozen=True, kw_only=True)
class SweepResult:
    """What a sweep did: its results in grid order and how they were obtained."""

    records: list[dict[str, Any]]     #: one per point, in grid order
    computed: int                     #: points evaluated by this run
    cached: int                       #: points read from the store
    failed: int                       #: points whose status is "error"
    wall_s: float
    mode: str                         #: "serial" or "ray"
    tool_runs: int = 0                #: Yosys / nextpnr runs this run started (failed ones too)
    files: list[Path] = field(default_factory=list)


def tasks(spec: Spec, store: Store, work: Path) -> list[dict[str, Any]]:
    """One JSON-able task per grid point, each with its cache key."""
    context: dict[str, Any] = {"settings": spec.settings, "code": code_fingerprint(),
                               "schema": SCHEMA}
    if spec.ir_path:
        context["ir_content"] = ir_folder_digest(spec.ir_path)
    else:
        context["ir"] = spec.ir
    cache_dir = os.environ.get("XDG_CACHE_HOME") or str(Path("build/cache").resolve())
    out = []
    for p in expand(spec):
        params = p.params()
        key = point_key(params, context)
        out.append({"key": key, "index": p.index, "point": params, "ir": spec.ir,
                    "ir_path": str(Path(spec.ir_path).resolve()) if spec.ir_path else None,
                    "settings": spec.settings, "synth_dir": str(store.synth.resolve()),
                    "work_dir": str((work / key).resolve()), "cache_dir": cache_dir})
    return out


def _serial(todo: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for task in todo:
        yield task, evaluate(task)


def check_address(address: str, timeout_s: float = 10.0) -> None:
    """Refuse in one line a ``host:port`` (or ``ray://host:port``) nothing listens
    on: ``ray.init`` would otherwise retry for many minutes.  ``auto`` and other
    forms are left to Ray."""
    import socket

    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise FlowError(f"--address {address}: no Ray cluster answers there "
                        f"({exc.strerror or exc})") from None


def _ray(todo: list[dict[str, Any]], *, workers: int | None,
         address: str | None) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    try:
        import ray
    except ImportError:
        raise FlowError("sweeps with --workers > 1 or --address need Ray; "
                        "install it with `.venv/bin/pip install ray==2.60.0`") from None
    import logging

    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": logging.ERROR}
        if address:
            check_address(address)
        try:
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(num_cpus=workers, **kwargs)
        except Exception as exc:  # noqa: BLE001 - Ray's own errors, one line
            raise FlowError(f"Ray did not start ({'address ' + address if address else 'local'}):"
                            f" {one_line(exc)}") from None
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(evaluate)
        # With a cluster, --workers caps the tasks in flight; locally Ray's CPUs do.
        limit = workers if address and workers else len(todo)
        waiting = list(todo)
        running: dict[Any, dict[str, Any]] = {}
        while waiting or running:
            while waiting and len(running) < limit:
                task = waiting.pop(0)
                running[remote.remote(task)] = task
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                task = running.pop(ref)
                try:
                    record = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its point
                    record = {"key": task["key"], "index": task["index"],
                              "name": point_name(task["point"]), "point": task["point"],
                              "status": "error", "error": one_line(exc), "run": {}}
                yield task, record
    finally:
        if started:
            ray.shutdown()


def run_sweep(spec: Spec, out: str | Path, *, workers: int = 1, address: str | None = None,
              work: str | Path | None = None, retry_failed: bool = False,
              recompute: bool = False,
              progress: bool = True, prune: bool = False,
              on_record: Callable[[dict[str, Any]], None] | None = None) -> SweepResult:
    """Evaluate every point of ``spec`` whose result is not in ``out`` yet (all of
    them with ``recompute``; failed ones too with ``retry_failed``), storing
    each result as it finishes; ``prune`` then deletes the stored results of
    points outside this grid.  Returns all results in grid order."""
    if workers < 1:
        raise FlowError(f"--workers {workers} must be >= 1")
    start = time.perf_counter()
    store = Store(out)
    store.root.mkdir(parents=True, exist_ok=True)
    work_dir = Path(work) if work is not None else store.root / "work"
    all_tasks = tasks(spec, store, work_dir)
    records: dict[str, dict[str, Any]] = {}
    todo: list[dict[str, Any]] = []
    for task in all_tasks:
        old = None if recompute else store.load(task["key"])
        if old is not None and not (retry_failed and old.get("status") != "ok"):
            old["index"] = task["index"]   # the same point may sit elsewhere in a new grid
            records[task["key"]] = old
        else:
            todo.append(task)
    cached = len(records)
    mode = "serial" if workers == 1 and not address else "ray"
    from tqdm import tqdm

    bar = tqdm(total=len(all_tasks), initial=cached, desc=f"sweep {spec.name}", unit="pt",
               disable=not progress, dynamic_ncols=True)
    tool_runs = 0
    try:
        if mode == "serial" or not todo:   # nothing to compute: no Ray start either
            stream = _serial(todo)
        else:
            stream = _ray(todo, workers=workers, address=address)
        for _task, record in stream:
            store.save(record)
            records[record["key"]] = record
            run = record.get("run", {})
            tool_runs += int(run.get("tool_runs", 0))
            if on_record is not None:
                on_record(record)
            bar.set_postfix_str(f"{record['name']} {record['status']}", refresh=False)
            bar.update(1)
    finally:
        bar.close()
    ordered = [records[t["key"]] for t in all_tasks if t["key"] in records]
    if prune:   # results of points no longer in the grid (or of older code)
        for path in store.points.glob("*.json"):
            if path.stem not in records:
                path.unlink()
    return SweepResult(records=ordered, computed=len(ordered) - cached, cached=cached,
                       failed=sum(1 for r in ordered if r.get("status") != "ok"),
                       wall_s=time.perf_counter() - start, mode=mode, tool_runs=tool_runs)
