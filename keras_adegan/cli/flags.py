"""Command-line flags generated from `ADeGANConfig`: one `--field-name` per field.

A flag not given is absent from the parsed namespace, so `config_overrides` returns exactly what
the user set, and `config_from_flags` puts it on top of the dataset's preset or a `--config` file.

Example:
    >>> parser = argparse.ArgumentParser()
    >>> add_config_flags(parser)
    >>> config_from_flags(parser.parse_args(["--dataset", "mnist", "--epochs", "2"])).stage1_epochs
    2
"""

from __future__ import annotations

import argparse
import dataclasses
import re

from keras_adegan.config import (COLOR_MODES, DISTANCES, FILLS, PRECISIONS, READINGS,
                                 REAL_TASKS, SCORES, SOURCES, ADeGANConfig)
from keras_adegan.presets import chosen_scoring

# The word that sets each optional whole-number field to None on the command line.
NONE_WORDS = {"bank_size": "all",  # every training normal
              "feature_projection": "none",  # no projection
              "extractor_rank": "full"}  # E's dense layer as trained


def parse_image_size(text: str) -> tuple[int, int]:
    """'64x64', '64,48' or '64' -> (height, width)."""
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}")
    return tuple(parts)


def optional_int(field: str):
    """The flag type of `field`: a whole number, or its word in `NONE_WORDS` for None."""
    word = NONE_WORDS[field]

    def parse(text: str) -> int | None:
        if text == word:
            return None
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{field.replace('_', ' ')} must be a number or "
                                             f"{word!r}, got {text!r}") from None
    return parse


CHOICES = {"precision": PRECISIONS, "color_mode": COLOR_MODES, "score": SCORES, "reading": READINGS,
           "real_task": REAL_TASKS,
           "feature_source": SOURCES, "feature_distance": DISTANCES, "bank_fill": FILLS}
# Fields whose flag reads text its own way; `anomaly_class` stays text (an index or a class
# name, resolved against the dataset by `keras_adegan.data.class_index`).
FLAG_TYPES = {"image_size": parse_image_size, "anomaly_class": str,
              **{field: optional_int(field) for field in NONE_WORDS}}
FLAG_ALIASES = {"jit_compile": ("--jit",)}
# What a flag takes beyond its field's description (the dataclass documents the Python value).
FLAG_NOTES = {"anomaly_class": "On the command line also its name (e.g. sandal, or an image "
                               "folder's class folder)."}
SCALARS = {"int": int, "float": float, "str": str}


def field_help() -> dict[str, str]:
    """Each field's description, read from the `Attributes:` section of `ADeGANConfig`."""
    section = ADeGANConfig.__doc__.split("Attributes:")[1].split("\n\n")[0]
    found = re.findall(r"^ {8}(\w+): (.*?)(?=^ {8}\w+: |\Z)", section, re.M | re.S)
    return {name: " ".join(text.split()) for name, text in found}


def add_config_flags(parser: argparse.ArgumentParser, fields=None) -> None:
    """One `--field-name` flag per `ADeGANConfig` field (or per name in `fields`), typed and
    described from the dataclass. A flag not given is absent from the parsed namespace, so
    `config_overrides` returns exactly what the user set."""
    descriptions = field_help()
    for field in dataclasses.fields(ADeGANConfig):
        if fields is not None and field.name not in fields:
            continue
        names = ("--" + field.name.replace("_", "-"),) + FLAG_ALIASES.get(field.name, ())
        text = " ".join(filter(None, (descriptions[field.name], FLAG_NOTES.get(field.name))))
        kwargs = dict(dest=field.name, default=argparse.SUPPRESS, help=text)
        if field.type == "bool":
            kwargs["action"] = "store_true"
        elif field.name in CHOICES:
            kwargs["choices"] = CHOICES[field.name]
        else:
            kwargs["type"] = FLAG_TYPES.get(field.name) or SCALARS[field.type.split(" |")[0]]
        parser.add_argument(*names, **kwargs)


def config_overrides(args: argparse.Namespace) -> dict:
    """The config fields set on the command line (see `add_config_flags`)."""
    known = {f.name for f in dataclasses.fields(ADeGANConfig)}
    return {k: v for k, v in vars(args).items() if k in known}


def config_from_flags(args: argparse.Namespace) -> "ADeGANConfig":
    """The preset of `--dataset` (default `digits`), or the `--config` file when the command has
    one, with the flags given on top: `--epochs` sets both stages unless one is given, and
    `--anomaly-class` may name a class (looked up in the dataset at `--data-dir`)."""
    from keras_adegan.data import class_index

    overrides = config_overrides(args)
    epochs = getattr(args, "epochs", None)
    if epochs is not None:
        overrides.setdefault("stage1_epochs", epochs)
        overrides.setdefault("stage2_epochs", epochs)
    path = getattr(args, "config", None)
    base = ADeGANConfig.load(path).to_dict() if path else None
    dataset = overrides.get("dataset") or (base["dataset"] if base else "digits")
    if "anomaly_class" in overrides:
        overrides["anomaly_class"] = class_index(dataset, getattr(args, "data_dir", None),
                                                 overrides["anomaly_class"])
    if base is not None:
        task_scoring = (chosen_scoring(base["dataset"], overrides["real_task"])
                        if "real_task" in overrides else {})
        return ADeGANConfig.from_dict({**base, **task_scoring, **overrides})
    overrides.pop("dataset", None)
    config = ADeGANConfig.preset(dataset, **overrides)
    # `preset` skips None values; `--bank-size all` (None) must still replace the preset's.
    cleared = {field: None for field in NONE_WORDS
               if field in overrides and overrides[field] is None}
    return dataclasses.replace(config, **cleared) if cleared else config
