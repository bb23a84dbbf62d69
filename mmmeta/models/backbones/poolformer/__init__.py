"""PoolFormer v1.

Yu et al., "MetaFormer Is Actually What You Need for Vision", CVPR 2022.
Official code: https://github.com/sail-sg/poolformer
"""

from ...utils.families import register_family
from . import converter  # noqa: F401  (registers the checkpoint layout)
from .backbone import POOLFORMER_SIZES, PoolFormer

__all__ = ['PoolFormer', 'POOLFORMER_SIZES']

register_family(
    'PoolFormer',
    'MetaFormer Is Actually What You Need for Vision',
    arxiv='2111.11418',
    code='sail-sg/poolformer',
)
