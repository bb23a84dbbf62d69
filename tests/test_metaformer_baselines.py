"""MetaFormer baselines: RandFormer's resampled mixing and the published
classifier sizes (the shared contracts are in test_contracts.py)."""

import pytest
import torch

from mmmeta.models import (
    CAFormer,
    ConvFormer,
    IdentityFormer,
    PoolFormer,
    PoolFormerV2,
    RandFormer,
)
from mmmeta.models.backbones.metaformer_baselines import RandomMixing


def test_random_mixing_exact_on_trained_grid_and_resampled_elsewhere():
    torch.manual_seed(0)
    mixer = RandomMixing(num_tokens=196)
    assert mixer.mixing_matrix(14, 14) is mixer.random_matrix
    x = torch.randn(2, 14, 14, 8)
    expected = torch.einsum(
        'mn,bnc->bmc', mixer.random_matrix, x.reshape(2, 196, 8)
    ).reshape(2, 14, 14, 8)
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
    model = RandFormer('s12', out_indices=(3,)).eval()
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


# Published totals of the official classifiers (upstream.md section 2):
# mmpretrain's metafile for PoolFormer v1, the sail-sg READMEs' exact
# counts for the baselines (frozen RandFormer matrices excluded).
PUBLISHED_CLASSIFIER = {
    (PoolFormer, 's12'): 11_915_176,
    (PoolFormer, 's24'): 21_388_968,
    (PoolFormer, 's36'): 30_862_760,
    (PoolFormer, 'm36'): 56_172_520,
    (PoolFormer, 'm48'): 73_473_448,
    (IdentityFormer, 's12'): 11_891_712,
    (PoolFormerV2, 'm48'): 73_346_056,
    (ConvFormer, 's18'): 26_774_448,
    (ConvFormer, 'b36'): 99_882_616,
    (CAFormer, 's36'): 39_297_102,
    (CAFormer, 'b36'): 98_753_614,
}


def classifier_extra(cls, dim):
    """Parameters of the official final norm + head on top of a backbone
    without output norms (1000 classes)."""
    norm = 2 * dim  # GroupNorm(1) (v1) or LayerNorm (baselines)
    if cls in (ConvFormer, CAFormer):  # MlpHead, hidden 4 * dim
        hidden = 4 * dim
        return norm + dim * hidden + hidden + 2 * hidden + hidden * 1000 + 1000
    return norm + dim * 1000 + 1000


@pytest.mark.parametrize(
    'cls,arch',
    sorted(PUBLISHED_CLASSIFIER, key=lambda k: (k[0].__name__, k[1])),
    ids=lambda v: getattr(v, '__name__', v),
)
def test_classifier_parameter_count_matches_published(cls, arch):
    with torch.device('meta'):
        bare = cls(arch, out_norm_cfg=None)
    trainable = sum(p.numel() for p in bare.parameters() if p.requires_grad)
    assert (
        trainable + classifier_extra(cls, bare.dims[3])
        == PUBLISHED_CLASSIFIER[(cls, arch)]
    )
