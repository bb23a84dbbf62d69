"""mmmeta: MetaFormer-family backbones for OpenMMLab detection and
segmentation.

Importing ``mmmeta`` registers every backbone in the ``mmmeta`` registry
scope; it needs only torch and mmengine.
"""
from . import models  # noqa: F401  (registers the backbones)
from .registry import MODELS
from .version import __version__

__all__ = ['MODELS', '__version__']
