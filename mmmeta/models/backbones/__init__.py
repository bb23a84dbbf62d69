from .families import (
                       CAFormer,
                       ConvFormer,
                       IdentityFormer,
                       PoolFormer,
                       PoolFormerV2,
                       RandFormer,
)
from .metaformer import MetaFormer, MetaFormerBlock

__all__ = [
    'MetaFormer', 'MetaFormerBlock', 'PoolFormer', 'PoolFormerV2',
    'IdentityFormer', 'RandFormer', 'ConvFormer', 'CAFormer'
]
