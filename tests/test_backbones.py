"""MetaFormer core and families: numerics, shapes and the dense API."""
import pytest
import torch
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)

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
from mmmeta.models.token_mixers import RandomMixing
from mmmeta.models.utils import convert_metaformer, fit_state_dict

FAMILIES = {
    'poolformer': PoolFormer,
    'poolformerv2': PoolFormerV2,
    'identityformer': IdentityFormer,
    'randformer': RandFormer,
    'convformer': ConvFormer,
    'caformer': CAFormer,
}
SMALLEST = [(PoolFormer, 's12'), (PoolFormerV2, 's12'),
            (IdentityFormer, 's12'), (RandFormer, 's12'),
            (ConvFormer, 's18'), (CAFormer, 's18')]


def load_official(model, keys):
    state = convert_metaformer(fixture_state_dict(keys))
    fitted = fit_state_dict(model, state, 'fixture',
                            optional=model.optional_checkpoint_keys())
    model.load_state_dict(fitted, strict=False)
    return model


@pytest.mark.parametrize('name', [
    'poolformer_s12_dense_64x64', 'poolformer_s12_cls_64x64',
    'poolformerv2_s12_64x64', 'identityformer_s12_64x64',
    'convformer_s18_64x64', 'caformer_s18_64x64'
])
def test_matches_official_outputs(name):
    """Every stage output equals the official implementation's."""
    fixture = load_fixture(name)
    # The MetaFormer-baselines fixtures are raw stage outputs.
    kwargs = {} if fixture['family'] == 'poolformer' else dict(
        out_norm_cfg=None)
    model = FAMILIES[fixture['family']](fixture['arch'], **kwargs).eval()
    load_official(model, fixture['keys'])
    with torch.no_grad():
        outs = model(fixture_input(fixture['batch'], *fixture['input_hw']))
    assert len(outs) == len(fixture['outputs']) == 4
    for out, ref in zip(outs, fixture['outputs']):
        assert out.shape == ref.shape
        assert max_relative_error(out, ref) <= 5e-4


def test_equivalence_test_detects_a_wrong_block():
    """The fixture comparison is sensitive: one weight 10% off fails it."""
    fixture = load_fixture('poolformer_s12_dense_64x64')
    model = load_official(PoolFormer('s12').eval(), fixture['keys'])
    with torch.no_grad():
        model.stages[2].blocks[3].mlp.fc2.weight.mul_(1.1)
        outs = model(fixture_input(2, 64, 64))
    assert max_relative_error(outs[2], fixture['outputs'][2]) > 5e-4


# Published parameter counts (upstream.md section 2): the full classifier
# for PoolFormer v1 (mmpretrain metafile) and the sail-sg backbones without
# output norm and head for the MetaFormer baselines. RandFormer adds its
# frozen mixing matrices.
PUBLISHED_BACKBONE = {
    ('poolformer', 's12'): 11_403_200, ('poolformer', 's24'): 20_876_992,
    ('poolformer', 's36'): 30_350_784, ('poolformer', 'm36'): 55_404_864,
    ('poolformer', 'm48'): 72_705_792,
    ('identityformer', 's12'): 11_377_688,
    ('identityformer', 's24'): 20_827_440,
    ('identityformer', 's36'): 30_277_192,
    ('identityformer', 'm36'): 55_306_632,
    ('identityformer', 'm48'): 72_575_520,
    ('poolformerv2', 's12'): 11_377_688, ('poolformerv2', 's24'): 20_827_440,
    ('poolformerv2', 's36'): 30_277_192, ('poolformerv2', 'm36'): 55_306_632,
    ('poolformerv2', 'm48'): 72_575_520,
    ('randformer', 's12'): 11_377_688 + 235_298,
    ('randformer', 's24'): 20_827_440 + 470_596,
    ('randformer', 's36'): 30_277_192 + 705_894,
    ('randformer', 'm36'): 55_306_632 + 705_894,
    ('randformer', 'm48'): 72_575_520 + 941_192,
    ('convformer', 's18'): 23_669_704, ('convformer', 's36'): 36_907_408,
    ('convformer', 'm36'): 53_411_472, ('convformer', 'b36'): 94_439_568,
    ('caformer', 's18'): 23_236_912, ('caformer', 's36'): 36_192_358,
    ('caformer', 'm36'): 52_564_710, ('caformer', 'b36'): 93_310_566,
}
PUBLISHED_CLASSIFIER = {
    ('poolformer', 's12'): 11_915_176, ('poolformer', 's24'): 21_388_968,
    ('poolformer', 's36'): 30_862_760, ('poolformer', 'm36'): 56_172_520,
    ('poolformer', 'm48'): 73_473_448,
    ('identityformer', 's12'): 11_891_712, ('poolformerv2', 'm48'):
    73_346_056, ('convformer', 's18'): 26_774_448,
    ('convformer', 'b36'): 99_882_616, ('caformer', 's36'): 39_297_102,
    ('caformer', 'b36'): 98_753_614,
}


