"""MambaOut: the arch table."""

from ....registry import MODELS
from ..metaformer import MetaFormer
from .layers import LAYER_NORM

_SMALL = [48, 96, 192, 288]
_TINY = [96, 192, 384, 576]
_BASE = [128, 256, 512, 768]


def _official(depths, dims) -> dict:
    return dict(depths=depths, dims=dims)


def _rw(depths, dims, act='GELU', **block) -> dict:
    """timm's variants (Wightman): no norm inside the stem, the
    downsampling's norm before its convolution, layer scale 1e-6; ``act``
    in the stem and the gates."""
    return dict(
        depths=depths,
        dims=dims,
        stem=dict(type='MambaOutStem', mid_norm=False, act_cfg=dict(type=act)),
        downsample=dict(type='Downsampling', norm_cfg=LAYER_NORM),
        block=dict(
            type='GatedCNNBlock',
            act_cfg=dict(type=act),
            layer_scale_init_value=1e-6,
            **block,
        ),
    )


@MODELS.register_module()
class MambaOut(MetaFormer):
    """MambaOut (``mmmeta.MambaOut``): archs femto, kobe, tiny, small, base
    (the official ones) and timm's small_rw, base_short_rw, base_tall_rw,
    base_wide_rw, base_plus_rw.

    The official model: a two-convolution stem (3x3 stride 2 twice, GELU
    and LayerNorms), 3x3 stride-2 convolutions with a LayerNorm after them
    between stages, Gated CNN blocks (LayerNorm, expansion 8/3, 7x7
    depthwise convolution over all channels, GELU gate, no layer scale).
    Each returned output gets a channel LayerNorm (``norm{i}``); the last
    one is the official classifier's final norm. ``out_norm_cfg=None``
    returns the raw stage outputs. Loads the yuweihao/MambaOut release and
    timm's files.

    Every input size runs (the stride-2 convolutions with padding 1 keep at
    least one token).
    """

    default_arch = 'tiny'
    arch_defaults = dict(
        stem=dict(type='MambaOutStem'),
        downsample=dict(type='Downsampling', post_norm_cfg=LAYER_NORM),
        block=dict(type='GatedCNNBlock'),
        out_norm=LAYER_NORM,
    )
    arch_zoo = {
        'femto': _official([3, 3, 9, 3], _SMALL),
        'kobe': _official([3, 3, 15, 3], _SMALL),
        'tiny': _official([3, 3, 9, 3], _TINY),
        'small': _official([3, 4, 27, 3], _TINY),
        'base': _official([3, 4, 27, 3], _BASE),
        'small_rw': _rw([3, 4, 27, 3], _TINY),
        'base_short_rw': _rw(
            [3, 3, 25, 3], _BASE, expansion_ratio=3.0, conv_ratio=1.25
        ),
        'base_tall_rw': _rw(
            [3, 4, 30, 3], _BASE, expansion_ratio=2.5, conv_ratio=1.25
        ),
        'base_wide_rw': _rw(
            [3, 4, 27, 3], _BASE, 'SiLU', expansion_ratio=3.0, conv_ratio=1.5
        ),
        'base_plus_rw': _rw(
            [3, 4, 30, 3], _BASE, 'SiLU', expansion_ratio=3.0, conv_ratio=1.5
        ),
    }
    checkpoint_layouts = ('mambaout-official', 'timm-mambaout', 'mmmeta')
    min_input_size = 1
    min_input_reason = 'an empty image'
