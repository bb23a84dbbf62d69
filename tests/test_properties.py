"""Property tests: any valid input size, batch and dtype gives outputs of
the documented shapes, with bfloat16 outputs close to the same model's
float32 ones, for every family; the checkpoint conversion either converts
a mutated real state dict or raises its own error, and both happen.

The draws are the same on every run of ``make test`` (the ``ci``
hypothesis profile of ``conftest.py``); ``HYPOTHESIS_PROFILE=explore``
draws new cases.
"""

import functools

import torch
from families import FAMILIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EmulatedAmxConvDefect

from mmmeta.models.utils import (
    CheckpointError,
    extract_state_dict,
    fit_state_dict,
)


@functools.lru_cache(maxsize=None)
def shallow(index):
    torch.manual_seed(0)
    return FAMILIES[index].shallow().eval()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    index=st.sampled_from(range(len(FAMILIES))),
    data=st.data(),
    batch=st.integers(1, 3),
    dtype=st.sampled_from([torch.float32, torch.bfloat16]),
)
def test_any_valid_input_gives_documented_shapes(index, data, batch, dtype):
    """Under the emulated oneDNN AMX defect (``support``), so that every
    machine checks the bfloat16 guard on the sizes that need it."""
    family = FAMILIES[index]
    height = data.draw(st.integers(family.min_input, 160), label='height')
    width = data.draw(st.integers(family.min_input, 160), label='width')
    model = shallow(index)
    seed = torch.Generator().manual_seed(height * 1000 + width)
    x = torch.randn(batch, 3, height, width, generator=seed)
    with torch.no_grad(), EmulatedAmxConvDefect():
        refs = model(x)
        outs = model.to(dtype)(x.to(dtype))
    model.float()
    assert len(outs) == 4
    for out, ref, shape in zip(outs, refs, model.output_shapes(height, width)):
        assert out.shape == (batch, *shape)
        assert out.dtype == dtype
        # bfloat16: ~0.01 measured over every family; garbage is >> 1
        error = (out.float() - ref).norm() / ref.norm()
        assert error < (0.05 if dtype == torch.bfloat16 else 1e-6), error


def mutations(state, rng):
    """``state`` with 0-2 random edits: a key dropped, renamed or added, a
    tensor reshaped, the whole wrapped under a container key or prefix."""
    state = dict(state)
    for _ in range(rng.randrange(3)):
        key = rng.choice(sorted(state))
        edit = rng.randrange(4)
        if edit == 0:
            del state[key]
        elif edit == 1:
            state[key.replace('.', '_', 1)] = state.pop(key)
        elif edit == 2:
            state[f'{key.split(".")[0]}.extra.weight'] = torch.zeros(3)
        else:
            state[key] = torch.zeros(state[key].numel() + 1)
    return rng.choice(
        [
            state,
            {'state_dict': state},
            {'backbone.' + k: v for k, v in state.items()},
        ]
    )


def test_conversion_converts_or_raises_its_own_error():
    """Start from real files (the sail-sg PoolFormer layout and mmmeta's
    own) and mutate them: a result either fits the model completely or is
    refused with a CheckpointError; both happen."""
    import random

    rng = random.Random(0)
    model = shallow(0)  # PoolFormer: the sail-sg and timm layouts
    own = model.state_dict()
    sail = sail_layout(own)
    outcomes = {'fitted': 0, 'refused': 0}
    for _ in range(300):
        state = mutations(rng.choice([own, sail]), rng)
        try:
            state = extract_state_dict(state, 'random')
            converted = model.convert_checkpoint(state)
            fitted = fit_state_dict(
                model,
                converted,
                'random',
                optional=model.optional_checkpoint_keys(),
            )
        except CheckpointError:
            outcomes['refused'] += 1
            continue
        outcomes['fitted'] += 1
        # it fitted: then it really had every backbone tensor
        assert set(own) - set(model.optional_checkpoint_keys()) <= set(fitted)
    assert outcomes['fitted'] > 20 and outcomes['refused'] > 20, outcomes


def sail_layout(own):
    """mmmeta names back to the sail-sg PoolFormer release's."""
    import re

    out = {}
    for key, value in own.items():
        key = key.replace('stem.conv.', 'patch_embed.proj.')
        key = re.sub(r'layer_scale(\d)\.scale$', r'layer_scale_\1', key)
        m = re.match(r'stages\.(\d)\.blocks\.(\d+)\.(.+)$', key)
        if m:
            key = f'network.{2 * int(m[1])}.{m[2]}.{m[3]}'
        m = re.match(r'stages\.(\d)\.downsample\.conv\.(.+)$', key)
        if m:
            key = f'network.{2 * int(m[1]) - 1}.proj.{m[2]}'
        m = re.match(r'norm(\d)\.(.+)$', key)
        if m:
            key = f'norm{2 * int(m[1])}.{m[2]}'
        out[key] = value
    return out
