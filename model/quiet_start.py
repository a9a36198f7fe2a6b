"""Start the Keras backend without TensorFlow's harmless native start-up notices.

TensorFlow 2.21 writes oneDNN and CUDA notices ("Could not find cuda drivers", "failed
call to cuInit") through Abseil logging *before* Abseil is initialised, and such
messages ignore `TF_CPP_MIN_LOG_LEVEL`. A user of `melnev predict` on a laptop without a
GPU would read them as errors. Native code writes them straight to file descriptor 2,
so while the backend starts that descriptor points to a temporary file; afterwards
every line that is not one of those notices is written to stderr after all.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

# Set TF_CPP_MIN_LOG_LEVEL to 0 or 1 to see TensorFlow's native start-up messages.
VERBOSE_LEVELS = ("0", "1")
HARMLESS_NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
)


@contextlib.contextmanager
def native_stderr_filtered(harmless: tuple[str, ...] = HARMLESS_NOTICES) -> Iterator[None]:
    """Hold back what is written to stderr inside the block, and drop the harmless lines.

    Everything else (native errors, Python warnings) is written to stderr when the
    block ends; when an exception leaves the block, every line is, harmless or not.
    Without a usable file descriptor 2 (a daemon started with it closed) nothing is
    redirected.

    Args:
        harmless: Substrings of the lines to drop.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    failed = True
    with tempfile.TemporaryFile() as held_back:
        os.dup2(held_back.fileno(), 2)
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held_back.seek(0)
            lines = held_back.read().decode(errors="replace").splitlines(keepends=True)
            kept = [line for line in lines if failed or not any(h in line for h in harmless)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def start_backend_quietly() -> None:
    """Import Keras and, on TensorFlow, probe the devices, without the harmless notices.

    Probing the devices now triggers the CUDA initialisation notice that would otherwise
    appear at the first prediction. Only imports when the user asked for TensorFlow's
    messages (`TF_CPP_MIN_LOG_LEVEL` 0 or 1).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] in VERBOSE_LEVELS:
        import keras

        return
    with native_stderr_filtered():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()
