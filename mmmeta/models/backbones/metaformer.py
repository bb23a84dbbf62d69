"""The MetaFormer core: one backbone for every MetaFormer family.

A MetaFormer is a stem, then four stages of ``MetaFormerBlock`` s separated
by strided convolutions. A block is
``x = res_scale(x) + layer_scale(token_mixer(norm1(x)))`` followed by the same
with an MLP. The families (PoolFormer, IdentityFormer, ConvFormer, ...)
differ only in the settings in their ``arch_zoo``: token mixer per stage,
norms, MLP activation and scales. A new family is a table, not new code.

Inside the network the tensors are channels-last ``(B, H, W, C)``; the
outputs are NCHW maps (with channels-last strides) at strides 4/8/16/32.

Parameter names follow timm's ``metaformer.py`` (``stem``,
``stages.i.downsample``, ``stages.i.blocks.j``) plus OpenMMLab's per-output
norms ``norm{i}``; the official sail-sg, mmpretrain and timm checkpoints are
converted on load (see ``mmmeta.models.utils.ckpt_convert``).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import build_module
from ..layers import DropPath, Mlp, Scale, nchw_view, nhwc_view
from ..utils.checkpoint import load_pretrained

_DEFAULT = object()


class Stem(nn.Module):
    """Patch embedding: an NCHW image to a ``(B, H/4, W/4, C)`` token map.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Token channels.
        kernel_size, stride, padding (int): Convolution geometry.
        norm_cfg (dict, optional): Norm after the convolution.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 7, stride: int = 4, padding: int = 2,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding)
        self.norm = build_module(norm_cfg, out_channels) or nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A channels-last input makes the convolution write channels-last,
        # so the NHWC view below is contiguous at no cost.
        x = self.conv(x.contiguous(memory_format=torch.channels_last))
        return self.norm(nhwc_view(x))


