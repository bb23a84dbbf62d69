"""Odd images and broken annotations: trained and evaluated, or skipped with
a warning that names the file; evaluation counts every image."""

import json
import re
import warnings

import numpy as np
import pytest
from PIL import Image
from support import tool, write_overlay

pytest.importorskip('mmseg')
from mmseg.datasets.transforms import LoadAnnotations  # noqa: E402

from mmmeta.datasets.transforms import LoadSegAnnotations  # noqa: E402
from mmmeta.utils.data_checks import check_coco_annotations  # noqa: E402
from mmmeta.utils.synthetic_data import make_ade20k, make_coco  # noqa: E402


def load(transform, path, **extra):
    return transform.transform(
        dict(
            seg_map_path=str(path),
            seg_fields=[],
            reduce_zero_label=True,
            **extra,
        )
    )


def test_same_as_mmseg_on_valid_labels(tmp_path):
    labels = np.random.default_rng(0).integers(0, 151, (20, 30))
    labels[0, :5] = 255
    path = tmp_path / 'valid.png'
    Image.fromarray(labels.astype(np.uint8)).save(path)
    ours = load(
        LoadSegAnnotations(reduce_zero_label=True, num_classes=150), path
    )['gt_seg_map']
    theirs = load(LoadAnnotations(reduce_zero_label=True), path)['gt_seg_map']
    assert np.array_equal(ours, theirs)


def test_16bit_and_out_of_range_labels(tmp_path):
    labels = np.array([[0, 1, 5, 300], [151, 150, 2, 1000]], np.uint16)
    path = tmp_path / 'wide.png'
    Image.fromarray(labels).save(path)
    assert Image.open(path).mode.startswith('I')
    with pytest.warns(
        UserWarning,
        match=re.escape(str(path))
        + r': 3 pixels have labels \[150, 299, 999\]',
    ):
        out = load(LoadSegAnnotations(num_classes=150), path)['gt_seg_map']
    # 0 -> ignore, k -> k - 1; 300, 151 and 1000 are not classes
    assert out.tolist() == [[255, 0, 4, 255], [255, 149, 1, 255]]
    # mmseg wraps 300 round to 44 - 1 = 43 without a word
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        theirs = load(LoadAnnotations(), path)['gt_seg_map']
    assert theirs[0, 3] == 43


def test_colour_label_map_is_a_clear_error(tmp_path):
    path = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    with pytest.raises(
        ValueError, match=re.escape(str(path)) + '.*single-channel'
    ):
        load(LoadSegAnnotations(), path)


@pytest.fixture
def odd_ade(tmp_path):
    """ADE20K-layout data with a greyscale image, an RGBA image, a tiny
    image and 16-bit labels outside the class range."""
    root = tmp_path / 'ade'
    make_ade20k(str(root), num_train=4, num_val=4, size=(96, 128))
    img = root / 'images'
    ann = root / 'annotations'
    Image.open(img / 'training' / 'ADE_train_00000001.jpg').convert('L').save(
        img / 'training' / 'ADE_train_00000001.jpg'
    )
    Image.open(img / 'validation' / 'ADE_val_00000001.jpg').convert('L').save(
        img / 'validation' / 'ADE_val_00000001.jpg'
    )
    rgba = Image.open(img / 'validation' / 'ADE_val_00000002.jpg').convert(
        'RGBA'
    )
    rgba.save(img / 'validation' / 'ADE_val_00000002.jpg', format='PNG')
    Image.new('RGB', (20, 18), (120, 30, 30)).save(
        img / 'validation' / 'ADE_val_00000003.jpg'
    )
    Image.fromarray(np.full((18, 20), 2, np.uint8)).save(
        ann / 'validation' / 'ADE_val_00000003.png'
    )
    wide = np.array(
        Image.open(ann / 'training' / 'ADE_train_00000002.png'), np.uint16
    )
    wide[10:20, 10:20] = 700
    Image.fromarray(wide).save(ann / 'training' / 'ADE_train_00000002.png')
    return str(root)


def test_segmentation_with_odd_images(tmp_path, odd_ade):
    data = dict(ade=odd_ade)
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data)
    work = tmp_path / 'work'
    output = tool(
        'tools/train.py',
        cfg,
        '--work-dir',
        str(work),
        '--cfg-options',
        'train_dataloader.dataset.times=2',
        'train_dataloader.sampler.shuffle=False',
        'train_cfg.max_iters=4',
        'param_scheduler.0.end=4',
    )
    assert 'ADE_train_00000002.png: 100 pixels have labels [699]' in output
    output = tool(
        'tools/test.py', cfg, str(work / 'iter_4.pth'), '--work-dir', str(work)
    )
    assert 'Iter(test) [4/4]' in output  # every image, the tiny one too
    assert re.search(r'mIoU: [0-9.]+', output)


def test_coco_problems_are_named_and_nothing_is_dropped_in_eval(tmp_path):
    root = tmp_path / 'coco'
    make_coco(str(root), num_train=4, num_val=3, size=(112, 144))
    for split in ('train2017', 'val2017'):
        path = root / 'annotations' / f'instances_{split}.json'
        data = json.loads(path.read_text())
        first = data['images'][0]['id']
        data['annotations'] = [
            a for a in data['annotations'] if a['image_id'] != first
        ]
        bad = dict(data['annotations'][0])
        bad.update(id=9001, bbox=[5.0, 5.0, 0.0, 7.0], area=0.0)
        broken = dict(data['annotations'][0])
        broken.update(id=9002, segmentation=[[1.0, 1.0, 5.0, 5.0]])
        data['annotations'] += [bad, broken]
        path.write_text(json.dumps(data))
    messages = check_coco_annotations(
        str(root / 'annotations' / 'instances_val2017.json')
    )
    assert any('000000000001.jpg: no annotations' in m for m in messages)
    assert any('annotation 9001 has a degenerate box' in m for m in messages)
    assert any(
        'annotation 9002 has a polygon with fewer than 3 points' in m
        for m in messages
    )
    cfg = write_overlay(
        tmp_path,
        'poolformer/mask_rcnn_poolformer_s12_fpn_1x_coco.py',
        dict(coco=str(root)),
    )
    work = tmp_path / 'work'
    output = tool('tools/train.py', cfg, '--work-dir', str(work))
    assert 'annotation 9001 has a degenerate box' in output
    output = tool(
        'tools/test.py',
        cfg,
        str(work / 'epoch_1.pth'),
        '--work-dir',
        str(work),
    )
    assert 'Epoch(test) [3/3]' in output  # every image is evaluated
    assert re.search(r'coco/segm_mAP: [0-9.]+', output)
