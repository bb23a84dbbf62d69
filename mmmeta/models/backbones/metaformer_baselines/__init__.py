"""The MetaFormer baselines: IdentityFormer, RandFormer, PoolFormerV2,
ConvFormer and CAFormer.

Yu et al., "MetaFormer Baselines for Vision", TPAMI 2024.
Official code: https://github.com/sail-sg/metaformer
"""

from ...utils.families import register_family
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
    'IdentityFormer',
    'RandFormer',
    'PoolFormerV2',
    'ConvFormer',
    'CAFormer',
    'Attention',
    'RandomMixing',
    'SepConv',
]

register_family(
    'MetaFormer baselines',
    'MetaFormer Baselines for Vision',
    arxiv='2210.13452',
    code='sail-sg/metaformer',
    config_folder='metaformer_baselines',
    backbones={
        'poolformerv2': 'PoolFormerV2',
        'identityformer': 'IdentityFormer',
        'randformer': 'RandFormer',
        'convformer': 'ConvFormer',
        'caformer': 'CAFormer',
    },
)