class Downsampling(nn.Module):
    """Optional pre-norm, a strided convolution and an optional post-norm,
    on ``(B, H, W, C)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size, stride, padding (int): Convolution geometry.
        norm_cfg (dict, optional): Norm before the convolution.
        post_norm_cfg (dict, optional): Norm after the convolution
            (TransNeXt's overlapping patch embedding).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 3, stride: int = 2, padding: int = 1,
                 norm_cfg: Optional[dict] = None,
                 post_norm_cfg: Optional[dict] = None):
        super().__init__()
        self.norm = build_module(norm_cfg, in_channels) or nn.Identity()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding)
        self.post_norm = build_module(post_norm_cfg,
                                      out_channels) or nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.post_norm(nhwc_view(self.conv(nchw_view(self.norm(x)))))


class MetaFormerBlock(nn.Module):
    """One MetaFormer block on a ``(B, H, W, C)`` map.

    Args:
        dim (int): Channels.
        token_mixer (dict): Mixer config, built with ``dim``.
        mlp_cfg (dict): Channel mixer: keyword arguments of :class:`Mlp`, or
            a config with a ``type`` (e.g. ``ConvolutionalGLU``), built with
            ``dim``.
        norm_cfg (dict): Config of both pre-norms.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float, optional): Layer scale on both
            residual branches; None for none. Defaults to None.
        res_scale_init_value (float, optional): Scale on both skip
            connections; None for none. Defaults to None.
    """

    def __init__(self, dim: int, token_mixer: dict, mlp_cfg: dict,
                 norm_cfg: dict, drop_path: float = 0.0,
                 layer_scale_init_value: Optional[float] = None,
                 res_scale_init_value: Optional[float] = None):
        super().__init__()

        def scale(value):
            return nn.Identity() if value is None else Scale(dim, value)

        def drop(rate):
            return DropPath(rate) if rate > 0 else nn.Identity()

        self.norm1 = build_module(norm_cfg, dim) or nn.Identity()
        self.token_mixer = build_module(token_mixer, dim)
        self.drop_path1 = drop(drop_path)
        self.layer_scale1 = scale(layer_scale_init_value)
        self.res_scale1 = scale(res_scale_init_value)

        self.norm2 = build_module(norm_cfg, dim) or nn.Identity()
        if 'type' in mlp_cfg:
            self.mlp = build_module(copy.deepcopy(mlp_cfg), dim)
        else:
            self.mlp = Mlp(dim, **mlp_cfg)
        self.drop_path2 = drop(drop_path)
        self.layer_scale2 = scale(layer_scale_init_value)
        self.res_scale2 = scale(res_scale_init_value)

    @staticmethod
    def residual(x: torch.Tensor, y: torch.Tensor, res_scale: nn.Module,
                 layer_scale: nn.Module) -> torch.Tensor:
        """``res_scale(x) + layer_scale(y)``, in one fused op when only a
        layer scale is set (PoolFormer v1)."""
        if isinstance(layer_scale, Scale) and isinstance(res_scale,
                                                         nn.Identity):
            return torch.addcmul(x, y, layer_scale.scale)
        return res_scale(x) + layer_scale(y)

    def switch_to_deploy(self) -> None:
        """Fold what the mixers can fold (BN, parallel branches) and then
        the layer scales into their last convolutions."""
        for mixer, name in ((self.token_mixer, 'layer_scale1'),
                            (self.mlp, 'layer_scale2')):
            if hasattr(mixer, 'switch_to_deploy'):
                mixer.switch_to_deploy()
            scale = getattr(self, name)
            if isinstance(scale, Scale) and hasattr(mixer,
                                                    'fold_output_scale'):
                mixer.fold_output_scale(scale.scale.detach())
                setattr(self, name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.drop_path1(self.token_mixer(self.norm1(x)))
        x = self.residual(x, y, self.res_scale1, self.layer_scale1)
        y = self.drop_path2(self.mlp(self.norm2(x)))
        return self.residual(x, y, self.res_scale2, self.layer_scale2)


class MetaFormerStage(nn.Module):
    """A downsampling layer (Identity in stage 0), a run of blocks and an
    optional norm that stays in the trunk (TransNeXt)."""

    def __init__(self, downsample: nn.Module, blocks: List[nn.Module],
                 norm: Optional[nn.Module] = None):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)
        self.norm = norm or nn.Identity()
        self.with_cp = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        if self.with_cp and torch.is_grad_enabled():
            for block in self.blocks:
                x = cp.checkpoint(block, x, use_reentrant=False)
        else:
            x = self.blocks(x)
        return self.norm(x)


def _per_stage(value, name: str) -> list:
    """Broadcast one setting to the four stages, or check a list of four."""
    if isinstance(value, (list, tuple)):
        if len(value) != 4:
            raise ValueError(f'{name} needs one entry per stage (4), got '
                             f'{len(value)}: {value!r}')
        return list(value)
    return [value] * 4


class MetaFormer(BaseModule):
    """MetaFormer backbone for dense prediction (and classification).

    Subclasses only fill ``arch_zoo`` (named variants) and ``arch_defaults``
    (settings shared by the family).

    An arch is a dict with the required keys ``depths`` and ``dims`` (four
    ints each) and the optional keys of ``ARCH_KEYS``; ``arch_defaults``
    supplies the ones it does not set.

    Args:
        arch (str | dict): A name in ``arch_zoo`` or a custom arch dict.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int] | int): Stages whose outputs are returned
            (0-3, negatives count from the end). Defaults to all four.
        frozen_stages (int): -1 freezes nothing; k >= 0 freezes the stem and
            stages ``0..k-1`` (parameters and train/eval mode). ``0`` thus
            freezes only the stem. Defaults to -1.
        norm_eval (bool): Keep batch-norm layers in eval mode during training
            (no effect on the GroupNorm/LayerNorm of these families).
            Defaults to False.
        drop_path_rate (float): Stochastic depth, rising linearly from 0 in
            the first block to this value in the last. Defaults to 0.
        layer_scale_init_value (float | list | None): Overrides the arch's
            layer-scale initial value(s). None disables layer scale.
        res_scale_init_value (float | list | None): Overrides the arch's
            res-scale initial value(s). None disables res scale.
        out_norm_cfg (dict | None): Norm applied to each returned stage
            output (one per output, ``norm{i}``). Defaults to the family's
            (GroupNorm1 for PoolFormer v1, as the official dense model;
            channel LayerNorm for the others). None returns raw stage
            outputs.
        gap_before_out_norm (bool): Average each returned stage over H and
            W before its output norm, returning ``(B, C)`` vectors: the
            classification head of the MetaFormer baselines (norm after
            pooling). Defaults to False.
        with_cp (bool): Activation checkpointing per block (less memory,
            same results). Defaults to False.
        impl (str): ``'fast'`` (default): the channels-last implementation.
            ``'reference'``: the official implementations' op sequence
            (``mmmeta.models.reference``), kept as the baseline of the
            benchmarks and the tests.
        init_cfg (dict | list, optional): ``dict(type='Pretrained',
            checkpoint=path_or_url, prefix=None)`` loads any supported
            checkpoint layout strictly (see ``load_pretrained``).
    """

    arch_zoo: Dict[str, dict] = {}
    arch_defaults: dict = {}
    REQUIRED_ARCH_KEYS = ('depths', 'dims')
    ARCH_KEYS = ('depths', 'dims', 'token_mixers', 'mlp', 'norm_cfg',
                 'stem_norm_cfg', 'downsample_norm_cfg',
                 'downsample_post_norm_cfg', 'stage_norm_cfg',
                 'layer_scale_init_value', 'res_scale_init_value',
                 'out_norm_cfg', 'stem', 'downsample')
    #: Settings every family may leave out.
    CORE_DEFAULTS = dict(downsample_post_norm_cfg=None, stage_norm_cfg=None)
    #: Smallest input side, and why.
    min_input_size = 32
    min_input_reason = 'one token at stride 32'
    #: Values of ``impl`` the family offers.
    impls = ('fast', 'reference')
    out_strides_all = (4, 8, 16, 32)

    def __init__(self,
                 arch: Union[str, dict] = 's12',
                 in_channels: int = 3,
                 out_indices: Union[Sequence[int], int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.0,
                 layer_scale_init_value=_DEFAULT,
                 res_scale_init_value=_DEFAULT,
                 out_norm_cfg=_DEFAULT,
                 gap_before_out_norm: bool = False,
                 with_cp: bool = False,
                 impl: str = 'fast',
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        settings = self.resolve_arch(arch)
        if layer_scale_init_value is not _DEFAULT:
            settings['layer_scale_init_value'] = layer_scale_init_value
        if res_scale_init_value is not _DEFAULT:
            settings['res_scale_init_value'] = res_scale_init_value
        if out_norm_cfg is not _DEFAULT:
            settings['out_norm_cfg'] = out_norm_cfg
        self.arch_settings = settings

        depths, dims = settings['depths'], settings['dims']
        self.depths, self.dims = list(depths), list(dims)
        self.in_channels = in_channels
        self.out_indices = self._normalize_out_indices(out_indices)
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f'frozen_stages must be in [-1, 4], got '
                             f'{frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.drop_path_rate = drop_path_rate
        self.gap_before_out_norm = gap_before_out_norm
        if impl not in self.impls:
            raise ValueError(f'impl of {type(self).__name__} must be one of '
                             f'{self.impls}, got {impl!r}')
        self.impl = impl

        mixers = _per_stage(settings['token_mixers'], 'token_mixers')
        mlps = _per_stage(settings['mlp'], 'mlp')
        layer_scales = _per_stage(settings['layer_scale_init_value'],
                                  'layer_scale_init_value')
        res_scales = _per_stage(settings['res_scale_init_value'],
                                'res_scale_init_value')
        total = sum(depths)
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]

        if 'type' in settings['stem']:  # a family's own stem module
            self.stem = build_module(settings['stem'], in_channels, dims[0])
        else:
            self.stem = Stem(in_channels, dims[0],
                             norm_cfg=settings['stem_norm_cfg'],
                             **settings['stem'])
        stages, first = [], 0
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            if i == 0:
                downsample = nn.Identity()
            elif 'type' in settings['downsample']:
                downsample = build_module(settings['downsample'],
                                          dims[i - 1], dim)
            else:
                downsample = Downsampling(
                    dims[i - 1], dim,
                    norm_cfg=settings['downsample_norm_cfg'],
                    post_norm_cfg=settings['downsample_post_norm_cfg'],
                    **settings['downsample'])
            blocks = [
                MetaFormerBlock(
                    dim, copy.deepcopy(mixers[i]), mlps[i],
                    settings['norm_cfg'], drop_path=rates[first + j],
                    layer_scale_init_value=layer_scales[i],
                    res_scale_init_value=res_scales[i])
                for j in range(depth)
            ]
            stage_norm = build_module(settings['stage_norm_cfg'], dim)
            stages.append(MetaFormerStage(downsample, blocks, stage_norm))
            first += depth
        self.stages = nn.ModuleList(stages)

        for i in self.out_indices:
            norm = build_module(settings['out_norm_cfg'], dims[i])
            self.add_module(f'norm{i}', norm or nn.Identity())

        self.with_cp = with_cp
        self._init_fresh_weights()
        self._freeze_stages()
        self._register_load_state_dict_pre_hook(self._convert_on_load)

    # ------------------------------------------------------------ settings
    @classmethod
    def resolve_arch(cls, arch: Union[str, dict]) -> dict:
        """Full settings of an arch name or custom arch dict."""
        if isinstance(arch, str):
            key = arch.lower()
            if key not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown arch {arch!r} for {cls.__name__}. Choose one '
                    f'of {sorted(cls.arch_zoo)}, or pass a dict with the '
                    f'keys {list(cls.REQUIRED_ARCH_KEYS)}.')
            arch = cls.arch_zoo[key]
        elif not isinstance(arch, dict):
            raise TypeError(f'arch must be a str or dict, got {type(arch)}')
        missing = [k for k in cls.REQUIRED_ARCH_KEYS if k not in arch]
        if missing:
            optional = [
                k for k in cls.ARCH_KEYS if k not in cls.REQUIRED_ARCH_KEYS
            ]
            raise KeyError(
                f'Custom arch for {cls.__name__} misses {missing}: it needs '
                f'{list(cls.REQUIRED_ARCH_KEYS)} and may set {optional}; '
                f'named archs are {sorted(cls.arch_zoo)}.')
        unknown = [k for k in arch if k not in cls.ARCH_KEYS]
        if unknown:
            raise KeyError(f'Unknown arch keys {unknown} for {cls.__name__}; '
                           f'valid keys are {list(cls.ARCH_KEYS)}.')
        settings = copy.deepcopy({
            **cls.CORE_DEFAULTS,
            **cls.arch_defaults,
            **arch
        })
        unset = [k for k in cls.ARCH_KEYS if k not in settings]
        if unset:
            raise KeyError(f'{cls.__name__} arch sets no {unset} and the '
                           f'family has no default for them.')
        for key in ('depths', 'dims'):
            if len(settings[key]) != 4:
                raise ValueError(f'{key} must have 4 entries, got '
                                 f'{settings[key]!r}')
        return settings

    def _normalize_out_indices(self, out_indices) -> Tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        result = []
        for index in out_indices:
            if not -4 <= index < 4:
                raise ValueError(f'out_indices entries must be stage indices '
                                 f'in [-4, 3], got {index}')
            result.append(index % 4)
        if len(set(result)) != len(result):
            raise ValueError(f'out_indices has duplicates: {out_indices}')
        return tuple(sorted(result))

    @property
    def out_channels(self) -> List[int]:
        """Channels of each returned output."""
        return [self.dims[i] for i in self.out_indices]

    @property
    def out_strides(self) -> List[int]:
        """Stride of each returned output."""
        return [self.out_strides_all[i] for i in self.out_indices]

    @property
    def with_cp(self) -> bool:
        return self._with_cp

    @with_cp.setter
    def with_cp(self, value: bool) -> None:
        self._with_cp = bool(value)
        for stage in self.stages:
            stage.with_cp = self._with_cp

    # ------------------------------------------------------------- weights
    def _init_fresh_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def init_weights(self) -> None:
        """Load ``init_cfg`` 's pretrained checkpoint strictly, if any."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_pretrained(self, cfg['checkpoint'], prefix=cfg.get('prefix'),
                            map_location=cfg.get('map_location', 'cpu'))
            self._is_init = True
            return
        super().init_weights()

    def convert_checkpoint(self, state_dict: Dict[str, torch.Tensor]
                           ) -> Dict[str, torch.Tensor]:
        """Rename an official/mmpretrain/timm state dict to mmmeta names."""
        from ..utils.ckpt_convert import convert_metaformer
        return convert_metaformer(state_dict)

    def _convert_on_load(self, state_dict, prefix, *args) -> None:
        """``load_state_dict`` hook: rename an official layout found under
        ``prefix`` (e.g. a whole official detector loaded with mmengine's
        ``load_from``) to mmmeta names, so it loads instead of silently
        leaving the backbone random."""
        own = self.state_dict()
        keys = [k for k in state_dict if k.startswith(prefix)]
        local = {k[len(prefix):]: state_dict[k] for k in keys}
        if not local or all(k in own for k in local):
            return
        try:
            converted = self.convert_checkpoint(local)
        except ValueError:
            return  # not a layout we know: let load_state_dict report it
        for key in keys:
            del state_dict[key]
        state_dict.update({prefix + k: v for k, v in converted.items()})

    def optional_checkpoint_keys(self) -> List[str]:
        """Keys a pretrained checkpoint may lack: the new output norms."""
        return [
            k for k in self.state_dict()
            if any(k.startswith(f'norm{i}.') for i in self.out_indices)
        ]

    # ------------------------------------------------------------- forward
    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for inputs the network cannot take."""
        if x.dim() != 4:
            raise ValueError(f'{type(self).__name__} expects a (B, C, H, W) '
                             f'tensor, got shape {tuple(x.shape)}')
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} was built for '
                             f'{self.in_channels} input channels, got '
                             f'{x.shape[1]} (shape {tuple(x.shape)})')
        h, w = x.shape[-2:]
        if min(h, w) < self.min_input_size:
            raise ValueError(
                f'{type(self).__name__} needs inputs of at least '
                f'{self.min_input_size}x{self.min_input_size} pixels '
                f'({self.min_input_reason}), got {h}x{w}. Resize or pad the '
                f'image, e.g. with a Pad/ResizeToMultiple step to a multiple '
                f'of 32.')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Multi-scale features.

        Args:
            x (Tensor): Images, ``(B, in_channels, H, W)``.

        Returns:
            tuple[Tensor]: For each index in ``out_indices``, an NCHW map of
            ``dims[i]`` channels and spatial size ``ceil(H0 / 2**i)`` where
            ``H0 = (H - 3) // 4 + 1`` (likewise for W); a ``(B, dims[i])``
            vector with ``gap_before_out_norm``.
        """
        self.check_input(x)
        if self.impl == 'reference':
            from ..reference import reference_forward
            return reference_forward(self, x)
        x = self.stem(x)
        outs = []
        last = self.out_indices[-1]
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                norm = getattr(self, f'norm{i}')
                if self.gap_before_out_norm:
                    outs.append(norm(x.mean((1, 2))))
                else:
                    outs.append(nchw_view(norm(x)))
            if i == last:
                break
        return tuple(outs)

    # ------------------------------------------------------------- deploy
    def switch_to_deploy(self) -> 'MetaFormer':
        """Re-parameterise for inference, in place: every part that can fold
        its BatchNorms, parallel branches and layer scales into plain
        convolutions does so (FFNet); the outputs stay the same (up to
        float rounding) and the model can no longer be trained. Families
        without such parts are left unchanged."""
        self.eval()
        parts = [self.stem]
        for stage in self.stages:
            parts += [stage.downsample, *stage.blocks]
        for part in parts:
            if hasattr(part, 'switch_to_deploy'):
                part.switch_to_deploy()
        return self

    # ------------------------------------------------------------- training
    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.stem] + list(self.stages[:self.frozen_stages])
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'MetaFormer':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
