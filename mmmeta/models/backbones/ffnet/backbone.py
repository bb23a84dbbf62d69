"""FFNet on the MetaFormer core.

An FFNet block is a MetaFormer block without pre-norms: ``x + ls *
FFNifiedAttention(x)``, then ``x + ls * ConvFFN(x)``, where all
normalisation is BatchNorm inside the convolutions. Stages are joined by
re-parameterisable stride-2 depthwise convolutions; each output gets a new
channel LayerNorm (``norm{i}``), as in the official dense backbone.

``arch='seg'`` is FFNet-seg, the backbone of the official system-level
segmentation model (``ffnet_seg`` of ``segmentation/.../ffnet_sys.py``): a
deeper ConvBN stem, ConvBN patch merging, 9x9 strip-re-parameterised
depthwise convolutions in stages 3-4, and raw stage outputs.
"""

from typing import Optional, Union

from ....registry import MODELS
from ..metaformer import MetaFormer, configs_of_type

#: The FFNet parts that take the conv-BN norm.
CONV_BN_PARTS = (
    'ConvBNStem',
    'RepDownsampling',
    'ConvBNDownsampling',
    'FFNifiedAttention',
    'ConvFFN',
)


def _blocks(
    token_kernels, channel_kernel, mlp_ratio, layer_scale, depthwise='rep'
) -> list:
    return [
        dict(
            type='MetaFormerBlock',
            norm_cfg=None,
            token_mixer=dict(
                type='FFNifiedAttention',
                kernel_size=k,
                depthwise=depthwise,
            ),
            mlp=dict(
                type='ConvFFN', kernel_size=channel_kernel, mlp_ratio=mlp_ratio
            ),
            layer_scale_init_value=layer_scale,
        )
        for k in token_kernels
    ]


def _size(depths, dims, channel_kernel=7, layer_scale=None) -> dict:
    return dict(
        depths=depths,
        dims=dims,
        block=_blocks((3, 3, 7, 7), channel_kernel, 3, layer_scale),
    )


@MODELS.register_module()
class FFNet(MetaFormer):
    """FFNet (``mmmeta.FFNet``), archs ``'1'``, ``'2'``, ``'3'``, ``'4'``
    and ``'seg'`` (FFNet-seg).

    Args:
        arch (str | dict): ``'1'`` .. ``'4'`` (also ``'ffnet_1'`` ...),
            ``'seg'``, or a custom dict.
        conv_norm_cfg (dict): Norm of every conv-BN unit (stem,
            downsampling, both mixers). Defaults to ``dict(type='BN')``;
            detection/segmentation configs set
            ``dict(type='SyncBN', requires_grad=True)`` for multi-GPU runs.
        layer_scale_init_value (float | None): Initial layer scale; FFNet-3
            and -4 have one (the official downstream recipes initialise it
            to 1.0, ImageNet training to 1e-6), FFNet-1/2 none unless set
            here. Defaults to the arch's.
        **kwargs: See :class:`MetaFormer` (``out_indices``,
            ``drop_path_rate``, ``frozen_stages``, ``norm_eval``,
            ``with_cp``, ``init_cfg`` ...).

    Call :meth:`switch_to_deploy` after loading weights to fold every BN,
    parallel branch and layer scale into plain convolutions.
    """

    default_arch = '1'
    arch_defaults = dict(
        stem=dict(type='ConvBNStem'),
        downsample=dict(type='RepDownsampling'),
        out_norm=dict(type='ChannelLayerNorm', eps=1e-6, bias=True),
    )
    arch_zoo = {
        '1': _size([2, 2, 8, 2], [80, 160, 320, 640], channel_kernel=3),
        '2': _size([3, 3, 15, 3], [88, 176, 352, 704]),
        '3': _size([4, 4, 22, 5], [96, 192, 384, 768], layer_scale=1.0),
        '4': _size([4, 4, 27, 3], [128, 256, 512, 1024], layer_scale=1.0),
        'seg': dict(
            depths=[3, 4, 18, 5],
            dims=[96, 192, 384, 768],
            stem=dict(
                type='ConvBNStem',
                spec=(
                    (64, 2, True),
                    (64, 1, True),
                    (None, 1, False),
                    (None, 2, False),
                ),
            ),
            downsample=dict(type='ConvBNDownsampling'),
            block=_blocks((3, 3, 9, 9), 3, 4, 1e-5, depthwise='strip'),
            out_norm=None,
        ),
    }
    checkpoint_layouts = ('ffnet-official', 'mmmeta')

    def __init__(
        self,
        arch: Union[str, dict, None] = None,
        conv_norm_cfg: Optional[dict] = None,
        **kwargs,
    ):
        if 'norm_cfg' in kwargs:
            raise TypeError(
                "FFNet's norm_cfg is now called conv_norm_cfg (the norm of "
                'its conv-BN units; norm_cfg means a block pre-norm '
                'elsewhere in mmmeta). Rename the key in your config.'
            )
        if isinstance(arch, str):
            arch = arch.lower().replace('ffnet_', '').replace('ffnet-', '')
        settings = self.resolve_arch(arch)
        conv_norm_cfg = conv_norm_cfg or dict(type='BN')
        for part in configs_of_type(settings, CONV_BN_PARTS):
            part['norm_cfg'] = conv_norm_cfg
        self.conv_norm_cfg = conv_norm_cfg
        super().__init__(arch=settings, **kwargs)
