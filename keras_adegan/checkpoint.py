"""The resume state of a training run: the weights after the last finished epoch, written so
that a process killed at any moment leaves either the previous epoch's state or the new one.

`keras.callbacks.BackupAndRestore` writes the weights and then, in a second file, the epoch
number; a kill between the two leaves epoch k + 1's weights labelled as epoch k, and the resumed
run trains epoch k + 1 twice. Here each epoch's weights go to a file of their own, and a small
`latest.json` naming that file is renamed into place last: it always names a complete file.

Together with the stream's epoch-keyed order (`keras_adegan.splits.EpochOrder`) and latent codes
keyed by the optimizer step (`keras_adegan.model`), resuming reproduces the uninterrupted run.

Example:
    >>> checkpoint = EpochCheckpoint("runs/x/backup")
    >>> start = checkpoint.restore(model)                    # 0 for a fresh run
    >>> model.fit(stream, initial_epoch=start, epochs=4, callbacks=[checkpoint])
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import keras

from keras_adegan.errors import ADeGANError
from keras_adegan.outputs import write_atomically

POINTER = "latest.json"


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves every weight of the model (networks, optimizers, their step counters) at the end
    of each epoch into `folder`, and restores them with `restore` before `fit`."""

    def __init__(self, folder):
        super().__init__()
        self.folder = Path(folder)

    def restore(self, model: keras.Model) -> int:
        """Load the last finished epoch's weights into `model` (built and compiled); returns the
        number of finished epochs (0 when the folder holds no checkpoint).

        A pointer that cannot be read (damaged outside this project: it is renamed into place
        whole) falls back to the newest epoch file, which is complete by the same rule; weights
        that do not fit the model raise `ADeGANError`."""
        pointer = self.folder / POINTER
        if not pointer.is_file():
            return 0
        try:
            state = json.loads(pointer.read_text())
            weights, done = self.folder / state["weights"], int(state["epochs_done"])
        except (ValueError, KeyError, TypeError):
            saved = {int(p.name.split("-")[1].split(".")[0]): p
                     for p in self.folder.glob("epoch-*.weights.h5")}
            if not saved:
                raise ADeGANError(f"{pointer} is damaged and {self.folder} holds no epoch's "
                                  "weights: start again with --overwrite") from None
            done = max(saved)
            weights = saved[done]
            print(f"warning: {pointer} is damaged; resuming from {weights.name}",
                  file=sys.stderr)
        try:
            with warnings.catch_warnings(record=True) as caught:  # shown only on success
                model.load_weights(weights)
        except Exception:  # noqa: BLE001 - a missing file or another shape: one message
            raise ADeGANError(
                f"cannot resume from {weights}: its weights do not fit the model that "
                "config.json describes (was config.json edited? restore its values), or the "
                "file is damaged; else start again with --overwrite") from None
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
        return done

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{epoch + 1}.weights.h5"
        partial = self.folder / f".partial-{os.getpid()}-{name}"  # Keras wants .weights.h5
        self.model.save_weights(partial)
        partial.replace(self.folder / name)
        write_atomically(self.folder / POINTER,
                         json.dumps({"epochs_done": epoch + 1, "weights": name}))
        for old in [*self.folder.glob("epoch-*.weights.h5"), *self.folder.glob(".partial-*")]:
            if old.name != name:  # earlier epochs, and files of a run killed mid-write
                old.unlink(missing_ok=True)
