"""Ported recipes give every parameter the learning rate and weight decay
the official config gives it: mmengine's optimizer constructor is run on
the official parameter names with the official paramwise settings, and on
mmmeta's names with the shipped config, and the two are compared parameter
by parameter."""

import re

import pytest
import torch
from fixture_utils import load_fixture
from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
from mmengine.registry import MODELS, DefaultScope
from support import load_config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmmeta.models.utils import LAYOUTS
from mmmeta.utils import convert_syncbn_to_bn

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')

NORMS = (nn.LayerNorm, nn.GroupNorm, _BatchNorm)


def build(path: str, **backbone):
    cfg = load_config(path)
    convert_syncbn_to_bn(cfg._cfg_dict)
    cfg.model.backbone.update(init_cfg=None, **backbone)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, wrapper


def groups_by_param(optimizer) -> dict:
    return {
        id(p): (g['lr'], g['weight_decay'])
        for g in optimizer.param_groups
        for p in g['params']
    }


def official_tree(model: nn.Module, official_name) -> nn.Module:
    """A module tree holding ``model``'s own parameters under their official
    names; a parameter's owner is a norm where it is one in ``model`` (the
    constructor's norm rule looks at the owner's type)."""
    root = nn.Module()
    modules = dict(model.named_modules())
    for name, param in model.named_parameters():
        owner_name, _, _ = name.rpartition('.')
        owner_cls = (
            type(modules[owner_name])
            if isinstance(modules[owner_name], NORMS)
            else nn.Module
        )
        path, _, attr = official_name(name).rpartition('.')
        module = root
        parts = path.split('.') if path else []
        for i, part in enumerate(parts):
            if not hasattr(module, part):
                cls = owner_cls if i == len(parts) - 1 else nn.Module
                child = cls.__new__(cls)
                nn.Module.__init__(child)
                module.add_module(part, child)
            module = getattr(module, part)
        module.register_parameter(attr, param)
    return root


def compare(model, wrapper, official_name, official_optim):
    ours = groups_by_param(wrapper.optimizer)
    official_optim = dict(official_optim)
    constructor = DefaultOptimWrapperConstructor(
        official_optim, official_optim.pop('paramwise_cfg')
    )
    theirs = groups_by_param(
        constructor(official_tree(model, official_name)).optimizer
    )
    names = {id(p): n for n, p in model.named_parameters()}
    assert ours.keys() == theirs.keys()
    differ = [
        (names[i], ours[i], theirs[i])
        for i in ours
        if ours[i] != pytest.approx(theirs[i])
    ]
    assert not differ, differ[:10]
    return {value for value in theirs.values()}


# ---------------------------------------------------------------- TransNeXt
_TRANSNEXT_RULES = (
    (r'stem\.conv\.', 'patch_embed1.proj.'),
    (r'stem\.norm\.', 'patch_embed1.norm.'),
    (
        r'stages\.(\d)\.downsample\.conv\.',
        lambda m: f'patch_embed{int(m[1]) + 1}.proj.',
    ),
    (
        r'stages\.(\d)\.downsample\.post_norm\.',
        lambda m: f'patch_embed{int(m[1]) + 1}.norm.',
    ),
    (
        r'stages\.(\d)\.blocks\.(\d+)\.token_mixer\.',
        lambda m: f'block{int(m[1]) + 1}.{m[2]}.attn.',
    ),
    (
        r'stages\.(\d)\.blocks\.(\d+)\.mlp\.dwconv\.',
        lambda m: f'block{int(m[1]) + 1}.{m[2]}.mlp.dwconv.dwconv.',
    ),
    (
        r'stages\.(\d)\.blocks\.(\d+)\.',
        lambda m: f'block{int(m[1]) + 1}.{m[2]}.',
    ),
    (r'stages\.(\d)\.norm\.', lambda m: f'norm{int(m[1]) + 1}.'),
)


