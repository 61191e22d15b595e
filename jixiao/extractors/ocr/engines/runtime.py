"""The inference runtimes a recognition model can run on: OpenVINO (default) or onnxruntime.

Both read the same ONNX file from a wheel, by path. A loaded model takes a batch
of normalised line images (N, 3, 48, W) and gives, per image and per time step,
the most likely class and its probability: the CTC decoder needs nothing else,
and reducing the (N, T, classes) output to them inside the runtime (OpenVINO) saves
copying it out. Each runtime uses every core of the machine for one batch.

OpenVINO computes in bfloat16 where the processor does so natively (AVX512-BF16,
AMX) and in float32 elsewhere, its own default: on the scanned corpus bfloat16 read
every field as float32 and onnxruntime did, in about half the time of float32.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.options import OCR_RUNTIMES

# (best class, its probability), each (N, T), for a batch of line images.
Model = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


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
    # Threads that spin while waiting for work take CPU from the page preparation and from
    # other processes; on 2 cores that costs more than it saves.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    characters = session.get_modelmeta().custom_metadata_map.get("character")

    def run(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = session.run(None, {name: batch})[0]
        return probs.argmax(axis=2), probs.max(axis=2)

    return run, characters.splitlines() if characters else None


def _openvino(path: Path) -> tuple[Model, list[str] | None]:
    try:
        import openvino as ov
        from openvino import opset13
    except ImportError as exc:
        raise ExtractError("the openvino OCR runtime needs OpenVINO: pip install 'jixiao[ocr]'",
                           "unsupported") from exc
    core = ov.Core()
    model = core.read_model(str(path))
    key = ["framework", "character"]  # where the ONNX file's metadata lands
    characters = model.get_rt_info(key).astype(str).splitlines() if model.has_rt_info(key) else None
    probs = model.get_results()[0].input_value(0)
    best = opset13.topk(probs, k=1, axis=2, mode="max", sort="none", index_element_type="i32")
    reduced = ov.Model([best.output(0), best.output(1)], model.get_parameters(), "recognition")
    # Unpinned threads: on a machine shared with other processes a pinned thread waits for its core.
    compiled = core.compile_model(reduced, "CPU", {"PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False})
    request = compiled.create_infer_request()

    def run(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = request.infer([batch])
        return out[1][..., 0].copy(), out[0][..., 0].copy()

    return run, characters
