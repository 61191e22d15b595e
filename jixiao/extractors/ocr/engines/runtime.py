"""The inference runtimes a recognition model can run on: onnxruntime (default) or OpenVINO.

Both read the same ONNX file from a wheel, by path. A loaded model takes a batch of
normalised line images (N, 3, 48, W) and gives, per image and per time step, the two
most likely classes and their probabilities: the CTC decoder needs nothing else (the
second says how sure the first is: a comma against its full-width twin, or a blank
against a character), and reducing the (N, T, classes) output to them inside the
runtime (OpenVINO) saves copying it out. A model may be called from several threads
at once, each batch then computed on its caller's thread alone: the recogniser runs one
batch per core (on 2 cores that took 40% less time than one batch at a time on both
threads, whose small convolutions spend much of their time waiting on each other).

OpenVINO computes in bfloat16 where the processor does so natively (AVX512-BF16,
AMX) and in float32 elsewhere, its own default; on the scanned corpus it read every
field as onnxruntime did. It is not the default: on real pages, where every batch
has a shape not seen before, it was no faster than onnxruntime, and it needed about
three times the memory.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.options import OCR_RUNTIMES

# A batch of line images in; for each line, in order, the best and the second best class and their
# probabilities, each (N, T).
Top2 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Model = Callable[[np.ndarray], Top2]
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

    return one, characters.splitlines() if characters else None


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
    # An infer request runs one batch at a time: each calling thread has its own.
    requests = threading.local()

    def one(batch: np.ndarray) -> Top2:
        if not hasattr(requests, "request"):
            requests.request = compiled.create_infer_request()
        request = requests.request
        request.infer([batch])
        top, classes = request.get_output_tensor(0).data, request.get_output_tensor(1).data
        return classes[..., 0].copy(), top[..., 0].copy(), classes[..., 1].copy(), top[..., 1].copy()

    return one, characters


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
