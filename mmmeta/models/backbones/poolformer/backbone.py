"""PoolFormer v1: the arch table."""

from ....registry import MODELS
from ...layers import embedding
from ...utils.families import SAIL_SIZES
from ..metaformer import MetaFormer

#: Depths and widths of PoolFormer v1 (shared with the baselines).
POOLFORMER_SIZES = SAIL_SIZES


def _block(layer_scale: float) -> dict:
    return dict(
        type='MetaFormerBlock',
        token_mixer=dict(type='Pooling', pool_size=3),
        mlp=dict(
            type='Mlp', mlp_ratio=4, act_cfg=dict(type='GELU'), bias=True
        ),
        norm_cfg=dict(type='GroupNorm1', eps=1e-5, bias=True),
        layer_scale_init_value=layer_scale,
    )


@MODELS.register_module()
class PoolFormer(MetaFormer):
    """PoolFormer v1 (``mmmeta.PoolFormer``), archs s12, s24, s36, m36, m48.

    The official v1 block: GroupNorm(1) pre-norms, ``pool(x) - x`` mixer,
    1x1 MLP with biases and GELU, layer scale 1e-5 (s12, s24) or 1e-6;
    no norms in stem and downsampling; GroupNorm(1) output norms as in the
    official dense model. Loads the sail-sg release, its dense
    detection/segmentation checkpoints, mmpretrain's and timm's files.
    """

    default_arch = 's12'
    arch_defaults = dict(
        stem=embedding('Stem', 7, 4, 2),
        downsample=embedding('Downsampling', 3, 2, 1),
        out_norm=dict(type='GroupNorm1', eps=1e-5, bias=True),
    )
    arch_zoo = {
        name: dict(
            size, block=_block(1e-5 if name in ('s12', 's24') else 1e-6)
        )
        for name, size in POOLFORMER_SIZES.items()
    }
    checkpoint_layouts = ('sail-poolformer', 'timm')
