"""Pure image preprocessing: arrays in, arrays out (decoding bytes is the edge)."""

from preprocessing.color import color_constancy
from preprocessing.decode import HEIF_SUPPORTED, decode_image
from preprocessing.errors import InvalidImageError, InvalidImageReason
from preprocessing.hair import add_synthetic_hair, remove_hair
from preprocessing.pipeline import PreprocessConfig, preprocess
from preprocessing.quality import QualityIssue, QualityReport, assess_quality

__all__ = [
    "HEIF_SUPPORTED",
    "InvalidImageError",
    "InvalidImageReason",
    "PreprocessConfig",
    "QualityIssue",
    "QualityReport",
    "add_synthetic_hair",
    "assess_quality",
    "color_constancy",
    "decode_image",
    "preprocess",
    "remove_hair",
]
