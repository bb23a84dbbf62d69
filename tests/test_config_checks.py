"""The early config checks of the tools (no mmdet/mmseg needed)."""

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmmeta.utils import (
    check_data_roots,
    check_neck_channels,
    convert_syncbn_to_bn,
)
from mmmeta.utils.synthetic_data import make_ade20k, make_coco


def test_syncbn_becomes_bn_everywhere():
    cfg = dict(
        model=dict(
            decode_head=dict(norm_cfg=dict(type='SyncBN')),
            aux=[dict(norm_cfg=dict(type='SyncBN'))],
            neck=dict(norm_cfg=dict(type='GN')),
        )
    )
    assert convert_syncbn_to_bn(cfg) == 2
    assert cfg['model']['decode_head']['norm_cfg']['type'] == 'BN'
    assert cfg['model']['aux'][0]['norm_cfg']['type'] == 'BN'
    assert cfg['model']['neck']['norm_cfg']['type'] == 'GN'


def seg_config(root):
    return Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='RepeatDataset',
                    times=2,
                    dataset=dict(
                        type='ADE20KDataset',
                        data_root=root,
                        data_prefix=dict(
                            img_path='images/training',
                            seg_map_path='annotations/training',
                        ),
                    ),
                )
            )
        )
    )


def test_missing_data_root_names_path_layout_and_fix(tmp_path):
    cfg = seg_config(str(tmp_path / 'ade'))
    with pytest.raises(FileNotFoundError) as info:
        check_data_roots(cfg, ['train'])
    message = str(info.value)
    assert str(tmp_path / 'ade' / 'images' / 'training') in message
    assert 'annotations/{training,validation}' in message
    assert (
        '--cfg-options train_dataloader.dataset.dataset.data_root=' in message
    )
    assert 'make_demo_data.py ade20k' in message
    make_ade20k(str(tmp_path / 'ade'), num_train=1, num_val=1)
    check_data_roots(cfg, ['train'])  # now complete


def test_coco_annotation_file_checked(tmp_path):
    cfg = Config(
        dict(
            val_dataloader=dict(
                dataset=dict(
                    type='CocoDataset',
                    data_root=str(tmp_path),
                    ann_file='annotations/instances_val2017.json',
                    data_prefix=dict(img='val2017/'),
                )
            )
        )
    )
    with pytest.raises(FileNotFoundError, match='instances_val2017.json'):
        check_data_roots(cfg, ['val'])
    make_coco(str(tmp_path), num_train=1, num_val=1)
    check_data_roots(cfg, ['val'])


def test_neck_check_only_for_mmmeta_backbones():
    cfg = Config(
        dict(
            model=dict(
                backbone=dict(
                    type='mmmeta.ConvFormer', arch='s18', out_indices=(1, 2, 3)
                ),
                neck=dict(type='FPN', in_channels=[128, 320, 512]),
            )
        )
    )
    check_neck_channels(cfg)
    cfg.model.neck.in_channels = [64, 128, 320, 512]
    with pytest.raises(
        ValueError,
        match=r'Set model.neck.in_channels='
        r'\[128, 320, 512\]',
    ):
        check_neck_channels(cfg)
    cfg.model.backbone = dict(type='ResNet', depth=50)
    check_neck_channels(cfg)


def test_synthetic_ade20k_labels(tmp_path):
    make_ade20k(str(tmp_path), num_train=3, num_val=1)
    paths = sorted((tmp_path / 'annotations' / 'training').glob('*.png'))
    labels = [np.asarray(Image.open(p)) for p in paths]
    assert len(labels) == 3
    values = set(np.unique(np.concatenate([x.ravel() for x in labels])))
    assert 0 in values and 1 in values  # ignore band and background
    assert values <= set(range(6))
    for path, label in zip(paths, labels):
        image = Image.open(
            tmp_path
            / 'images'
            / 'training'
            / path.name.replace('.png', '.jpg')
        )
        assert image.mode == 'RGB'
        assert image.size[::-1] == label.shape
