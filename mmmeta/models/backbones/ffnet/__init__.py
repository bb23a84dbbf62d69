"""FFNet (MetaMixer).

Yun, Lee, Ro, "MetaMixer Is All You Need" / "FFNet: MetaMixer-based
Efficient Convolutional Mixer Design", arXiv 2406.02021.
Official code (Apache-2.0): https://github.com/ysj9909/FFNet
"""

from ...utils.families import register_family
from . import converter  # noqa: F401  (registers the checkpoint layout)
from .backbone import FFNet
from .layers import (
    ConvBNDownsampling,
    ConvBNStem,
    ConvFFN,
    FFNifiedAttention,
    RepDownsampling,
)

__all__ = [
    'FFNet',
    'ConvBNStem',
    'ConvBNDownsampling',
    'ConvFFN',
    'FFNifiedAttention',
    'RepDownsampling',
]

register_family(
    'FFNet',
    'FFNet: MetaMixer-based Efficient Convolutional Mixer Design',
    arxiv='2406.02021',
    code='ysj9909/FFNet',
)
