"""The MetaFormer core: one backbone for every family.

A MetaFormer is a stem and four stages; a stage is a downsampling layer
(none in stage 0), a run of blocks and an optional norm that stays in the
trunk. Every part is built from a registry config of the arch table:

==============  ==========================================================
arch key        built as
==============  ==========================================================
``stem``        ``cls(in_channels, dims[0], **cfg)``
``downsample``  ``cls(dims[i - 1], dims[i], **cfg)`` for stages 1-3
``block``       ``cls(dims[i], drop_path=rate, **cfg)`` for every block
``stage_norm``  a norm at the end of each stage (None: none)
``out_norm``    a norm on each returned output, ``norm{i}`` (None: none)
==============  ==========================================================

``downsample``, ``block``, ``stage_norm`` and ``out_norm`` may also be a
list of four (one per stage); a stage's ``block`` entry may itself be a
list with one config per block, so "three convolution blocks, then one
attention block" is a table, not code. Every part maps channels-last
``(B, H, W, C)`` maps (the stem takes the NCHW image); the outputs are NCHW
views at strides 4/8/16/32.

A family is a subclass that fills ``arch_zoo`` (named variants),
``arch_defaults`` (what the variants share) and ``checkpoint_layouts``.
Parameter names follow timm's ``metaformer.py`` (``stem``,
``stages.i.downsample``, ``stages.i.blocks.j``) plus OpenMMLab's per-output
norms ``norm{i}``.
"""

import copy
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import MODELS, build_module
from ..layers import build_norm, nchw_view, switch_to_deploy
from ..layers.checkpointing import run_block
from ..utils.checkpoint import CheckpointError, load_pretrained
from ..utils.layouts import convert_checkpoint

_DEFAULT = object()
NUM_STAGES = 4


class MetaFormerStage(nn.Module):
    """A downsampling layer (Identity in stage 0), a run of blocks and a
    norm that stays in the trunk (Identity if none). With ``lean`` or
    ``with_cp`` (set by the backbone), each block runs under activation
    checkpointing while gradients are recorded
    (``mmmeta.models.layers.checkpointing``)."""

    def __init__(
        self, downsample: nn.Module, blocks: List[nn.Module], norm: nn.Module
    ):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)
        self.norm = norm
        self.with_cp = False
        self.lean = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.downsample(x)
        if (self.with_cp or self.lean) and torch.is_grad_enabled():
            for block in self.blocks:
                x = run_block(block, x, selective=not self.with_cp)
        else:
            x = self.blocks(x)
        return self.norm(x)


def per_stage(value, name: str) -> list:
    """Broadcast one setting to the four stages, or check a list of four."""
    if isinstance(value, (list, tuple)):
        if len(value) != NUM_STAGES:
            raise ValueError(
                f'{name} needs one entry per stage (4), got '
                f'{len(value)}: {value!r}'
            )
        return list(value)
    return [value] * NUM_STAGES


def stage_block_configs(settings: dict) -> List[List[dict]]:
    """The block config dicts of every stage of an arch, for a family that
    adjusts them before building (``settings['block']`` becomes a list of
    four independent entries, so edits touch one stage only)."""
    settings['block'] = [
        copy.deepcopy(entry) for entry in per_stage(settings['block'], 'block')
    ]
    return [
        [entry] if isinstance(entry, dict) else list(entry)
        for entry in settings['block']
    ]


def configs_of_type(value, types: Sequence[str]) -> List[dict]:
    """Every config dict nested anywhere in ``value`` whose ``type`` is one
    of ``types`` (for a family option that several of its parts take)."""
    found = []
    if isinstance(value, dict):
        if value.get('type') in types:
            found.append(value)
        for item in value.values():
            found += configs_of_type(item, types)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += configs_of_type(item, types)
    return found


def _flag_for_stages(name: str, stages: Optional[str] = None) -> property:
    """A backbone attribute that sets a flag on the stages: one bool per
    stage, or a bool for the stages that the backbone's attribute
    ``stages`` names (one bool per stage; all stages if not given)."""

    def get(self) -> Union[bool, Tuple[bool, ...]]:
        return getattr(self, f'_{name}')

    def set_(self, value: Union[bool, Sequence[bool]]) -> None:
        if isinstance(value, (list, tuple)):
            value = tuple(bool(v) for v in per_stage(value, name))
            flags = value
        else:
            value = bool(value)
            chosen = getattr(self, stages) if stages else (True,) * NUM_STAGES
            flags = [value and bool(c) for c in chosen]
        setattr(self, f'_{name}', value)
        for stage, flag in zip(self.stages, flags):
            setattr(stage, name, flag)

    return property(get, set_)


