from .families import (
                       CAFormer,
                       ConvFormer,
                       IdentityFormer,
                       PoolFormer,
                       PoolFormerV2,
                       RandFormer,
)
from .ffnet import FFNet
from .metaformer import MetaFormer, MetaFormerBlock
from .transnext import TransNeXt

__all__ = [
    'MetaFormer', 'MetaFormerBlock', 'PoolFormer', 'PoolFormerV2',
    'IdentityFormer', 'RandFormer', 'ConvFormer', 'CAFormer',
    'TransNeXt', 'FFNet'
]
