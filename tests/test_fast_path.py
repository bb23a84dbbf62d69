"""The fast path agrees with the reference (official op sequence) path, in
float32 and bfloat16, and traces without graph breaks."""
import pytest
import torch
import torch.nn.functional as F
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)
from test_backbones import FAMILIES

from mmmeta.models import (
    CAFormer,
    ConvFormer,
    FFNet,
    IdentityFormer,
    PoolFormer,
    PoolFormerV2,
    RandFormer,
    TransNeXt,
)
from mmmeta.models.utils import convert_metaformer, fit_state_dict

# (class, arch, fixture with official weights or None for random init)
CASES = [
    (PoolFormer, 's12', 'poolformer_s12_dense_64x64'),
    (PoolFormerV2, 's12', 'poolformerv2_s12_64x64'),
    (IdentityFormer, 's12', 'identityformer_s12_64x64'),
    (RandFormer, 's12', None),
    (ConvFormer, 's18', 'convformer_s18_64x64'),
    (CAFormer, 's18', 'caformer_s18_64x64'),
]
IDS = [f'{c.__name__}-{a}' for c, a, _ in CASES]


def build(cls, arch, fixture, **kwargs):
    torch.manual_seed(0)
    model = cls(arch, **kwargs).eval()
    if fixture:
        state = convert_metaformer(
            fixture_state_dict(load_fixture(fixture)['keys']))
        model.load_state_dict(
            fit_state_dict(model, state, fixture,
                           optional=model.optional_checkpoint_keys()),
            strict=False)
    return model


@pytest.mark.parametrize(
    'cls,arch,fixture,weights',
    [(*case, 'initial') for case in CASES] +
    [(*case, 'official-fixture') for case in CASES if case[2]],
    ids=[f'{i}-initial' for i in IDS] +
    [f'{i}-fixture' for i, case in zip(IDS, CASES) if case[2]])
def test_fast_equals_reference_fp32(cls, arch, fixture, weights):
    """Equal to 1e-5 relative with the initial weights. With the fixtures'
    weights (every layer scale about 1, so every block adds its rounding)
    PoolFormer v1 still agrees to 1e-5, the others to 1e-4: the
    order-of-operations differences the fixtures' README reports between
    independent implementations."""
    model = build(cls, arch, fixture if weights != 'initial' else None)
    tolerance = 1e-5 if weights == 'initial' or cls is PoolFormer else 1e-4
    x = torch.randn(2, 3, 97, 131)
    with torch.no_grad():
        fast = model(x)
        model.impl = 'reference'
        reference = model(x)
    for a, b in zip(fast, reference):
        assert a.shape == b.shape
        assert max_relative_error(a, b) <= tolerance


@pytest.mark.parametrize('name', [
    'poolformer_s12_dense_64x64', 'poolformerv2_s12_64x64',
    'identityformer_s12_64x64', 'convformer_s18_64x64', 'caformer_s18_64x64'
])
def test_reference_path_matches_official(name):
    fixture = load_fixture(name)
    cls = FAMILIES[fixture['family']]
    kwargs = {} if fixture['family'] == 'poolformer' else dict(
        out_norm_cfg=None)
    model = build(cls, fixture['arch'], name, impl='reference', **kwargs)
    with torch.no_grad():
        outs = model(fixture_input(2, 64, 64))
    for out, ref in zip(outs, fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4


def cosine(a, b):
    return F.cosine_similarity(a.float().flatten(), b.float().flatten(),
                               dim=0).item()


@pytest.mark.parametrize('cls,arch,fixture', CASES, ids=IDS)
def test_bfloat16_close_to_float32(cls, arch, fixture):
    """bfloat16 through the standard APIs: a bfloat16 model and input, and
    autocast. Random initialisation (layer scales as at the start of
    training)."""
    model = build(cls, arch, None)
    x = torch.randn(1, 3, 128, 160)
    with torch.no_grad():
        model.impl = 'reference'
        reference = model(x)
        model.impl = 'fast'
        with torch.autocast('cpu', torch.bfloat16):
            autocast = model(x)
        half = model.to(torch.bfloat16)(x.to(torch.bfloat16))
    for ref, a, h in zip(reference, autocast, half):
        assert h.dtype == torch.bfloat16
        assert cosine(ref, a) >= 0.999
        assert cosine(ref, h) >= 0.999


@pytest.mark.parametrize('cls,arch,fixture', CASES, ids=IDS)
def test_compiles_without_graph_breaks(cls, arch, fixture):
    model = cls(arch, out_indices=(0, 3)).eval()
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(1, 3, 64, 96))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


@pytest.mark.parametrize('cls,arch,options', [
    (TransNeXt, 'micro', dict(img_size=64)),
    (TransNeXt, 'micro', dict(img_size=64, is_extrapolation=True)),
    (FFNet, '3', {}),
], ids=['transnext-interp', 'transnext-extrap', 'ffnet'])
def test_new_families_compile_without_graph_breaks(cls, arch, options):
    """The position-bias geometry (torch.unique on Python ints) enters the
    graph as constants; training mode (no inference row blocks) too. One
    block per stage keeps tracing short; every mixer kind is there."""
    shallow = dict(cls.arch_zoo[arch], depths=[1, 1, 1, 1])
    model = cls(shallow, **options)
    for mode in (False, True):
        model.train(mode)
        torch._dynamo.reset()
        explanation = torch._dynamo.explain(model)(torch.randn(1, 3, 64, 96))
        assert explanation.graph_break_count == 0, explanation.break_reasons
