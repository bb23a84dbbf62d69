"""mmmeta: MetaFormer-family backbones for OpenMMLab detection and
segmentation.

Importing ``mmmeta`` registers every backbone in the ``mmmeta`` registry
scope; it needs only torch and mmengine.
"""

from . import engine, models  # noqa: F401  (registers modules and hooks)
from .models.inference import optimize_for_inference
from .registry import HOOKS, MODELS
from .version import __version__

__all__ = ['MODELS', 'HOOKS', 'optimize_for_inference', '__version__']
