"""The MetaFormer baselines' official op sequence, as a baseline.

``reference_forward(model, x)`` runs a mmmeta baseline backbone with the
operations, layouts and order of sail-sg/metaformer
``metaformer_baselines.py`` on the model's own parameters: channels-last
with permutes around every convolution and pooling, ``LayerNormGeneral``
written out as mean / variance / divide, StarReLU as
``scale * relu(x) ** 2 + bias``, attention as explicit
``softmax(q @ k.T * scale) @ v``. Benchmark and test material (see
``official_ops``), not part of mmmeta.
"""

from typing import Tuple

import torch
import torch.nn.functional as F

from mmmeta.models.backbones.metaformer_baselines.layers import (
    Attention,
    RandomMixing,
    SepConv,
)
from mmmeta.models.layers import (
    ChannelLayerNorm,
    GroupNorm1,
    Identity,
    Mlp,
    Pooling,
    Scale,
    StarReLU,
)


def _layer_norm_general(norm, x: torch.Tensor) -> torch.Tensor:
    dims = (1, 2, 3) if isinstance(norm, GroupNorm1) else (-1,)
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
        return F.layer_norm(
            x, norm.normalized_shape, norm.weight, None, norm.eps
        )
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
        y = F.avg_pool2d(
            x.permute(0, 3, 1, 2),
            mixer.pool_size,
            1,
            mixer.pool_size // 2,
            count_include_pad=False,
        )
        return y.permute(0, 2, 3, 1) - x
    if isinstance(mixer, SepConv):
        x = _act(mixer.act1, mixer.pwconv1(x))
        x = mixer.dwconv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return mixer.pwconv2(_act(mixer.act2, x))
    if isinstance(mixer, Attention):
        b, h, w, c = x.shape
        qkv = (
            mixer.qkv(x)
            .reshape(b, h * w, 3, mixer.num_heads, mixer.head_dim)
            .permute(2, 0, 3, 1, 4)
        )
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
    raise TypeError(f'no reference for the mixer {type(mixer).__name__}')


def _scale(scale, x: torch.Tensor) -> torch.Tensor:
    return x * scale.scale if isinstance(scale, Scale) else x


def _block(block, x: torch.Tensor) -> torch.Tensor:
    x = _scale(block.res_scale1, x) + _scale(
        block.layer_scale1, _mixer(block.token_mixer, _norm(block.norm1, x))
    )
    x = _scale(block.res_scale2, x) + _scale(
        block.layer_scale2, _mlp(block.mlp, _norm(block.norm2, x))
    )
    return x


def reference_forward(model, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """Run ``model`` (a mmmeta baseline) with the official op sequence.

    Stochastic depth and dropout are not applied (inference semantics);
    the model returns feature maps (``MetaFormer.forward`` checks).
    """
    x = _norm(model.stem.norm, model.stem.conv(x).permute(0, 2, 3, 1))
    outs = []
    for i, stage in enumerate(model.stages):
        if i > 0:
            down = stage.downsample
            x = _norm(down.norm, x).permute(0, 3, 1, 2)
            x = down.conv(x).permute(0, 2, 3, 1)
        for block in stage.blocks:
            x = _block(block, x)
        if i in model.out_indices:
            y = _norm(getattr(model, f'norm{i}'), x)
            outs.append(y.permute(0, 3, 1, 2))
    return tuple(outs)
