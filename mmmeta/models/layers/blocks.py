"""The default block of the MetaFormer core."""

from typing import Optional

import torch
from torch import nn

from ...registry import MODELS, build_module
from .norms import build_norm
from .reparam import Reparameterizable, switch_to_deploy
from .residual import Scale, add_scaled, optional_drop_path, optional_scale

#: The pre-norm of a block whose config names none (PoolFormer's).
DEFAULT_NORM = dict(type='GroupNorm1')


@MODELS.register_module()
class MetaFormerBlock(Reparameterizable):
    """One MetaFormer block on a ``(B, H, W, C)`` map::

        x = res_scale1(x) + layer_scale1(token_mixer(norm1(x)))
        x = res_scale2(x) + layer_scale2(mlp(norm2(x)))

    The MetaFormer core builds every block from a config dict, calling
    ``cls(dim, drop_path=rate, **cfg)``; any registered module with that
    signature mapping ``(B, H, W, C)`` to the same shape can take this
    block's place in an arch table.

    Args:
        dim (int): Channels.
        token_mixer (dict): Token mixer config, built with ``dim``.
            Defaults to ``dict(type='Identity')``.
        mlp (dict): Channel mixer config, built with ``dim``. Defaults to
            ``dict(type='Mlp')``.
        norm_cfg (dict, optional): Both pre-norms; None for none (FFNet).
            Defaults to ``dict(type='GroupNorm1')``.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float, optional): Layer scale on both
            residual branches; None for none. Defaults to None.
        res_scale_init_value (float, optional): Scale on both skip
            connections; None for none. Defaults to None.
    """

    def __init__(
        self,
        dim: int,
        token_mixer: Optional[dict] = None,
        mlp: Optional[dict] = None,
        norm_cfg: Optional[dict] = DEFAULT_NORM,
        drop_path: float = 0.0,
        layer_scale_init_value: Optional[float] = None,
        res_scale_init_value: Optional[float] = None,
    ):
        super().__init__()
        self.norm1 = build_norm(norm_cfg, dim)
        self.token_mixer = build_module(
            token_mixer or dict(type='Identity'), dim
        )
        self.drop_path1 = optional_drop_path(drop_path)
        self.layer_scale1 = optional_scale(dim, layer_scale_init_value)
        self.res_scale1 = optional_scale(dim, res_scale_init_value)

        self.norm2 = build_norm(norm_cfg, dim)
        self.mlp = build_module(mlp or dict(type='Mlp'), dim)
        self.drop_path2 = optional_drop_path(drop_path)
        self.layer_scale2 = optional_scale(dim, layer_scale_init_value)
        self.res_scale2 = optional_scale(dim, res_scale_init_value)

    @staticmethod
    def residual(
        x: torch.Tensor,
        y: torch.Tensor,
        res_scale: nn.Module,
        layer_scale: nn.Module,
    ) -> torch.Tensor:
        """``res_scale(x) + layer_scale(y)``, in one fused op when only a
        layer scale is set (PoolFormer v1)."""
        if isinstance(res_scale, nn.Identity):
            return add_scaled(x, y, layer_scale)
        return res_scale(x) + layer_scale(y)

    def _branch(
        self, x: torch.Tensor, index: int, owned: bool = False
    ) -> torch.Tensor:
        norm = getattr(self, f'norm{index}')
        mixer = self.token_mixer if index == 1 else self.mlp
        layer_scale = getattr(self, f'layer_scale{index}')
        res_scale = getattr(self, f'res_scale{index}')
        drop_path = getattr(self, f'drop_path{index}')
        if (
            not self.training
            and isinstance(mixer, Reparameterizable)
            and isinstance(layer_scale, nn.Identity)
            and isinstance(res_scale, nn.Identity)
        ):
            return mixer.add_to(x, norm(x), owned=owned)
        y = drop_path(mixer(norm(x)))
        return self.residual(x, y, res_scale, layer_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._branch(x, 1)
        # the first branch's output is a new tensor nobody else holds, so
        # the second branch may accumulate into it
        return self._branch(y, 2, owned=y is not x)

    def switch_to_deploy(self) -> None:
        """Fold what the mixers can fold (their BN and parallel branches),
        then let each absorb its pre-norm and its layer scale."""
        for index, mixer_name in ((1, 'token_mixer'), (2, 'mlp')):
            mixer = getattr(self, mixer_name)
            if not isinstance(mixer, Reparameterizable):
                switch_to_deploy(mixer)
                continue
            mixer.switch_to_deploy()
            norm = mixer.absorb_preceding_norm(getattr(self, f'norm{index}'))
            setattr(self, f'norm{index}', norm or nn.Identity())
            name = f'layer_scale{index}'
            scale = getattr(self, name)
            if isinstance(scale, Scale) and mixer.absorb_output_scale(
                scale.scale.detach()
            ):
                setattr(self, name, nn.Identity())
