"""FFNet (MetaMixer) on the MetaFormer core.

An FFNet block is a MetaFormer block without pre-norms: ``x + ls *
FFNifiedAttention(x)``, then ``x + ls * ConvFFN(x)``, where all
normalisation is BatchNorm inside the convolutions. Stages are joined by
re-parameterisable stride-2 depthwise convolutions; each output gets a new
channel LayerNorm (``norm{i}``), as in the official dense backbone.

Reference:
    Yun, Lee, Ro, "MetaMixer Is All You Need" (FFNet), arXiv 2406.02021.
    Official code (Apache-2.0): https://github.com/ysj9909/FFNet
"""
from typing import Dict, Optional, Union

import torch

from ...registry import MODELS
from .metaformer import MetaFormer


def _size(depths, dims, channel_kernel=7, layer_scale=None) -> dict:
    return dict(
        depths=depths,
        dims=dims,
        token_mixers=[
            dict(type='FFNifiedAttention', kernel_size1=k, kernel_size2=k)
            for k in (3, 3, 7, 7)
        ],
        mlp=dict(type='ConvFFN', kernel_size=channel_kernel, mlp_ratio=3),
        layer_scale_init_value=layer_scale)


@MODELS.register_module()
class FFNet(MetaFormer):
    """FFNet (``mmmeta.FFNet``), archs ``'1'``, ``'2'``, ``'3'``, ``'4'``.

    Args:
        arch (str | dict): ``'1'`` .. ``'4'`` (also ``'ffnet_1'`` ...), or a
            custom dict.
        norm_cfg (dict): Norm of every ConvBN unit. Defaults to
            ``dict(type='BN')``; detection/segmentation configs set
            ``dict(type='SyncBN', requires_grad=True)`` for multi-GPU runs.
        layer_scale_init_value (float | None): Initial layer scale of FFNet-3
            and -4 (the official downstream recipes use 1.0, ImageNet
            training 1e-6). Defaults to 1.0.
        **kwargs: See :class:`MetaFormer` (``out_indices``,
            ``drop_path_rate``, ``frozen_stages``, ``norm_eval``,
            ``with_cp``, ``init_cfg`` ...).

    Call :meth:`switch_to_deploy` after loading weights to fold every BN,
    parallel branch and layer scale into plain convolutions.
    """

    arch_defaults = dict(
        norm_cfg=None,
        stem_norm_cfg=None,
        downsample_norm_cfg=None,
        res_scale_init_value=None,
        out_norm_cfg=dict(type='ChannelLayerNorm', eps=1e-6, bias=True),
        stem=dict(type='ConvBNStem', mid_channels=64),
        downsample=dict(type='RepDownsampling'),
    )
    arch_zoo = {
        '1': _size([2, 2, 8, 2], [80, 160, 320, 640], channel_kernel=3),
        '2': _size([3, 3, 15, 3], [88, 176, 352, 704]),
        '3': _size([4, 4, 22, 5], [96, 192, 384, 768], layer_scale=1.0),
        '4': _size([4, 4, 27, 3], [128, 256, 512, 1024], layer_scale=1.0),
    }

    def __init__(self,
                 arch: Union[str, dict] = '1',
                 norm_cfg: Optional[dict] = None,
                 **kwargs):
        if isinstance(arch, str):
            arch = arch.lower().replace('ffnet_', '').replace('ffnet-', '')
        settings = self.resolve_arch(arch)
        norm_cfg = norm_cfg or dict(type='BN')
        for part in ('stem', 'downsample', 'mlp'):
            settings[part]['norm_cfg'] = norm_cfg
        for mixer in settings['token_mixers']:
            mixer['norm_cfg'] = norm_cfg
        self.norm_cfg = norm_cfg
        if settings['layer_scale_init_value'] is None:
            kwargs.pop('layer_scale_init_value', None)  # FFNet-1/2 have none
        super().__init__(arch=settings, **kwargs)

    def convert_checkpoint(self, state_dict: Dict[str, torch.Tensor]
                           ) -> Dict[str, torch.Tensor]:
        """Rename an official FFNet state dict to mmmeta names."""
        from ..utils.ckpt_convert import convert_ffnet
        return convert_ffnet(state_dict)