def classifier_extra(family, dim):
    """Parameters of the official final norm + head on top of a backbone
    without output norms (1000 classes)."""
    norm = 2 * dim  # GroupNorm(1) (v1) or LayerNorm (baselines)
    if family in ('convformer', 'caformer'):  # MlpHead, hidden 4 * dim
        hidden = 4 * dim
        return norm + dim * hidden + hidden + 2 * hidden + hidden * 1000 + \
            1000
    return norm + dim * 1000 + 1000


def count(model):
    return sum(p.numel() for p in model.parameters())


# Official det/seg backbones (no classifier), in millions: TransNeXt and
# FFNet (with its four new output LayerNorms).
OFFICIAL_DENSE_MILLIONS = [
    (TransNeXt, 'micro', 12.42), (TransNeXt, 'tiny', 27.68),
    (TransNeXt, 'small', 49.16), (TransNeXt, 'base', 88.95),
    (FFNet, '1', 13.14), (FFNet, '2', 26.50), (FFNet, '3', 48.05),
    (FFNet, '4', 78.85),
]


@pytest.mark.parametrize('cls,arch,millions', OFFICIAL_DENSE_MILLIONS)
def test_dense_parameter_count_matches_official(cls, arch, millions):
    with torch.device('meta'):
        model = cls(arch)
    assert round(count(model) / 1e6, 2) == millions


@pytest.mark.parametrize('family,arch', sorted(PUBLISHED_BACKBONE))
def test_parameter_count_matches_published(family, arch):
    cls = FAMILIES[family]
    with torch.device('meta'):
        if family == 'poolformer':  # the official dense model's count
            model = cls(arch)
        else:
            model = cls(arch, out_norm_cfg=None)
        bare = cls(arch, out_norm_cfg=None)
    assert count(model) == PUBLISHED_BACKBONE[(family, arch)]
    if (family, arch) in PUBLISHED_CLASSIFIER:
        frozen = sum(p.numel() for p in bare.parameters()
                     if not p.requires_grad)
        total = count(bare) - frozen + classifier_extra(family, bare.dims[3])
        assert total == PUBLISHED_CLASSIFIER[(family, arch)]


def expected_hw(h, w, stage):
    h, w = (h - 3) // 4 + 1, (w - 3) // 4 + 1
    for _ in range(stage):
        h, w = -(-h // 2), -(-w // 2)
    return h, w


@pytest.mark.parametrize('cls,arch', SMALLEST)
@pytest.mark.parametrize('hw', [(97, 129), (67, 67), (511, 511), (32, 45)])
def test_odd_input_sizes(cls, arch, hw):
    model = cls(arch).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *hw))
    for i, out in enumerate(outs):
        assert out.shape == (1, model.dims[i], *expected_hw(*hw, i))
        assert torch.isfinite(out).all()
    assert model.out_strides == [4, 8, 16, 32]


@pytest.mark.parametrize('cls,arch', SMALLEST)
def test_too_small_input_is_a_clear_error(cls, arch):
    model = cls(arch)
    with pytest.raises(ValueError, match='at least 32x32'):
        model(torch.randn(1, 3, 31, 64))
    with pytest.raises(ValueError, match='input channels'):
        model(torch.randn(1, 1, 64, 64))


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match=r"'s12', 's24', 's36'\]"):
        PoolFormer('s18')
    with pytest.raises(ValueError, match="'b36'"):
        CAFormer('s12')


def test_custom_arch():
    model = ConvFormer(dict(depths=[1, 1, 1, 1], dims=[8, 16, 24, 32]))
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [8, 16, 24, 32]
    with pytest.raises(KeyError, match="misses \\['dims'\\]"):
        ConvFormer(dict(depths=[1, 1, 1, 1]))
    with pytest.raises(KeyError, match='Unknown arch keys'):
        ConvFormer(dict(depths=[1] * 4, dims=[8] * 4, width=3))


def test_out_indices_and_channels():
    model = CAFormer('s18', out_indices=(-1, 1))
    assert model.out_indices == (1, 3)
    assert model.out_channels == [128, 512]
    assert model.out_strides == [8, 32]
    outs = model(torch.randn(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 128, 8, 8), (2, 512, 2, 2)]
    assert not hasattr(model, 'norm0')
    with pytest.raises(ValueError, match='stage indices'):
        CAFormer('s18', out_indices=(4, ))


