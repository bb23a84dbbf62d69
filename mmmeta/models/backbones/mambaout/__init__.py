"""MambaOut.

Yu, Wang, "MambaOut: Do We Really Need Mamba for Vision?", arXiv
2405.07992 (CVPR 2025). Official code (Apache-2.0):
https://github.com/yuweihao/MambaOut
"""

from ...utils.families import register_family
from . import converter  # noqa: F401  (registers the checkpoint layouts)
from .backbone import MambaOut
from .layers import GatedCNNBlock, MambaOutStem

__all__ = ['MambaOut', 'GatedCNNBlock', 'MambaOutStem']

register_family(
    'MambaOut',
    'MambaOut: Do We Really Need Mamba for Vision?',
    arxiv='2405.07992',
    code='yuweihao/MambaOut',
)
