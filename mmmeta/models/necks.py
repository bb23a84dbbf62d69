"""Classification pieces that let mmpretrain's ``ImageClassifier`` run the
official MetaFormer heads."""

from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from ..registry import MODELS, build_module


@MODELS.register_module()
class MlpPreLogits(nn.Module):
    """The official ConvFormer/CAFormer ``MlpHead`` up to its last layer:
    ``fc1 -> SquaredReLU -> LayerNorm -> dropout``.

    Used as the neck of an mmpretrain ``ImageClassifier`` whose
    ``LinearClsHead`` is the head's ``fc2``, after a backbone that pools
    before its output norm (``gap_before_out_norm=True``).

    Args:
        in_channels (int): Input features.
        hidden_channels (int, optional): Hidden features. Defaults to
            ``4 * in_channels``.
        act_cfg (dict): Activation. Defaults to SquaredReLU.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-5 (the
            official ``nn.LayerNorm`` default).
        dropout (float): Dropout before the logits. Defaults to 0.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: Optional[int] = None,
        act_cfg: Optional[dict] = None,
        norm_eps: float = 1e-5,
        dropout: float = 0.0,
    ):
        super().__init__()
        hidden = hidden_channels or 4 * in_channels
        self.fc1 = nn.Linear(in_channels, hidden)
        self.act = build_module(act_cfg or dict(type='SquaredReLU'))
        self.norm = nn.LayerNorm(hidden, eps=norm_eps)
        self.drop = nn.Dropout(dropout)

    def init_weights(self) -> None:
        """Keep PyTorch's default init (no OpenMMLab init_cfg needed)."""

    def forward(
        self, inputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, ...]:
        return tuple(
            self.drop(self.norm(self.act(self.fc1(x)))) for x in inputs
        )
