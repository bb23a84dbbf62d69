"""The official op sequences of the MetaFormer families, as a baseline.

``reference_forward(model, x)`` runs a mmmeta MetaFormer backbone with the
operations, layouts and order of the official implementations, on the
model's own parameters:

* PoolFormer v1 (sail-sg/poolformer ``models/poolformer.py``): NCHW
  throughout, ``nn.GroupNorm(1, C)``, ``AvgPool2d`` minus input, 1x1
  convolutions for the MLP, layer scales broadcast as ``(C, 1, 1)``.
* MetaFormer baselines (sail-sg/metaformer ``metaformer_baselines.py``):
  channels-last with permutes around every convolution and pooling,
  ``LayerNormGeneral`` written out as mean / variance / divide, StarReLU as
  ``scale * relu(x) ** 2 + bias``, attention as explicit
  ``softmax(q @ k.T * scale) @ v``.

It is what the benchmark (``tools/analysis/benchmark.py``) compares the
default fast path against, and what the tests check the fast path with.
Select it in a model with ``impl='reference'``.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ChannelLayerNorm, GroupNorm1, Mlp, Scale, StarReLU
from .token_mixers import Attention, Identity, Pooling, RandomMixing, SepConv


def _is_v1(model) -> bool:
    """PoolFormer v1 layout: GroupNorm with bias in the blocks, no stem
    norm (the official NCHW implementation)."""
    norm = model.stages[0].blocks[0].norm1
    return isinstance(norm, GroupNorm1) and norm.bias is not None and \
        isinstance(model.stem.norm, nn.Identity)


# ------------------------------------------------------------- v1 (NCHW)
def _conv1x1(x: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    return F.conv2d(x, linear.weight[:, :, None, None], linear.bias)


def _v1_block(block, x: torch.Tensor) -> torch.Tensor:
    norm1, norm2 = block.norm1, block.norm2
    y = F.group_norm(x, 1, norm1.weight, norm1.bias, norm1.eps)
    mixer = block.token_mixer
    y = F.avg_pool2d(y, mixer.pool_size, 1, mixer.pool_size // 2,
                     count_include_pad=False) - y
    x = x + block.layer_scale1.scale.unsqueeze(-1).unsqueeze(-1) * y
    y = F.group_norm(x, 1, norm2.weight, norm2.bias, norm2.eps)
    y = _conv1x1(block.mlp.act(_conv1x1(y, block.mlp.fc1)), block.mlp.fc2)
    return x + block.layer_scale2.scale.unsqueeze(-1).unsqueeze(-1) * y


def _v1_forward(model, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    x = model.stem.conv(x)
    outs = []
    for i, stage in enumerate(model.stages):
        if i > 0:
            x = stage.downsample.conv(x)
        for block in stage.blocks:
            x = _v1_block(block, x)
        if i in model.out_indices:
            norm = getattr(model, f'norm{i}')
            if isinstance(norm, GroupNorm1):
                outs.append(F.group_norm(x, 1, norm.weight, norm.bias,
                                         norm.eps))
            else:
                outs.append(norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
    return tuple(outs)


# ------------------------------------------------- baselines (channels-last)
def _layer_norm_general(norm, x: torch.Tensor) -> torch.Tensor:
    dims = (1, 2, 3) if isinstance(norm, GroupNorm1) else (-1, )
    c = x - x.mean(dims, keepdim=True)
    s = c.pow(2).mean(dims, keepdim=True)
    x = c / torch.sqrt(s + norm.eps)
    x = x * norm.weight
    if norm.bias is not None:
        x = x + norm.bias
    return x


def _norm(norm, x: torch.Tensor) -> torch.Tensor:
    if isinstance(norm, ChannelLayerNorm) and norm.bias is None:
        # LayerNormWithoutBias of ConvFormer/CAFormer uses F.layer_norm
        return F.layer_norm(x, norm.normalized_shape, norm.weight, None,
                            norm.eps)
    if isinstance(norm, (GroupNorm1, ChannelLayerNorm)):
        return _layer_norm_general(norm, x)
    return norm(x)


def _act(act, x: torch.Tensor) -> torch.Tensor:
    if isinstance(act, StarReLU):
        return act.scale * F.relu(x) ** 2 + act.bias
    return act(x)


def _mlp(mlp: Mlp, x: torch.Tensor) -> torch.Tensor:
    return mlp.fc2(_act(mlp.act, mlp.fc1(x)))


def _mixer(mixer, x: torch.Tensor) -> torch.Tensor:
    if isinstance(mixer, Identity):
        return x
    if isinstance(mixer, Pooling):
        y = F.avg_pool2d(x.permute(0, 3, 1, 2), mixer.pool_size, 1,
                         mixer.pool_size // 2, count_include_pad=False)
        return y.permute(0, 2, 3, 1) - x
    if isinstance(mixer, SepConv):
        x = _act(mixer.act1, mixer.pwconv1(x))
        x = mixer.dwconv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return mixer.pwconv2(_act(mixer.act2, x))
    if isinstance(mixer, Attention):
        b, h, w, c = x.shape
        n = h * w
        qkv = mixer.qkv(x).reshape(b, n, 3, mixer.num_heads,
                                   mixer.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * mixer.head_dim**-0.5
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, h, w, mixer.attention_dim)
        return mixer.proj(x)
    if isinstance(mixer, RandomMixing):
        b, h, w, c = x.shape
        matrix = mixer.mixing_matrix(h, w)
        x = torch.einsum('mn, bnc -> bmc', matrix, x.reshape(b, h * w, c))
        return x.reshape(b, h, w, c)
    return mixer(x)


def _scale(scale, x: torch.Tensor) -> torch.Tensor:
    return x * scale.scale if isinstance(scale, Scale) else x


def _baseline_block(block, x: torch.Tensor) -> torch.Tensor:
    x = _scale(block.res_scale1, x) + _scale(
        block.layer_scale1, _mixer(block.token_mixer, _norm(block.norm1, x)))
    x = _scale(block.res_scale2, x) + _scale(
        block.layer_scale2, _mlp(block.mlp, _norm(block.norm2, x)))
    return x


def _baseline_forward(model, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    x = _norm(model.stem.norm, model.stem.conv(x).permute(0, 2, 3, 1))
    outs = []
    for i, stage in enumerate(model.stages):
        if i > 0:
            down = stage.downsample
            x = _norm(down.norm, x).permute(0, 3, 1, 2)
            x = down.conv(x).permute(0, 2, 3, 1)
        for block in stage.blocks:
            x = _baseline_block(block, x)
        if i in model.out_indices:
            y = _norm(getattr(model, f'norm{i}'), x)
            outs.append(y.permute(0, 3, 1, 2))
    return tuple(outs)


def reference_forward(model, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """Run ``model`` (a mmmeta MetaFormer) with the official op sequence.

    Stochastic depth and dropout are not applied (inference semantics), and
    ``gap_before_out_norm`` is not supported.
    """
    if model.gap_before_out_norm:
        raise NotImplementedError('the reference path returns feature maps; '
                                  'it does not support gap_before_out_norm')
    if _is_v1(model):
        return _v1_forward(model, x)
    return _baseline_forward(model, x)
