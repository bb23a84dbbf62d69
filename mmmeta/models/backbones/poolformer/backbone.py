"""PoolFormer v1: the arch table."""
from ....registry import MODELS
from ..metaformer import MetaFormer

S_DIMS = [64, 128, 320, 512]
M_DIMS = [96, 192, 384, 768]

#: Depths and widths of PoolFormer v1, also used by PoolFormerV2,
#: IdentityFormer and RandFormer.
POOLFORMER_SIZES = {
    's12': dict(depths=[2, 2, 6, 2], dims=S_DIMS),
    's24': dict(depths=[4, 4, 12, 4], dims=S_DIMS),
    's36': dict(depths=[6, 6, 18, 6], dims=S_DIMS),
    'm36': dict(depths=[6, 6, 18, 6], dims=M_DIMS),
    'm48': dict(depths=[8, 8, 24, 8], dims=M_DIMS),
}


def _block(layer_scale: float) -> dict:
    return dict(
        type='MetaFormerBlock',
        token_mixer=dict(type='Pooling', pool_size=3),
        mlp=dict(type='Mlp', mlp_ratio=4, act_cfg=dict(type='GELU'),
                 bias=True),
        norm_cfg=dict(type='GroupNorm1', eps=1e-5, bias=True),
        layer_scale_init_value=layer_scale)


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
        stem=dict(type='Stem', kernel_size=7, stride=4, padding=2),
        downsample=dict(type='Downsampling', kernel_size=3, stride=2,
                        padding=1),
        out_norm=dict(type='GroupNorm1', eps=1e-5, bias=True),
    )
    arch_zoo = {
        name: dict(size, block=_block(1e-5 if name in ('s12', 's24') else
                                      1e-6))
        for name, size in POOLFORMER_SIZES.items()
    }
    checkpoint_layouts = ('sail-poolformer', 'timm')
    reference_impl = 'mmmeta.models.backbones.poolformer.reference'