def test_output_norms_switch():
    assert type(PoolFormer('s12').norm0).__name__ == 'GroupNorm1'
    model = ConvFormer('s18', out_norm_cfg=None)
    assert isinstance(model.norm3, torch.nn.Identity)
    model = IdentityFormer('s12', out_norm_cfg=dict(type='GroupNorm1'))
    assert type(model.norm2).__name__ == 'GroupNorm1'


@pytest.mark.parametrize('frozen', [-1, 0, 2, 4])
def test_frozen_stages(frozen):
    model = PoolFormer('s12', frozen_stages=frozen)
    model.train()
    stem_frozen = frozen >= 0
    assert all(p.requires_grad != stem_frozen
               for p in model.stem.parameters())
    assert model.stem.training != stem_frozen
    for i, stage in enumerate(model.stages):
        is_frozen = i < frozen
        assert all(p.requires_grad != is_frozen for p in stage.parameters())
        assert all(m.training != is_frozen for m in stage.modules())
    # output norms are new layers and stay trainable
    assert all(p.requires_grad for p in model.norm0.parameters())
    with pytest.raises(ValueError):
        PoolFormer('s12', frozen_stages=5)


def test_drop_path_schedule_reaches_every_block():
    model = PoolFormer('s12', drop_path_rate=0.1)
    rates = [
        getattr(block.drop_path1, 'drop_prob', 0.0)
        for stage in model.stages for block in stage.blocks
    ]
    assert len(rates) == 12
    assert rates == pytest.approx(torch.linspace(0, 0.1, 12).tolist())
    # and it is active in training only
    model.train()
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(0)
    a = model(x)[3]
    torch.manual_seed(1)
    b = model(x)[3]
    assert not torch.allclose(a, b)
    model.eval()
    assert torch.equal(model(x)[3], model(x)[3])


@pytest.mark.parametrize('cls,arch', SMALLEST)
def test_with_cp_same_outputs_and_gradients(cls, arch):
    torch.manual_seed(0)
    model = cls(arch, drop_path_rate=0.0)
    model.train()
    x = torch.randn(2, 3, 64, 64)

    def run():
        model.zero_grad()
        outs = model(x)
        sum((o * o).mean() for o in outs).backward()
        return [o.detach() for o in outs], {
            n: p.grad.clone() for n, p in model.named_parameters()
            if p.grad is not None
        }

    outs_ref, grads_ref = run()
    model.with_cp = True
    assert all(stage.with_cp for stage in model.stages)
    outs_cp, grads_cp = run()
    for a, b in zip(outs_ref, outs_cp):
        torch.testing.assert_close(a, b)
    assert grads_ref.keys() == grads_cp.keys() and len(grads_ref) > 10
    for name in grads_ref:
        torch.testing.assert_close(grads_ref[name], grads_cp[name],
                                   rtol=1e-5, atol=1e-7)


def test_random_mixing_exact_on_trained_grid_and_resampled_elsewhere():
    torch.manual_seed(0)
    mixer = RandomMixing(num_tokens=196)
    assert mixer.mixing_matrix(14, 14) is mixer.random_matrix
    x = torch.randn(2, 14, 14, 8)
    expected = torch.einsum('mn,bnc->bmc', mixer.random_matrix,
                            x.reshape(2, 196, 8)).reshape(2, 14, 14, 8)
    torch.testing.assert_close(mixer(x), expected)
    for h, w in [(7, 9), (32, 32), (1, 1), (3, 20)]:
        m = mixer.mixing_matrix(h, w)
        assert m.shape == (h * w, h * w)
        assert (m >= 0).all()
        torch.testing.assert_close(m.sum(-1), torch.ones(h * w))
    # a uniform mixing matrix stays uniform at any size
    with torch.no_grad():
        mixer.random_matrix.fill_(1 / 196)
    m = mixer.mixing_matrix(5, 7)
    torch.testing.assert_close(m, torch.full((35, 35), 1 / 35))
    assert not mixer.random_matrix.requires_grad


def test_randformer_at_224_uses_official_matrices():
    model = RandFormer('s12', out_indices=(3, )).eval()
    calls = []
    for stage in model.stages[2:]:
        for block in stage.blocks:
            mixer = block.token_mixer
            original = mixer.mixing_matrix

            def spy(h, w, original=original, mixer=mixer):
                result = original(h, w)
                calls.append(result is mixer.random_matrix)
                return result

            mixer.mixing_matrix = spy
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    assert calls and all(calls)
