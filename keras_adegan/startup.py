"""Importing TensorFlow without its start-up noise.

TensorFlow's C++ start-up lines (absl, oneDNN, CUDA stubs) are written straight to file
descriptor 2, so no logging setting hides them, and they look like failures in front of our own
messages. `import_tensorflow_quietly` imports it with that descriptor pointed elsewhere; the
lines are shown if the import fails, and always with KERAS_ADEGAN_VERBOSE=1.

Example:
    >>> import_tensorflow_quietly()   # first thing a command does after parsing its flags
"""

from __future__ import annotations

import os
import sys
import tempfile


def import_tensorflow_quietly() -> None:
    if os.environ.get("KERAS_ADEGAN_VERBOSE") or "tensorflow" in sys.modules:
        return
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices()  # device probing logs too (cuInit)
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
