"""TransNeXt on the MetaFormer core.

A TransNeXt stage is an overlapping patch embedding (convolution, then
LayerNorm), pre-norm blocks with :class:`AggregatedAttention` (stages 1-3)
or :class:`CosineAttention` (stage 4) as token mixer and
:class:`ConvolutionalGLU` as channel mixer, and a LayerNorm that stays in
the trunk; the four normed stage outputs are the features.
"""

from typing import Sequence, Union

from ....registry import MODELS
from ...layers import embedding, to_pair
from ..metaformer import MetaFormer, stage_block_configs

_LN6 = dict(type='LN', eps=1e-6)
_LN5 = dict(type='LN', eps=1e-5)
_SR_RATIOS = (8, 4, 2)
_MLP_RATIOS = (8, 8, 4, 4)
_STRIDES = (4, 8, 16, 32)


def _size(depths, dims, heads) -> dict:
    mixers = [
        dict(type='AggregatedAttention', num_heads=h, sr_ratio=sr)
        for h, sr in zip(heads[:3], _SR_RATIOS)
    ] + [dict(type='CosineAttention', num_heads=heads[3])]
    blocks = [
        dict(
            type='MetaFormerBlock',
            token_mixer=mixer,
            mlp=dict(type='ConvolutionalGLU', mlp_ratio=ratio),
            norm_cfg=_LN6,
        )
        for mixer, ratio in zip(mixers, _MLP_RATIOS)
    ]
    return dict(depths=depths, dims=dims, block=blocks)


@MODELS.register_module()
class TransNeXt(MetaFormer):
    """TransNeXt (``mmmeta.TransNeXt``), archs micro, tiny, small, base.

    Accepts any input of at least 29x29 pixels (the stage-1 token map must
    hold one 8x8 pooling window). Loads the official ImageNet and
    detection/segmentation checkpoints (``patch_embed{i}``, ``block{i}.j``,
    ``norm{i}``; the CUDA and native versions share these keys).

    Args:
        arch (str | dict): ``micro``, ``tiny``, ``small``, ``base`` or a
            custom dict (``depths``, ``dims``, ``block``, ...).
        img_size (int | tuple): Interpolation mode: the image size whose
            token grids the position bias is computed on before being
            resized to the input (the official ``img_size``: 800 in the
            detection recipes, 512 in UperNet single-scale). It costs
            neither build time nor a table in memory here. Defaults to 224.
        pretrain_size (int | tuple): Image size of pre-training; normalises
            the relative coordinates. 224 for the released weights.
        is_extrapolation (bool): Evaluate the position-bias MLP at the
            input's own coordinates instead of interpolating (the official
            ``*_ms_extrapolation`` recipes). Defaults to False.
        **kwargs: See :class:`MetaFormer` (``out_indices``,
            ``drop_path_rate``, ``frozen_stages``, ``with_cp``,
            ``init_cfg`` ...). The outputs are the trunk's stage norms, so
            ``out_norm_cfg`` defaults to None.
    """

    default_arch = 'tiny'
    arch_defaults = dict(
        stem=embedding('Stem', 7, 4, 3, norm_cfg=_LN5),
        downsample=embedding('Downsampling', 3, 2, 1, post_norm_cfg=_LN5),
        stage_norm=_LN6,
    )
    arch_zoo = {
        'micro': _size([2, 2, 15, 2], [48, 96, 192, 384], [2, 4, 8, 16]),
        'tiny': _size([2, 2, 15, 2], [72, 144, 288, 576], [3, 6, 12, 24]),
        'small': _size([5, 5, 22, 5], [72, 144, 288, 576], [3, 6, 12, 24]),
        'base': _size([5, 5, 23, 5], [96, 192, 384, 768], [4, 8, 16, 32]),
    }
    checkpoint_layouts = ('transnext-official', 'mmmeta')
    conv_init = 'fan_out'
    #: ``lean=True`` checkpoints stages 1-2 (strides 4 and 8), which hold
    #: most of the activations. Stage 3's fifteen blocks on a 16x coarser
    #: map would free a third as much for more recomputation than stages
    #: 1-2 together (TransNeXt-Tiny, 1x512x512: 0.66x of autograd's memory
    #: for x1.10 of its step, against 0.45x for x1.29 with every stage;
    #: docs/benchmarks.md).
    lean_stages = (True, True, False, False)
    #: The stage-1 map (stride 4) must hold one 8x8 pooling window.
    min_input_size = 29
    min_input_reason = (
        'a stage-1 token map of at least 8x8 for the 8x8 '
        'pooling of aggregated attention'
    )

    def __init__(
        self,
        arch: Union[str, dict, None] = None,
        img_size: Union[int, Sequence[int]] = 224,
        pretrain_size: Union[int, Sequence[int]] = 224,
        is_extrapolation: bool = False,
        **kwargs,
    ):
        settings = self.resolve_arch(arch)
        img_size, pretrain_size = to_pair(img_size), to_pair(pretrain_size)
        for stride, blocks in zip(_STRIDES, stage_block_configs(settings)):
            for block in blocks:
                mixer = block['token_mixer']
                mixer['pretrain_size'] = tuple(
                    s // stride for s in pretrain_size
                )
                mixer['trained_size'] = (
                    None
                    if is_extrapolation
                    else tuple(s // stride for s in img_size)
                )
        self.img_size, self.pretrain_size = img_size, pretrain_size
        self.is_extrapolation = is_extrapolation
        super().__init__(arch=settings, **kwargs)
