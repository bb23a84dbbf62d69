"""TransNeXt.

Shi, "TransNeXt: Robust Foveal Visual Perception for Vision Transformers",
CVPR 2024. Official code (Apache-2.0): https://github.com/DaiShiResearch/TransNeXt
"""

from ...utils.families import register_family
from . import converter  # noqa: F401  (registers the checkpoint layout)
from .backbone import TransNeXt
from .layers import AggregatedAttention, ConvolutionalGLU, CosineAttention

__all__ = [
    'TransNeXt',
    'AggregatedAttention',
    'CosineAttention',
    'ConvolutionalGLU',
]

register_family(
    'TransNeXt',
    'TransNeXt: Robust Foveal Visual Perception for Vision Transformers',
    arxiv='2311.17132',
    code='DaiShiResearch/TransNeXt',
)