@MODELS.register_module()
class MetaFormer(BaseModule):
    """MetaFormer backbone for dense prediction (and classification).

    ``mmmeta.MetaFormer`` itself has no named archs: give it a complete
    arch dict (see the module docstring), e.g. to try a new token mixer or
    block. The families (``mmmeta.PoolFormer``, ...) are subclasses with
    named archs.

    Args:
        arch (str | dict): A name in ``arch_zoo``, or an arch dict with
            ``depths`` and ``dims`` (four ints each) and optionally
            ``stem``, ``downsample``, ``block``, ``stage_norm`` and
            ``out_norm``; the family's ``arch_defaults`` fill the rest.
            Defaults to the family's ``default_arch``.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int] | int): Stages whose outputs are returned
            (0-3, negatives count from the end). Defaults to all four.
        frozen_stages (int): -1 freezes nothing; k >= 0 freezes the stem and
            stages ``0..k-1`` (parameters and train/eval mode). ``0`` thus
            freezes only the stem. Defaults to -1.
        norm_eval (bool): Keep batch-norm layers in eval mode during
            training. Defaults to False.
        drop_path_rate (float): Stochastic depth, rising linearly from 0 in
            the first block to this value in the last. Defaults to 0.
        layer_scale_init_value (float | list | None): Sets every block's
            ``layer_scale_init_value`` (one value, or one per stage); None
            disables layer scale. Defaults to the arch's.
        res_scale_init_value (float | list | None): Likewise for
            ``res_scale_init_value``. Defaults to the arch's.
        out_norm_cfg (dict | None): Norm applied to each returned stage
            output (one per output, ``norm{i}``). Defaults to the arch's
            ``out_norm``; None returns raw stage outputs.
        gap_before_out_norm (bool): Average each returned stage over H and
            W before its output norm, returning ``(B, C)`` vectors (the
            classifiers of the MetaFormer baselines). Defaults to False.
        with_cp (bool | Sequence[bool]): Full activation checkpointing
            per block: backward recomputes each block from its input
            (least memory, same results); one bool per stage also works.
            Defaults to False.
        lean (bool | Sequence[bool]): Selective activation checkpointing
            per block: the outputs of matrix products, attention and batch
            norm are kept, the cheap ops recomputed in backward (about half
            the memory of plain autograd, same results; see
            ``mmmeta.models.layers.checkpointing``). True applies it to the
            family's ``lean_stages`` (all four unless the family names
            fewer); four bools choose the stages. Defaults to False (plain
            autograd, the faster step); the memory-bound recipes set it.
        init_cfg (dict | list, optional): ``dict(type='Pretrained',
            checkpoint=path_or_url, prefix=None)`` loads any supported
            checkpoint layout strictly (see ``load_pretrained``).
        pretrained (str, optional): Deprecated alias of
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``, as
            in mmdet's and mmseg's own backbones; mmseg's segmentors hand
            ``model.pretrained`` of a config (e.g. ResNet weights of an
            upstream ``_base_`` model) to the backbone. Ignored, with a
            warning, when ``init_cfg`` is given.
    """

    #: Named variants: name -> arch dict.
    arch_zoo: Dict[str, dict] = {}
    #: The arch used when ``arch`` is not given.
    default_arch: Optional[str] = None
    #: Settings shared by the family's variants.
    arch_defaults: dict = {}
    #: What every arch gets unless it or the family says otherwise.
    CORE_ARCH_DEFAULTS = dict(
        stem=dict(type='Stem'),
        downsample=dict(type='Downsampling'),
        block=dict(type='MetaFormerBlock'),
        stage_norm=None,
        out_norm=None,
    )
    REQUIRED_ARCH_KEYS = ('depths', 'dims')
    #: Registered checkpoint layouts this family loads (see
    #: ``mmmeta.models.utils.layouts``), tried in order.
    checkpoint_layouts: Tuple[str, ...] = ('mmmeta',)
    #: The stages whose blocks ``lean=True`` checkpoints: a family leaves
    #: out the stages whose recomputation costs more step time than the
    #: memory it frees is worth (docs/benchmarks.md).
    lean_stages: Tuple[bool, ...] = (True,) * NUM_STAGES
    #: Initialisation of fresh convolutions: ``'trunc_normal'`` (std 0.02,
    #: as linears) or ``'fan_out'`` (He normal over the fan-out).
    conv_init = 'trunc_normal'
    #: Smallest input side, and why.
    min_input_size = 32
    min_input_reason = 'one token at stride 32'
    out_strides_all = (4, 8, 16, 32)

    def __init__(
        self,
        arch: Union[str, dict, None] = None,
        in_channels: int = 3,
        out_indices: Union[Sequence[int], int] = (0, 1, 2, 3),
        frozen_stages: int = -1,
        norm_eval: bool = False,
        drop_path_rate: float = 0.0,
        layer_scale_init_value=_DEFAULT,
        res_scale_init_value=_DEFAULT,
        out_norm_cfg=_DEFAULT,
        gap_before_out_norm: bool = False,
        with_cp: Union[bool, Sequence[bool]] = False,
        lean: Union[bool, Sequence[bool]] = False,
        init_cfg: Optional[Union[dict, List[dict]]] = None,
        pretrained: Optional[str] = None,
    ):
        super().__init__(init_cfg=self._merge_pretrained(init_cfg, pretrained))
        settings = self.resolve_arch(arch)
        if out_norm_cfg is not _DEFAULT:
            settings['out_norm'] = out_norm_cfg
        blocks = self._block_configs(
            settings, layer_scale_init_value, res_scale_init_value
        )
        self.arch_settings = settings
        self.depths, self.dims = (
            list(settings['depths']),
            list(settings['dims']),
        )
        self.in_channels = in_channels
        self.out_indices = self._normalize_out_indices(out_indices)
        if not -1 <= frozen_stages <= NUM_STAGES:
            raise ValueError(
                f'frozen_stages must be in [-1, 4], got {frozen_stages}'
            )
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.drop_path_rate = drop_path_rate
        self.gap_before_out_norm = gap_before_out_norm

        self.stem = build_module(settings['stem'], in_channels, self.dims[0])
        rates = self._drop_path_rates(drop_path_rate)
        self.stages = nn.ModuleList(
            self._build_stage(i, settings, blocks[i], rates[i])
            for i in range(NUM_STAGES)
        )
        out_norms = per_stage(settings['out_norm'], 'out_norm')
        for i in self.out_indices:
            self.add_module(f'norm{i}', build_norm(out_norms[i], self.dims[i]))

        self.with_cp = with_cp
        self.lean = lean
        self.init_fresh_weights()
        self._freeze_stages()
        self._register_load_state_dict_pre_hook(self._convert_on_load)

    # ------------------------------------------------------------ settings
    @classmethod
    def _merge_pretrained(cls, init_cfg, pretrained: Optional[str]):
        """``init_cfg`` with the deprecated ``pretrained`` folded in."""
        if pretrained is None:
            return init_cfg
        if not isinstance(pretrained, str):
            raise TypeError(
                f'{cls.__name__}: pretrained must be a path or '
                f'URL (str) or None, got {pretrained!r}'
            )
        if init_cfg is not None:
            warnings.warn(
                f'{cls.__name__}: ignoring pretrained={pretrained!r}, since '
                f"init_cfg={init_cfg!r} is set (mmseg hands a config's "
                f'model.pretrained to the backbone; set model.pretrained='
                f'None to silence this).',
                stacklevel=3,
            )
            return init_cfg
        warnings.warn(
            f'{cls.__name__}: pretrained={pretrained!r} is deprecated; '
            f"loading it as init_cfg=dict(type='Pretrained', "
            f'checkpoint=...). If it came from an upstream base config '
            f'(model.pretrained, e.g. ResNet weights), set '
            f'model.pretrained=None and give the backbone its own init_cfg.',
            stacklevel=3,
        )
        return dict(type='Pretrained', checkpoint=pretrained)

    @classmethod
    def arch_keys(cls) -> Tuple[str, ...]:
        """Every key an arch dict may set."""
        return cls.REQUIRED_ARCH_KEYS + tuple(cls.CORE_ARCH_DEFAULTS)

    @classmethod
    def resolve_arch(cls, arch: Union[str, dict, None]) -> dict:
        """Full settings of an arch name or arch dict (a deep copy)."""
        if arch is None:
            arch = cls.default_arch
            if arch is None:
                raise ValueError(
                    f'{cls.__name__} has no named archs: pass arch=dict('
                    f'depths=[...], dims=[...], block=dict(type=...)) with '
                    f'the keys {list(cls.arch_keys())}.'
                )
        if isinstance(arch, str):
            key = arch.lower()
            if key not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown arch {arch!r} for {cls.__name__}. Choose one '
                    f'of {sorted(cls.arch_zoo)}, or pass a dict with the '
                    f'keys {list(cls.REQUIRED_ARCH_KEYS)}.'
                )
            arch = cls.arch_zoo[key]
        elif not isinstance(arch, dict):
            raise TypeError(f'arch must be a str or dict, got {type(arch)}')
        missing = [k for k in cls.REQUIRED_ARCH_KEYS if k not in arch]
        if missing:
            optional = [
                k for k in cls.arch_keys() if k not in cls.REQUIRED_ARCH_KEYS
            ]
            raise KeyError(
                f'Custom arch for {cls.__name__} misses {missing}: it needs '
                f'{list(cls.REQUIRED_ARCH_KEYS)} and may set {optional}; '
                f'named archs are {sorted(cls.arch_zoo)}.'
            )
        unknown = [k for k in arch if k not in cls.arch_keys()]
        if unknown:
            raise KeyError(
                f'Unknown arch keys {unknown} for {cls.__name__}; '
                f'valid keys are {list(cls.arch_keys())}.'
            )
        settings = copy.deepcopy(
            {**cls.CORE_ARCH_DEFAULTS, **cls.arch_defaults, **arch}
        )
        for key in ('depths', 'dims'):
            if len(settings[key]) != NUM_STAGES:
                raise ValueError(
                    f'{key} must have 4 entries, got {settings[key]!r}'
                )
        return settings

    def _block_configs(
        self, settings: dict, layer_scale, res_scale
    ) -> List[List[dict]]:
        """One config per block of every stage, with the constructor's
        scale overrides applied to each."""
        overrides = {}
        if layer_scale is not _DEFAULT:
            overrides['layer_scale_init_value'] = per_stage(
                layer_scale, 'layer_scale_init_value'
            )
        if res_scale is not _DEFAULT:
            overrides['res_scale_init_value'] = per_stage(
                res_scale, 'res_scale_init_value'
            )
        stages = []
        for i, entry in enumerate(per_stage(settings['block'], 'block')):
            depth = settings['depths'][i]
            if isinstance(entry, dict):
                configs = [copy.deepcopy(entry) for _ in range(depth)]
            elif isinstance(entry, (list, tuple)) and len(entry) == depth:
                configs = [copy.deepcopy(c) for c in entry]
            else:
                raise ValueError(
                    f'{type(self).__name__}: block of stage {i} must be one '
                    f'config dict or a list of {depth} (its depth), got '
                    f'{entry!r}'
                )
            for config in configs:
                if not isinstance(config, dict) or 'type' not in config:
                    raise TypeError(
                        f'block configs need a "type", got '
                        f'{config!r} in stage {i}'
                    )
                for key, values in overrides.items():
                    config[key] = values[i]
            stages.append(configs)
        return stages

    def _drop_path_rates(self, drop_path_rate: float) -> List[List[float]]:
        total = sum(self.depths)
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        per_block, first = [], 0
        for depth in self.depths:
            per_block.append(rates[first : first + depth])
            first += depth
        return per_block

    def _build_stage(
        self,
        index: int,
        settings: dict,
        blocks: List[dict],
        rates: List[float],
    ) -> MetaFormerStage:
        dim = self.dims[index]
        if index == 0:
            downsample = nn.Identity()
        else:
            cfg = per_stage(settings['downsample'], 'downsample')[index]
            downsample = build_module(cfg, self.dims[index - 1], dim)
        built = [
            build_module(cfg, dim, drop_path=rate)
            for cfg, rate in zip(blocks, rates)
        ]
        norm = build_norm(
            per_stage(settings['stage_norm'], 'stage_norm')[index], dim
        )
        return MetaFormerStage(downsample, built, norm)

    def _normalize_out_indices(self, out_indices) -> Tuple[int, ...]:
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        result = []
        for index in out_indices:
            if not -NUM_STAGES <= index < NUM_STAGES:
                raise ValueError(
                    f'out_indices entries must be stage indices '
                    f'in [-4, 3], got {index}'
                )
            result.append(index % NUM_STAGES)
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

    def output_shapes(
        self, height: int, width: int
    ) -> List[Tuple[int, int, int]]:
        """``(C, H, W)`` of each returned map for an input of ``height`` x
        ``width``, from the stem's and downsampling layers' own geometry
        (copies of them run on the meta device: shapes only, no compute)."""
        dtype = next(self.stem.parameters(), torch.empty(0)).dtype
        x = torch.empty(
            1, self.in_channels, height, width, device='meta', dtype=dtype
        )
        with torch.no_grad():
            x = copy.deepcopy(self.stem).to('meta')(x)
            sizes = []
            for stage in self.stages:
                x = copy.deepcopy(stage.downsample).to('meta')(x)
                sizes.append(tuple(x.shape[1:3]))
        return [(self.dims[i], *sizes[i]) for i in self.out_indices]

    #: Full activation checkpointing of every block (``with_cp``).
    with_cp = _flag_for_stages('with_cp')
    #: Selective activation checkpointing of the blocks (``lean``).
    lean = _flag_for_stages('lean', 'lean_stages')

    # ------------------------------------------------------------- weights
    def init_fresh_weights(self) -> None:
        """Initialise linears (truncated normal, std 0.02) and convolutions
        (``conv_init``) of a model without pretrained weights."""
        for m in self.modules():
            if isinstance(m, nn.Linear) or (
                isinstance(m, nn.Conv2d) and self.conv_init == 'trunc_normal'
            ):
                nn.init.trunc_normal_(m.weight, std=0.02)
            elif isinstance(m, nn.Conv2d):  # 'fan_out'
                fan_out = (
                    m.kernel_size[0]
                    * m.kernel_size[1]
                    * m.out_channels
                    // m.groups
                )
                nn.init.normal_(m.weight, 0, (2.0 / fan_out) ** 0.5)
            else:
                continue
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def init_weights(self) -> None:
        """Load ``init_cfg`` 's pretrained checkpoint strictly, if any."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_pretrained(
                self,
                cfg['checkpoint'],
                prefix=cfg.get('prefix'),
                map_location=cfg.get('map_location', 'cpu'),
            )
            self._is_init = True
            return
        super().init_weights()

    def convert_checkpoint(
        self, state_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Rename a checkpoint in one of ``checkpoint_layouts`` to mmmeta
        names."""
        return convert_checkpoint(
            state_dict, self.checkpoint_layouts, type(self).__name__
        )

    def _convert_on_load(self, state_dict, prefix, *args) -> None:
        """``load_state_dict`` hook: rename an official layout found under
        ``prefix`` (e.g. a whole official detector loaded with mmengine's
        ``load_from``) to mmmeta names, so it loads instead of silently
        leaving the backbone random."""
        own = self.state_dict()
        keys = [k for k in state_dict if k.startswith(prefix)]
        local = {k[len(prefix) :]: state_dict[k] for k in keys}
        if not local or all(k in own for k in local):
            return
        try:
            converted = self.convert_checkpoint(local)
        except CheckpointError:
            return  # not a layout we know: let load_state_dict report it
        for key in keys:
            del state_dict[key]
        state_dict.update({prefix + k: v for k, v in converted.items()})

    def optional_checkpoint_keys(self) -> List[str]:
        """Keys a pretrained checkpoint may lack: the output norms (new
        layers of the dense model)."""
        return [
            k
            for k in self.state_dict()
            if any(k.startswith(f'norm{i}.') for i in self.out_indices)
        ]

    # ------------------------------------------------------------- forward
    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for inputs the network cannot take."""
        if x.dim() != 4:
            raise ValueError(
                f'{type(self).__name__} expects a (B, C, H, W) '
                f'tensor, got shape {tuple(x.shape)}'
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} was built for '
                f'{self.in_channels} input channels, got '
                f'{x.shape[1]} (shape {tuple(x.shape)})'
            )
        h, w = x.shape[-2:]
        if min(h, w) < self.min_input_size:
            raise ValueError(
                f'{type(self).__name__} needs inputs of at least '
                f'{self.min_input_size}x{self.min_input_size} pixels '
                f'({self.min_input_reason}), got {h}x{w}. Resize or pad the '
                f'image, e.g. with a Pad/ResizeToMultiple step to a multiple '
                f'of 32.'
            )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Multi-scale features.

        Args:
            x (Tensor): Images, ``(B, in_channels, H, W)``.

        Returns:
            tuple[Tensor]: For each index in ``out_indices``, an NCHW map of
            ``dims[i]`` channels at stride ``4 * 2**i`` (sizes: see the
            family's stem and downsampling); a ``(B, dims[i])`` vector with
            ``gap_before_out_norm``.
        """
        self.check_input(x)
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
        """Re-parameterise for inference, in place (see
        ``mmmeta.models.layers.reparam``): BatchNorms and parallel branches
        fold into convolutions, pre-norm affines and layer scales into the
        mixers' projections. Outputs stay the same up to float rounding; the
        model is for inference only afterwards."""
        for part in [self.stem, *self.stages]:
            switch_to_deploy(part)
        self.eval()
        return self

    # ------------------------------------------------------------- training
    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.stem] + list(self.stages[: self.frozen_stages])
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
