"""mmmeta backbones under the unmodified model bases of mmseg (Semantic
FPN, UperNet) and mmdet (RetinaNet, Mask R-CNN), as users write their own
configs, and the ``pretrained`` argument those hosts hand down."""

import warnings

import pytest
import torch
from support import train_and_predict

from mmmeta.models import PoolFormer
from mmmeta.models.utils.checkpoint import CheckpointError

CASES = [
    # base, backbone, where its channels go
    (
        'mmseg::_base_/models/fpn_r50.py',
        "dict(_delete_=True, type='mmmeta.PoolFormer', arch='s12')",
        'neck=dict(in_channels=[64, 128, 320, 512])',
    ),
    (
        'mmseg::_base_/models/upernet_r50.py',
        "dict(_delete_=True, type='mmmeta.CAFormer', arch='s18')",
        'decode_head=dict(in_channels=[64, 128, 320, 512]), '
        'auxiliary_head=dict(in_channels=320)',
    ),
    (
        'mmdet::_base_/models/retinanet_r50_fpn.py',
        "dict(_delete_=True, type='mmmeta.ConvFormer', arch='s18')",
        'neck=dict(in_channels=[64, 128, 320, 512])',
    ),
    (
        'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
        "dict(_delete_=True, type='mmmeta.FFNet', arch='1')",
        'neck=dict(in_channels=[80, 160, 320, 640])',
    ),
]


def config(tmp_path, base, backbone, channels):
    from mmengine.config import Config

    path = tmp_path / 'user_config.py'
    path.write_text(
        f'_base_ = [{base!r}]\n'
        "custom_imports = dict(imports=['mmmeta'], "
        'allow_failed_imports=False)\n'
        f'model = dict(backbone={backbone}, {channels})\n'
    )
    return Config.fromfile(str(path))


@pytest.mark.parametrize(
    'base,backbone,channels', CASES, ids=[c[0].split('/')[-1] for c in CASES]
)
def test_backbone_under_an_unmodified_upstream_base(
    base, backbone, channels, tmp_path
):
    host = base.split('::')[0]
    pytest.importorskip(host)
    model = train_and_predict(config(tmp_path, base, backbone, channels), host)
    if host == 'mmseg':
        # the base's model.pretrained (ResNet weights) reached the backbone
        # as its init_cfg: loading them says where they came from
        assert 'resnet' in str(model.backbone.init_cfg).lower()
        with pytest.raises(CheckpointError, match='model.pretrained'):
            model.backbone.init_weights()


TINY = dict(depths=[1, 1, 1, 1], dims=[8, 8, 16, 16])


def test_pretrained_is_an_alias_of_init_cfg(tmp_path):
    torch.manual_seed(0)
    source = PoolFormer(TINY)
    path = str(tmp_path / 'weights.pth')
    torch.save(source.state_dict(), path)
    with pytest.warns(UserWarning, match='deprecated'):
        model = PoolFormer(TINY, pretrained=path)
    assert model.init_cfg == dict(type='Pretrained', checkpoint=path)
    model.init_weights()
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_init_cfg_wins_over_a_handed_down_pretrained(tmp_path):
    init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'a.pth'))
    with pytest.warns(UserWarning, match='model.pretrained=None'):
        model = PoolFormer(
            TINY, init_cfg=init_cfg, pretrained='open-mmlab://resnet50_v1c'
        )
    assert model.init_cfg == init_cfg
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        PoolFormer(TINY, pretrained=None)  # None says nothing
    with pytest.raises(TypeError, match='pretrained must be'):
        PoolFormer(TINY, pretrained=True)