def official_transnext_name(name: str) -> str:
    if not name.startswith('backbone.'):
        return name
    local = name[len('backbone.') :]
    for pattern, target in _TRANSNEXT_RULES:
        renamed, count = re.subn('^' + pattern, target, local)
        if count:
            # the inverse of the checkpoint layout's renaming
            assert LAYOUTS['transnext-official'].rename(renamed) == local
            return 'backbone.' + renamed
    raise AssertionError(f'no official name for {name}')


def official_transnext_keys(depths, extra=()) -> dict:
    """The custom keys of the official DINO / Mask2Former configs
    (DaiShiResearch/TransNeXt), official names."""
    nodecay = dict(lr_mult=0.1, decay_mult=0)
    decay = dict(lr_mult=0.1)
    keys = {
        'attn.query_embedding': nodecay,
        'relative_pos_bias_local': nodecay,
        'cpb': nodecay,
        'temperature': nodecay,
        'attn.learnable': decay,
        'attn.q.weight': decay,
        'attn.q.bias': nodecay,
        'attn.kv.weight': decay,
        'attn.kv.bias': nodecay,
        'attn.qkv.weight': decay,
        'attn.qkv.bias': nodecay,
        'attn.sr.weight': decay,
        'attn.sr.bias': nodecay,
        'attn.norm': nodecay,
        'attn.proj.weight': decay,
        'attn.proj.bias': nodecay,
        'mlp.fc1.weight': decay,
        'mlp.fc2.weight': decay,
        'mlp.fc1.bias': nodecay,
        'mlp.fc2.bias': nodecay,
        'mlp.dwconv.dwconv.weight': decay,
        'mlp.dwconv.dwconv.bias': nodecay,
        **dict(extra),
    }
    for i in range(len(depths) - 1):
        keys[f'backbone.norm{i + 1}'] = nodecay
        keys[f'backbone.patch_embed{i + 1}.norm'] = nodecay
        keys[f'backbone.patch_embed{i + 1}.proj.weight'] = decay
        keys[f'backbone.patch_embed{i + 1}.proj.bias'] = nodecay
    for stage, blocks in enumerate(depths):
        for block in range(blocks):
            keys[f'backbone.block{stage + 1}.{block}.norm'] = nodecay
    return keys


def test_transnext_dino_parameter_groups_are_the_official_ones():
    model, wrapper = build(
        'transnext/dino-4scale_transnext_tiny-12e_coco.py', img_size=224
    )
    official = dict(
        type='OptimWrapper',
        optimizer=dict(
            type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
        ),
        paramwise_cfg=dict(
            custom_keys=official_transnext_keys([2, 2, 15, 2]),
            bias_decay_mult=0,
            norm_decay_mult=0,
            flat_decay_mult=0,
        ),
    )
    values = compare(model, wrapper, official_transnext_name, official)
    # the backbone at lr x0.1 (with and without decay), the stage-4 patch
    # embedding / norm and the detector at the full lr
    assert {(1e-5, 0.05), (1e-5, 0.0), (1e-4, 0.05), (1e-4, 0.0)} <= {
        (round(lr, 9), wd) for lr, wd in values
    }
    stage4 = model.backbone.stages[3].downsample.conv.weight
    assert groups_by_param(wrapper.optimizer)[id(stage4)] == (1e-4, 0.05)


def test_transnext_mask2former_parameter_groups_are_the_official_ones():
    model, wrapper = build(
        'transnext/mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py',
        img_size=224,
    )
    embed = dict(lr_mult=1.0, decay_mult=0.0)
    official = dict(
        type='OptimWrapper',
        optimizer=dict(
            type='AdamW',
            lr=1e-4,
            weight_decay=0.05,
            eps=1e-8,
            betas=(0.9, 0.999),
        ),
        paramwise_cfg=dict(
            custom_keys=official_transnext_keys(
                [2, 2, 15, 2],
                extra={
                    'decode_head.query_embed': embed,
                    'decode_head.query_feat': embed,
                    'decode_head.level_embed': embed,
                }.items(),
            ),
            bias_decay_mult=0,
            norm_decay_mult=0,
            flat_decay_mult=0,
        ),
    )
    compare(model, wrapper, official_transnext_name, official)
    query = model.decode_head.query_embed.weight
    assert groups_by_param(wrapper.optimizer)[id(query)] == (1e-4, 0.0)


