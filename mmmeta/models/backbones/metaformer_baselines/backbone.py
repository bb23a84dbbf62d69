"""The MetaFormer baselines: arch tables."""

from typing import List

from ....registry import MODELS
from ...layers import embedding
from ...utils.families import SAIL_SIZES
from ..metaformer import MetaFormer

CONVFORMER_SIZES = {
    's18': dict(depths=[3, 3, 9, 3], dims=[64, 128, 320, 512]),
    's36': dict(depths=[3, 12, 18, 3], dims=[64, 128, 320, 512]),
    'm36': dict(depths=[3, 12, 18, 3], dims=[96, 192, 384, 576]),
    'b36': dict(depths=[3, 12, 18, 3], dims=[128, 256, 512, 768]),
}


def baseline_blocks(token_mixers: List[dict], norm: str) -> List[dict]:
    """The baselines' block per stage: ``norm`` pre-norms (weight only, eps
    1e-6), StarReLU MLP without biases, res scale (init 1) in stages 3-4,
    no layer scale."""
    return [
        dict(
            type='MetaFormerBlock',
            token_mixer=mixer,
            mlp=dict(
                type='Mlp',
                mlp_ratio=4,
                act_cfg=dict(type='StarReLU'),
                bias=False,
            ),
            norm_cfg=dict(type=norm, eps=1e-6, bias=False),
            layer_scale_init_value=None,
            res_scale_init_value=None if i < 2 else 1.0,
        )
        for i, mixer in enumerate(token_mixers)
    ]


#: The baselines' weight-only channel LayerNorm after the stem and before
#: each downsampling.
_LN_WEIGHT = dict(type='ChannelLayerNorm', eps=1e-6, bias=False)


class MetaFormerBaseline(MetaFormer):
    """What the baselines share: weight-only channel LayerNorms (eps 1e-6)
    after the stem and before each downsampling, channel LayerNorm output
    norms, and the sail-sg metaformer and timm checkpoint layouts."""

    arch_defaults = dict(
        stem=embedding('Stem', 7, 4, 2, norm_cfg=_LN_WEIGHT),
        downsample=embedding('Downsampling', 3, 2, 1, norm_cfg=_LN_WEIGHT),
        out_norm=dict(type='ChannelLayerNorm', eps=1e-6, bias=True),
    )
    checkpoint_layouts = ('sail-metaformer', 'timm')


def _table(sizes: dict, blocks: List[dict]) -> dict:
    return {name: dict(size, block=blocks) for name, size in sizes.items()}


POOLING = dict(type='Pooling', pool_size=3)
IDENTITY = dict(type='Identity')
SEPCONV = dict(type='SepConv')
ATTENTION = dict(type='Attention', head_dim=32)


@MODELS.register_module()
class PoolFormerV2(MetaFormerBaseline):
    """PoolFormerV2 (``mmmeta.PoolFormerV2``): pooling mixer with the
    baselines' settings. Archs s12, s24, s36, m36, m48."""

    default_arch = 's12'
    arch_zoo = _table(SAIL_SIZES, baseline_blocks([POOLING] * 4, 'GroupNorm1'))


@MODELS.register_module()
class IdentityFormer(MetaFormerBaseline):
    """IdentityFormer (``mmmeta.IdentityFormer``): identity mixer.
    Archs s12, s24, s36, m36, m48."""

    default_arch = 's12'
    arch_zoo = _table(
        SAIL_SIZES, baseline_blocks([IDENTITY] * 4, 'GroupNorm1')
    )


@MODELS.register_module()
class RandFormer(MetaFormerBaseline):
    """RandFormer (``mmmeta.RandFormer``): identity mixer in stages 1-2,
    frozen random token mixing in stages 3-4. Archs s12, s24, s36, m36, m48.

    Runs at any input size: the trained 14x14 / 7x7 mixing matrices are
    resampled to the actual token grid (see :class:`RandomMixing`).
    """

    default_arch = 's12'
    arch_zoo = _table(
        SAIL_SIZES,
        baseline_blocks(
            [
                IDENTITY,
                IDENTITY,
                dict(type='RandomMixing', num_tokens=196),
                dict(type='RandomMixing', num_tokens=49),
            ],
            'GroupNorm1',
        ),
    )


@MODELS.register_module()
class ConvFormer(MetaFormerBaseline):
    """ConvFormer (``mmmeta.ConvFormer``): separable-convolution mixer.
    Archs s18, s36, m36, b36."""

    default_arch = 's18'
    arch_zoo = _table(
        CONVFORMER_SIZES, baseline_blocks([SEPCONV] * 4, 'ChannelLayerNorm')
    )


@MODELS.register_module()
class CAFormer(MetaFormerBaseline):
    """CAFormer (``mmmeta.CAFormer``): separable convolutions in stages 1-2,
    global attention (head_dim 32) in stages 3-4. Archs s18, s36, m36, b36.
    """

    default_arch = 's18'
    arch_zoo = _table(
        CONVFORMER_SIZES,
        baseline_blocks(
            [SEPCONV, SEPCONV, ATTENTION, ATTENTION], 'ChannelLayerNorm'
        ),
    )
