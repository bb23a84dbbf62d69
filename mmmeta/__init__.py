"""mmmeta: MetaFormer-family backbones for OpenMMLab detection and
segmentation.

Importing ``mmmeta`` registers every backbone in the ``mmmeta`` registry
scope; it needs only torch and mmengine.
"""
from . import engine, models  # noqa: F401  (registers modules and hooks)
from .registry import HOOKS, MODELS
from .version import __version__

__all__ = ['MODELS', 'HOOKS', '__version__']
