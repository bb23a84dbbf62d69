"""InceptionNeXt: the arch table."""

from ....registry import MODELS
from ...layers import embedding
from ..metaformer import MetaFormer

_BN = dict(type='BatchNormNHWC')


def _stages(band_kernel_size: int = 11, branch_ratio: float = 0.125):
    mixer = dict(
        type='InceptionDWConv',
        band_kernel_size=band_kernel_size,
        branch_ratio=branch_ratio,
    )
    return [
        dict(
            type='MetaNeXtBlock',
            token_mixer=mixer,
            norm_cfg=_BN,
            mlp=dict(
                type='Mlp',
                mlp_ratio=ratio,
                act_cfg=dict(type='GELU'),
                bias=True,
            ),
            layer_scale_init_value=1e-6,
        )
        for ratio in (4, 4, 4, 3)
    ]


@MODELS.register_module()
class InceptionNeXt(MetaFormer):
    """InceptionNeXt (``mmmeta.InceptionNeXt``), archs atto, tiny, small,
    base.

    The official MetaNeXt model: a 4x4 stride-4 convolution and BatchNorm
    as stem; BatchNorm then a 2x2 stride-2 convolution between stages;
    MetaNeXt blocks (Inception depthwise mixer, BatchNorm, GELU MLP of
    ratio 4, 3 in the last stage, layer scale 1e-6). Each returned output
    gets a channel LayerNorm (``norm{i}``, new for dense heads, as
    ConvNeXt's dense backbones); ``out_norm_cfg=None`` returns the raw
    stage outputs. Loads the sail-sg release and timm's files (the same
    names).
    """

    default_arch = 'tiny'
    arch_defaults = dict(
        stem=embedding('Stem', 4, 4, 0, norm_cfg=_BN),
        downsample=embedding('Downsampling', 2, 2, 0, norm_cfg=_BN),
        block=_stages(),
        out_norm=dict(type='ChannelLayerNorm', eps=1e-6, bias=True),
    )
    arch_zoo = {
        'atto': dict(
            depths=[2, 2, 6, 2],
            dims=[40, 80, 160, 320],
            block=_stages(band_kernel_size=9, branch_ratio=0.25),
        ),
        'tiny': dict(depths=[3, 3, 9, 3], dims=[96, 192, 384, 768]),
        'small': dict(depths=[3, 3, 27, 3], dims=[96, 192, 384, 768]),
        'base': dict(depths=[3, 3, 27, 3], dims=[128, 256, 512, 1024]),
    }
    checkpoint_layouts = ('inceptionnext', 'mmmeta')
    min_input_reason = 'a 4x4 stride-4 stem, then three 2x2 stride-2 steps'
