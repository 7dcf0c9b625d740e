"""TensorFlow without its C++ noise on the terminal.

TensorFlow's C++ lines (absl and oneDNN at start-up, CUDA stubs, the TFLite quantizer's
`fully_quantize: ...`) are written straight to file descriptor 2, so no logging setting hides
them, and they look like failures in front of our own messages. `quiet_native_stderr` points
that descriptor elsewhere for a block of code and shows what was written if the block fails
(and always with KERAS_ADEGAN_VERBOSE=1); `import_tensorflow_quietly` imports TensorFlow so.

Example:
    >>> import_tensorflow_quietly()   # first thing a command does after parsing its flags
    >>> with quiet_native_stderr():
    ...     content = converter.convert()
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to a temporary file while the block runs; replay it on failure."""
    if os.environ.get("KERAS_ADEGAN_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules:
        return
    with quiet_native_stderr():
        import tensorflow

        tensorflow.config.list_physical_devices()  # device probing logs too (cuInit)
