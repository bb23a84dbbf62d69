"""The MetaFormer families: tables of settings for the shared core.

PoolFormer v1:
    Yu et al., "MetaFormer Is Actually What You Need for Vision", CVPR 2022.
    Official code: https://github.com/sail-sg/poolformer
IdentityFormer, RandFormer, PoolFormerV2, ConvFormer, CAFormer:
    Yu et al., "MetaFormer Baselines for Vision", TPAMI 2024.
    Official code: https://github.com/sail-sg/metaformer
"""
from ...registry import MODELS
from .metaformer import MetaFormer

_S_DIMS = [64, 128, 320, 512]
_M_DIMS = [96, 192, 384, 768]
_STEM = dict(kernel_size=7, stride=4, padding=2)
_DOWNSAMPLE = dict(kernel_size=3, stride=2, padding=1)

#: Depths and widths shared by PoolFormer v1, PoolFormerV2, IdentityFormer
#: and RandFormer.
_POOLFORMER_SIZES = {
    's12': dict(depths=[2, 2, 6, 2], dims=_S_DIMS),
    's24': dict(depths=[4, 4, 12, 4], dims=_S_DIMS),
    's36': dict(depths=[6, 6, 18, 6], dims=_S_DIMS),
    'm36': dict(depths=[6, 6, 18, 6], dims=_M_DIMS),
    'm48': dict(depths=[8, 8, 24, 8], dims=_M_DIMS),
}
_CONVFORMER_SIZES = {
    's18': dict(depths=[3, 3, 9, 3], dims=_S_DIMS),
    's36': dict(depths=[3, 12, 18, 3], dims=_S_DIMS),
    'm36': dict(depths=[3, 12, 18, 3], dims=[96, 192, 384, 576]),
    'b36': dict(depths=[3, 12, 18, 3], dims=[128, 256, 512, 768]),
}

# Settings of the MetaFormer-baselines paper: weight-only norms with eps 1e-6
# in stem and downsampling, StarReLU MLPs without biases, res scale (init 1)
# in the last two stages, no layer scale.
_BASELINE_DEFAULTS = dict(
    mlp=dict(mlp_ratio=4, act_cfg=dict(type='StarReLU'), bias=False),
    norm_cfg=dict(type='GroupNorm1', eps=1e-6, bias=False),
    stem_norm_cfg=dict(type='ChannelLayerNorm', eps=1e-6, bias=False),
    downsample_norm_cfg=dict(type='ChannelLayerNorm', eps=1e-6, bias=False),
    layer_scale_init_value=None,
    res_scale_init_value=[None, None, 1.0, 1.0],
    out_norm_cfg=dict(type='ChannelLayerNorm', eps=1e-6, bias=True),
    stem=_STEM,
    downsample=_DOWNSAMPLE,
)


@MODELS.register_module()
class PoolFormer(MetaFormer):
    """PoolFormer v1 (``mmmeta.PoolFormer``), archs s12, s24, s36, m36, m48.

    The official v1 block: GroupNorm(1) pre-norms, ``pool(x) - x`` mixer,
    1x1 MLP with biases and GELU, layer scale 1e-5 (s12, s24) or 1e-6;
    no norms in stem and downsampling; GroupNorm(1) output norms as in the
    official dense model.
    """

    arch_defaults = dict(
        token_mixers=dict(type='Pooling', pool_size=3),
        mlp=dict(mlp_ratio=4, act_cfg=dict(type='GELU'), bias=True),
        norm_cfg=dict(type='GroupNorm1', eps=1e-5, bias=True),
        stem_norm_cfg=None,
        downsample_norm_cfg=None,
        layer_scale_init_value=1e-5,
        res_scale_init_value=None,
        out_norm_cfg=dict(type='GroupNorm1', eps=1e-5, bias=True),
        stem=_STEM,
        downsample=_DOWNSAMPLE,
    )
    arch_zoo = {
        name: dict(size, layer_scale_init_value=1e-5 if name in ('s12', 's24')
                   else 1e-6)
        for name, size in _POOLFORMER_SIZES.items()
    }


@MODELS.register_module()
class PoolFormerV2(MetaFormer):
    """PoolFormerV2 (``mmmeta.PoolFormerV2``): pooling mixer with the
    baselines' settings. Archs s12, s24, s36, m36, m48."""

    arch_defaults = dict(_BASELINE_DEFAULTS,
                         token_mixers=dict(type='Pooling', pool_size=3))
    arch_zoo = dict(_POOLFORMER_SIZES)


@MODELS.register_module()
class IdentityFormer(MetaFormer):
    """IdentityFormer (``mmmeta.IdentityFormer``): identity mixer.
    Archs s12, s24, s36, m36, m48."""

    arch_defaults = dict(_BASELINE_DEFAULTS,
                         token_mixers=dict(type='Identity'))
    arch_zoo = dict(_POOLFORMER_SIZES)


@MODELS.register_module()
class RandFormer(MetaFormer):
    """RandFormer (``mmmeta.RandFormer``): identity mixer in stages 1-2,
    frozen random token mixing in stages 3-4. Archs s12, s24, s36, m36, m48.

    Runs at any input size: the trained 14x14 / 7x7 mixing matrices are
    resampled to the actual token grid (see :class:`RandomMixing`).
    """

    arch_defaults = dict(
        _BASELINE_DEFAULTS,
        token_mixers=[
            dict(type='Identity'),
            dict(type='Identity'),
            dict(type='RandomMixing', num_tokens=196),
            dict(type='RandomMixing', num_tokens=49),
        ])
    arch_zoo = dict(_POOLFORMER_SIZES)


_CONVFORMER_DEFAULTS = dict(
    _BASELINE_DEFAULTS,
    norm_cfg=dict(type='ChannelLayerNorm', eps=1e-6, bias=False))


@MODELS.register_module()
class ConvFormer(MetaFormer):
    """ConvFormer (``mmmeta.ConvFormer``): separable-convolution mixer.
    Archs s18, s36, m36, b36."""

    arch_defaults = dict(_CONVFORMER_DEFAULTS,
                         token_mixers=dict(type='SepConv'))
    arch_zoo = dict(_CONVFORMER_SIZES)


@MODELS.register_module()
class CAFormer(MetaFormer):
    """CAFormer (``mmmeta.CAFormer``): separable convolutions in stages 1-2,
    global attention (head_dim 32) in stages 3-4. Archs s18, s36, m36, b36.
    """

    arch_defaults = dict(
        _CONVFORMER_DEFAULTS,
        token_mixers=[
            dict(type='SepConv'),
            dict(type='SepConv'),
            dict(type='Attention', head_dim=32),
            dict(type='Attention', head_dim=32),
        ])
    arch_zoo = dict(_CONVFORMER_SIZES)
