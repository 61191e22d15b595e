"""The inference runtimes a recognition model can run on: onnxruntime (default) or OpenVINO.

Both read the same ONNX file from a wheel, by path. A loaded model takes batches of
normalised line images (N, 3, 48, W) and gives, per image and per time step, the two
most likely classes and their probabilities: the CTC decoder needs nothing else (the
second says how sure the first is: a comma against its full-width twin, or a blank
against a character), and reducing the (N, T, classes) output to them inside the
runtime (OpenVINO) saves copying it out. Several batches run at once, one per core, each on one thread:
on 2 cores that took 40% less time than one batch at a time on both threads, whose
small convolutions spend much of their time waiting on each other.

OpenVINO computes in bfloat16 where the processor does so natively (AVX512-BF16,
AMX) and in float32 elsewhere, its own default; on the scanned corpus it read every
field as onnxruntime did. It is not the default: on real pages, where every batch
has a shape not seen before, it was no faster than onnxruntime, and it needed about
three times the memory.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.options import OCR_RUNTIMES

# Batches of line images in; for each, in order, the best and the second best class and their
# probabilities, each (N, T).
Top2 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Model = Callable[[list[np.ndarray]], list[Top2]]
# Where the best class is surer than this, the second is not looked for (it is left as the blank, 0,
# with probability 1 - best's): most steps of a line, and the search would cost a pass over all classes.
_SURE_STEP = 0.99


def load_model(path: Path, runtime: str) -> tuple[Model, list[str] | None]:
    """The model at `path` on `runtime`, and the characters stored in the model file (None if not)."""
    if runtime == "openvino":
        return _openvino(path)
    if runtime == "onnxruntime":
        return _onnxruntime(path)
    raise ValueError(f"unknown OCR runtime {runtime!r}; one of {', '.join(OCR_RUNTIMES)}")


def _onnxruntime(path: Path) -> tuple[Model, list[str] | None]:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ExtractError("the onnxruntime OCR runtime needs onnxruntime: pip install 'jixiao[ocr]'",
                           "unsupported") from exc
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    characters = session.get_modelmeta().custom_metadata_map.get("character")
    threads = ThreadPoolExecutor(_cores(), thread_name_prefix="ocr-onnxruntime")

    def one(batch: np.ndarray) -> Top2:
        probs = session.run(None, {name: batch})[0]
        best = probs.argmax(axis=2)
        top = np.take_along_axis(probs, best[..., None], axis=2)[..., 0]
        second, second_top = np.zeros_like(best), 1.0 - top
        unsure = np.nonzero(top < _SURE_STEP)
        if len(unsure[0]):
            rows = probs[unsure]
            rows[np.arange(len(rows)), best[unsure]] = -1.0
            second[unsure] = rows.argmax(axis=1)
            second_top[unsure] = rows.max(axis=1)
        return best, top, second, second_top

    def run(batches: list[np.ndarray]) -> list[Top2]:
        futures = {k: threads.submit(one, batches[k]) for k in _largest_first(batches)}
        return [futures[k].result() for k in range(len(batches))]

    return run, characters.splitlines() if characters else None


def _openvino(path: Path) -> tuple[Model, list[str] | None]:
    try:
        import openvino as ov
        from openvino import opset13
    except ImportError as exc:
        raise ExtractError("the openvino OCR runtime needs OpenVINO: pip install 'jixiao[openvino]'",
                           "unsupported") from exc
    core = ov.Core()
    model = core.read_model(str(path))
    key = ["framework", "character"]  # where the ONNX file's metadata lands
    characters = model.get_rt_info(key).astype(str).splitlines() if model.has_rt_info(key) else None
    probs = model.get_results()[0].input_value(0)
    best = opset13.topk(probs, k=2, axis=2, mode="max", sort="value", index_element_type="i32")
    reduced = ov.Model([best.output(0), best.output(1)], model.get_parameters(), "recognition")
    # Unpinned threads: on a machine shared with other processes a pinned thread waits for its core.
    compiled = core.compile_model(reduced, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", "ENABLE_CPU_PINNING": False})
    requests = ov.AsyncInferQueue(compiled, compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))

    def run(batches: list[np.ndarray]) -> list[Top2]:
        done: dict[int, Top2] = {}

        def keep(request: ov.InferRequest, k: int) -> None:
            top, classes = request.get_output_tensor(0).data, request.get_output_tensor(1).data
            done[k] = (classes[..., 0].copy(), top[..., 0].copy(), classes[..., 1].copy(), top[..., 1].copy())

        requests.set_callback(keep)
        for k in _largest_first(batches):
            requests.start_async([batches[k]], k)
        requests.wait_all()
        return [done[k] for k in range(len(batches))]

    return run, characters


def _largest_first(batches: list[np.ndarray]) -> list[int]:
    """The order to start batches in: largest first, so that the cores finish together rather than
    one of them reading the widest batch alone at the end."""
    return sorted(range(len(batches)), key=lambda k: -batches[k].size)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
