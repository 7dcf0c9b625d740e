"""Export a trained detector for deployment: SavedModel, TFLite (fp32/fp16/int8w/int8/int8wo) and an edge scorer.

* `python -m export --model RUN/model.keras --out DIR` writes the files (`export.convert`):
  `model_*.tflite` (G∘E, both scores) and `features_*.tflite` (E only, the feature score).
* `python -m export.edge_score DIR/features_int8wo.tflite IMAGES...` scores images with
  ai_edge_litert, without TensorFlow (`export.edge_score`).

Names are imported on first use, so that importing the edge scorer never loads TensorFlow. An
installed copy is `keras_adegan.export` (pyproject.toml maps this folder there); a checkout
imports it as `export`. Imports inside it are relative, so both names work.

Example:
    >>> from export import export_detector, EdgeScorer
    >>> export_detector("runs/mnist-class0-seed0/model.keras", "exported/")
    >>> EdgeScorer("exported/features_int8wo.tflite").score(images)["score"]
"""

import importlib

_PUBLIC = {"export_detector": "convert", "convert_tflite": "convert", "tflite_ops": "convert",
           "EdgeScorer": "edge_score", "EdgeError": "edge_score"}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'export' has no attribute {name!r}")
