"""Peak memory and speed of offline prediction (`training.inputs.predict_logits`) by batch size.

Evaluation, calibration and the end of training answer whole splits with the shipped
model and its 4 test-time views. Each batch size runs in its own process (peak resident
memory is per process) on the same random 192 px images; printed side by side with the
old default, 256 views per call, as the baseline.

No data needed; about 2 minutes on a 2-core CPU.

Usage:
    python benchmarks/evaluation_memory.py [--images 512] [--batch-sizes 256 64 32]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

MEASURE = """
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
import tests.conftest  # quiets TensorFlow before it loads
from model.loader import load_model
from training.inputs import predict_logits
model = load_model(None).model
images = np.random.default_rng(0).integers(0, 256, ({count}, 192, 192, 3), dtype=np.uint8)
predict_logits(model, images[:{batch}], batch_size={batch}, views=4)  # warm-up
started = time.perf_counter()
predict_logits(model, images, batch_size={batch}, views=4)
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"ms_per_image": seconds / {count} * 1000, "peak_mb": peak_mb}}))
"""


def measure(batch_size: int, images: int) -> dict[str, float]:
    """Run one batch size in a fresh process; return its ms per image and peak MB."""
    code = MEASURE.format(root=str(REPO_ROOT), count=images, batch=batch_size)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 64, 32])
    args = parser.parse_args()
    results = {size: measure(size, args.images) for size in args.batch_sizes}
    baseline = results[args.batch_sizes[0]]
    print(f"{args.images} images x 4 views, shipped model, batch size in views per call")
    print(f"{'batch':>6} {'ms/image':>9} {'x time':>7} {'peak MB':>8} {'x memory':>9}")
    for size, row in results.items():
        print(
            f"{size:>6} {row['ms_per_image']:>9.1f} "
            f"{row['ms_per_image'] / baseline['ms_per_image']:>7.2f} {row['peak_mb']:>8.0f} "
            f"{row['peak_mb'] / baseline['peak_mb']:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
