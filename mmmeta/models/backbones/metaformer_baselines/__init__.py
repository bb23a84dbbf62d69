"""The MetaFormer baselines: IdentityFormer, RandFormer, PoolFormerV2,
ConvFormer and CAFormer.

Yu et al., "MetaFormer Baselines for Vision", TPAMI 2024.
Official code: https://github.com/sail-sg/metaformer
"""
from . import converter  # noqa: F401  (registers the checkpoint layouts)
from .backbone import (
                       CAFormer,
                       ConvFormer,
                       IdentityFormer,
                       PoolFormerV2,
                       RandFormer,
)
from .layers import Attention, RandomMixing, SepConv

__all__ = [
    'IdentityFormer', 'RandFormer', 'PoolFormerV2', 'ConvFormer', 'CAFormer',
    'Attention', 'RandomMixing', 'SepConv'
]