# ------------------------------------------------------------------ FFNet-seg
def test_ffnet_seg_parameter_groups_are_the_official_ones():
    model, wrapper = build('ffnet/ffnet-seg_8xb2-160k_ade20k-512x512.py')
    rename = LAYOUTS['ffnet-official'].rename
    official_of = {
        rename(key): key for key, _ in load_fixture('ffnet_seg_64x96')['keys']
    }

    def official_name(name):
        if name.startswith('backbone.'):
            return 'backbone.' + official_of[name[len('backbone.') :]]
        return name  # the head keeps the official names

    official = dict(
        type='OptimWrapper',
        optimizer=dict(
            type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05
        ),
        paramwise_cfg=dict(
            custom_keys={
                'pos_block': dict(decay_mult=0.0),
                'norm': dict(decay_mult=0.0),
                'head': dict(lr_mult=10.0),
            }
        ),
    )
    values = compare(model, wrapper, official_name, official)
    assert {(6e-5, 0.05), (6e-4, 0.05)} <= {
        (round(lr, 9), wd) for lr, wd in values
    }
    with torch.no_grad():  # every backbone parameter was renamed
        assert all(
            n[len('backbone.') :] in official_of
            for n, _ in model.named_parameters()
            if n.startswith('backbone.')
        )


# ----------------------------------------- whole official models load strictly
def official_whole_model(model, official_name) -> dict:
    """The state dict an official whole-model checkpoint would have:
    deterministic values under the official names (the backbone's from the
    official code, the heads' as mmdet/mmseg name them)."""
    from fixture_utils import fixture_tensor

    return {
        official_name(k): fixture_tensor(official_name(k), v.shape)
        for k, v in model.state_dict().items()
    }


@pytest.mark.parametrize(
    'path',
    [
        'transnext/dino-5scale_transnext_tiny-12e_coco.py',
        'transnext/mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py',
    ],
)
def test_whole_official_transnext_model_loads_strictly(path):
    """An official DINO / Mask2Former checkpoint (TransNeXt's own backbone
    names) loads into the config's model with nothing missing or left
    over, every backbone tensor where the renaming puts it."""
    model, _ = build(path, img_size=224)
    state = official_whole_model(model, official_transnext_name)
    assert any(k.startswith('backbone.block3.') for k in state)
    model.load_state_dict(dict(state), strict=True)
    backbone = model.backbone.state_dict()
    for name, value in state.items():
        if name.startswith('backbone.'):
            ours = LAYOUTS['transnext-official'].rename(name[9:])
            assert torch.equal(backbone[ours], value), name


def test_whole_official_ffnet_seg_model_gives_official_logits():
    """The official FFNet-seg system checkpoint (official backbone and head
    names) loads strictly into the ADE20K config's segmentor, which then
    gives the official head's logits."""
    from fixture_utils import (
        fixture_input,
        fixture_state_dict,
        max_relative_error,
    )

    fixture = load_fixture('ffnet_seg_64x96')
    model, _ = build('ffnet/ffnet-seg_8xb2-160k_ade20k-512x512.py')
    state = {
        f'backbone.{k}': v
        for k, v in fixture_state_dict(fixture['keys']).items()
    }
    state.update(
        {
            f'decode_head.{k}': v
            for k, v in fixture_state_dict(fixture['head_keys']).items()
        }
    )
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(fixture_input(2, 64, 96), mode='tensor')
    expected = fixture['head_output']  # stride-8 logits, as mode='tensor'
    assert logits.shape == expected.shape
    assert max_relative_error(logits, expected) <= 5e-4
