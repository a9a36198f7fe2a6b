"""Start the Keras backend without TensorFlow's native start-up chatter on stderr.

TensorFlow 2.21 writes oneDNN and CUDA notices ("Could not find cuda drivers", "failed
call to cuInit") through Abseil logging *before* Abseil is initialised, and such
messages ignore `TF_CPP_MIN_LOG_LEVEL`. A user of `melnev predict` on a laptop without a
GPU would read them as errors. They are written by native code straight to file
descriptor 2, so the only way to hide them is to point that descriptor elsewhere while
the backend starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

# Set TF_CPP_MIN_LOG_LEVEL to 0 or 1 to see TensorFlow's native start-up messages.
VERBOSE_LEVELS = ("0", "1")


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to stderr to /dev/null inside the block.

    Python-level output is flushed first and exceptions still propagate (they are
    printed after the block, once stderr is back).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def start_backend_quietly() -> None:
    """Import Keras and, on TensorFlow, probe the devices with native stderr silenced.

    Probing the devices now triggers the CUDA initialisation notice that would otherwise
    appear at the first prediction. Does nothing beyond importing when the user asked
    for TensorFlow's messages (`TF_CPP_MIN_LOG_LEVEL` 0 or 1).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] in VERBOSE_LEVELS:
        import keras

        return
    with native_stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()
