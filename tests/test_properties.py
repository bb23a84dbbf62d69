"""Property tests: any valid input size, batch and dtype gives outputs of
the documented shapes with finite values, for every family; the checkpoint
conversion either converts a random state dict or raises its own error."""
import functools

import torch
from families import FAMILIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmmeta.models.utils import (
    CheckpointError,
    extract_state_dict,
    fit_state_dict,
)


@functools.lru_cache(maxsize=None)
def shallow(index):
    torch.manual_seed(0)
    return FAMILIES[index].shallow().eval()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(index=st.sampled_from(range(len(FAMILIES))), data=st.data(),
       batch=st.integers(1, 3),
       dtype=st.sampled_from([torch.float32, torch.bfloat16]))
def test_any_valid_input_gives_documented_shapes(index, data, batch, dtype):
    family = FAMILIES[index]
    height = data.draw(st.integers(family.min_input, 160), label='height')
    width = data.draw(st.integers(family.min_input, 160), label='width')
    model = shallow(index).to(dtype)
    x = torch.randn(batch, 3, height, width, dtype=dtype)
    with torch.no_grad():
        outs = model(x)
    assert len(outs) == 4
    for i, out in enumerate(outs):
        assert out.shape == (batch, model.dims[i],
                             *family.output_hw(height, width, i))
        assert out.dtype == dtype
        assert torch.isfinite(out).all()
    model.float()
ROOTS = st.sampled_from([
    'network', 'downsample_layers', 'stages', 'stem', 'norm', 'norm0',
    'norm2', 'norm6', 'head', 'patch_embed', 'backbone', 'module', 'x', ''
])
KEY_PARTS = st.one_of(
    st.sampled_from([
        'blocks', 'conv', 'proj', 'norm', 'mlp', 'fc1', 'fc2', 'weight',
        'bias', 'layer_scale_1', 'token_mixer', 'pre_norm', 'post_norm',
        'network', '', 'x'
    ]),
    st.integers(0, 8).map(str))
KEYS = st.tuples(ROOTS, st.lists(KEY_PARTS, max_size=5)).map(
    lambda t: '.'.join([t[0], *t[1]]))
SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, SHAPES, min_size=1, max_size=12))
def test_conversion_converts_or_raises_its_own_error(spec):
    state = {k: torch.zeros(s) for k, s in spec.items()}
    model = shallow(0)  # PoolFormer: the sail-sg and timm layouts
    try:
        state = extract_state_dict(state, 'random')
        converted = model.convert_checkpoint(state)
        fit_state_dict(model, converted, 'random',
                       optional=model.optional_checkpoint_keys())
    except CheckpointError:
        return
    # it fitted: then it really had every backbone tensor
    assert set(model.state_dict()) - set(model.optional_checkpoint_keys()) \
        <= set(converted)
