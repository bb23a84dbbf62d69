"""FFNet (MetaMixer).

Yun, Lee, Ro, "MetaMixer Is All You Need" / "FFNet: MetaMixer-based
Efficient Convolutional Mixer Design", arXiv 2406.02021.
Official code (Apache-2.0): https://github.com/ysj9909/FFNet
"""
from ....registry import MODELS
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
    'FFNet', 'ConvBNStem', 'ConvBNDownsampling', 'ConvFFN',
    'FFNifiedAttention', 'RepDownsampling'
]


@MODELS.register_module(name='FFNetHead')
def build_ffnet_head(**kwargs):
    """``mmmeta.FFNetHead``: FFNet-seg's mmseg decode head
    (:class:`~mmmeta.models.backbones.ffnet.seg_head.FFNetHead`). mmseg is
    imported when the head is built, not when mmmeta is."""
    from .seg_head import FFNetHead
    return FFNetHead(**kwargs)
