"""The MetaFormer core itself: arch tables and their errors, parts built
from the registry, and a new family written entirely outside mmmeta."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmmeta.models import CAFormer, ConvFormer, MetaFormer, PoolFormer
from mmmeta.models.layers import (
    MetaFormerBlock,
    Reparameterizable,
    nchw_view,
    nhwc_view,
    switch_to_deploy,
)
from mmmeta.registry import MODELS


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match=r"'s12', 's24', 's36'\]"):
        PoolFormer('s18')
    with pytest.raises(ValueError, match="'b36'"):
        CAFormer('s12')


def test_custom_arch_and_its_errors():
    model = ConvFormer(dict(depths=[1, 1, 1, 1], dims=[8, 16, 24, 32]))
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [8, 16, 24, 32]
    with pytest.raises(KeyError, match="misses \\['dims'\\]"):
        ConvFormer(dict(depths=[1, 1, 1, 1]))
    with pytest.raises(KeyError, match='Unknown arch keys'):
        ConvFormer(dict(depths=[1] * 4, dims=[8] * 4, width=3))
    with pytest.raises(ValueError, match='no named archs'):
        MetaFormer()
    with pytest.raises(
        ValueError,
        match=r'block of stage 1 must be one '
        r'config dict or a list of 2',
    ):
        block = dict(type='MetaFormerBlock')
        MetaFormer(
            dict(
                depths=[1, 2, 1, 1],
                dims=[8] * 4,
                block=[block, [block] * 3, block, block],
            )
        )
    with pytest.raises(TypeError, match='need a "type"'):
        MetaFormer(dict(depths=[1] * 4, dims=[8] * 4, block=dict(mlp=None)))


def test_overrides_reach_every_block_or_raise():
    """``layer_scale_init_value`` is applied to every block; a block type
    that does not take it refuses it instead of dropping it."""
    model = PoolFormer('s12', layer_scale_init_value=[None, 1e-2, 1e-2, 1.0])
    assert isinstance(model.stages[0].blocks[0].layer_scale1, nn.Identity)
    assert model.stages[3].blocks[1].layer_scale2.scale[0].item() == 1.0
    with pytest.raises(TypeError, match='layer_scale_init_value'):
        MetaFormer(
            dict(
                depths=[1] * 4,
                dims=[8] * 4,
                block=dict(type='ConvResidualBlock'),
            ),
            layer_scale_init_value=0.1,
        )


def test_output_norms_switch():
    assert type(PoolFormer('s12').norm0).__name__ == 'GroupNorm1'
    model = ConvFormer('s18', out_norm_cfg=None)
    assert isinstance(model.norm3, nn.Identity)
    model = CAFormer('s18', out_norm_cfg=dict(type='GroupNorm1'))
    assert type(model.norm2).__name__ == 'GroupNorm1'


# ------------------------------------------- a family written outside mmmeta
@MODELS.register_module(force=True)
class GlobalContextMixer(nn.Module):
    """A new token mixer: each token plus a gated global average."""

    def __init__(self, dim: int):
        super().__init__()
        self.gate = nn.Linear(dim, dim)

    def forward(self, x):
        context = x.mean((1, 2), keepdim=True)
        return torch.sigmoid(self.gate(x)) * context


@MODELS.register_module(force=True)
class ConvResidualBlock(nn.Module):
    """A new block type with one residual (SwiftFormer/EfficientFormer
    style): ``x + pw2(gelu(pw1(dw(x))))``."""

    def __init__(self, dim: int, drop_path: float = 0.0, expansion: int = 2):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.pw1 = nn.Linear(dim, expansion * dim)
        self.pw2 = nn.Linear(expansion * dim, dim)
        self.drop_path = drop_path

    def forward(self, x):
        y = nhwc_view(self.dw(nchw_view(x)))
        return x + self.pw2(F.gelu(self.pw1(y)))


def hybrid_arch() -> dict:
    """Per stage: three conv blocks, then one attention block with the new
    mixer."""
    conv = dict(type='ConvResidualBlock', expansion=2)
    attention = dict(
        type='MetaFormerBlock',
        token_mixer=dict(type='GlobalContextMixer'),
        mlp=dict(type='Mlp', mlp_ratio=2),
        norm_cfg=dict(type='ChannelLayerNorm'),
    )
    return dict(
        depths=[4, 4, 4, 4],
        dims=[16, 32, 48, 64],
        stem=dict(type='Stem', kernel_size=4, stride=4, padding=0),
        block=[[conv, conv, conv, attention]] * 4,
        out_norm=dict(type='ChannelLayerNorm', bias=True),
    )


def test_new_mixer_and_block_from_outside_build_a_backbone():
    model = MetaFormer(hybrid_arch(), drop_path_rate=0.1)
    for stage in model.stages:
        kinds = [type(block).__name__ for block in stage.blocks]
        assert kinds == ['ConvResidualBlock'] * 3 + ['MetaFormerBlock']
        assert isinstance(stage.blocks[3].token_mixer, GlobalContextMixer)
    assert model.stages[3].blocks[2].drop_path == pytest.approx(0.1 * 14 / 15)
    outs = model(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, 16, 24),
        (2, 32, 8, 12),
        (2, 48, 4, 6),
        (2, 64, 2, 3),
    ]
    sum(o.mean() for o in outs).backward()
    assert all(p.grad is not None for p in model.parameters())
    # deploy leaves parts outside the protocol as they are
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
        after = model.switch_to_deploy()(x)
    for a, b in zip(before, after):
        torch.testing.assert_close(a, b)


def test_new_family_runs_through_a_semantic_fpn():
    """mmseg's EncoderDecoder with FPN + FPNHead builds the outside-made
    backbone by its registry name, trains a step and predicts."""
    pytest.importorskip('mmseg')
    from mmengine.config import ConfigDict
    from mmengine.registry import DefaultScope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS as SEG_MODELS
    from mmseg.structures import SegDataSample

    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', size=(64, 64)),
        backbone=dict(type='mmmeta.MetaFormer', arch=hybrid_arch()),
        neck=dict(
            type='FPN',
            in_channels=[16, 32, 48, 64],
            out_channels=32,
            num_outs=4,
        ),
        decode_head=dict(
            type='FPNHead',
            in_channels=[32] * 4,
            in_index=[0, 1, 2, 3],
            feature_strides=[4, 8, 16, 32],
            channels=16,
            num_classes=5,
            dropout_ratio=0.1,
            norm_cfg=dict(type='BN'),
            align_corners=False,
        ),
        test_cfg=ConfigDict(mode='whole'),
    )
    with DefaultScope.overwrite_default_scope('mmseg'):
        segmentor = SEG_MODELS.build(cfg)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64))
        )
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 64, 64)))
        samples.append(sample)
    inputs = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)] * 2
    data = segmentor.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True
    )
    losses = segmentor(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    assert torch.isfinite(loss)
    assert segmentor.backbone.stages[2].blocks[0].pw1.weight.grad is not None
    segmentor.eval()
    with torch.no_grad():
        predictions = segmentor(**data, mode='predict')
    assert predictions[0].pred_sem_seg.data.shape == (1, 64, 64)


# ------------------------------------------------------ the deploy protocol
class _Doubler(Reparameterizable):
    """A mixer that folds a preceding norm's affine into a scalar and fuses
    its residual: ``absorb_*`` and ``add_to`` are called by the block."""

    def __init__(self, dim):
        super().__init__()
        self.factor = nn.Parameter(torch.full((dim,), 2.0))
        self.fused_calls = 0

    def forward(self, x):
        return x * self.factor

    def absorb_output_scale(self, scale):
        with torch.no_grad():
            self.factor.mul_(scale)
        return True

    def add_to(self, skip, x, owned=False):
        self.fused_calls += 1
        return torch.addcmul(skip, x, self.factor)


def test_block_runs_the_deploy_protocol_of_its_mixers():
    MODELS.register_module('Doubler', module=_Doubler, force=True)
    block = MetaFormerBlock(
        4,
        token_mixer=dict(type='Doubler'),
        mlp=dict(type='Mlp', mlp_ratio=2),
        norm_cfg=dict(type='GroupNorm1'),
        layer_scale_init_value=0.5,
    ).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.rand_like(p) * 0.3)
        x = torch.randn(2, 5, 6, 4)
        before = block(x)
        switch_to_deploy(block)
        after = block(x)
    assert isinstance(block.layer_scale1, nn.Identity)  # absorbed
    assert isinstance(block.layer_scale2, nn.Identity)  # into mlp.fc2
    assert block.norm2.weight is None  # its affine is in mlp.fc1 now
    assert block.token_mixer.fused_calls == 1
    torch.testing.assert_close(before, after)


@pytest.mark.parametrize('hw', [(97, 129), (32, 45), (64, 64)])
def test_output_shapes_follow_the_documented_geometry(hw):
    """README: the sail-sg stem (7x7, stride 4, padding 2) gives
    ``H0 = (H - 3) // 4 + 1`` rows, then ``ceil(H0 / 2**i)`` per stage;
    ``output_shapes`` reports what the forward returns."""
    model = PoolFormer(dict(depths=[1] * 4, dims=[8, 8, 16, 16])).eval()
    rows, cols = ((side - 3) // 4 + 1 for side in hw)
    expected = []
    for dim in [8, 8, 16, 16]:
        expected.append((dim, rows, cols))
        rows, cols = -(-rows // 2), -(-cols // 2)
    assert model.output_shapes(*hw) == expected
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *hw))
    assert [tuple(o.shape[1:]) for o in outs] == expected
