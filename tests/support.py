"""Helpers the test modules share (not a test module).

Tool runs on generated data: overlay configs that inherit a shipped config
and only point it at the data and shorten the schedule; tiny batches for
one-step training checks; environments for subprocesses.
"""

import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from mmmeta.utils.synthetic_data import ADE20K_CLASSES, COCO_CATEGORIES

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)
CONFIG_DIR = osp.join(ROOT, 'configs')
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')


def plain(value):
    """A config value as plain dicts/lists, without the ``_scope_`` markers
    that cross-package (``mmseg::``) bases add."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def mmpretrain_env() -> dict:
    """Environment in which ``mmpretrain.models`` imports: the real
    torchvision if it works, else the test-only stand-in (shims/README.md)."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([ROOT, HERE]),
        OMP_NUM_THREADS='2',
    )
    if importlib.util.find_spec('torchvision') is None:
        env['PYTHONPATH'] += os.pathsep + osp.join(HERE, 'shims')
    return env


SEG_OVERLAY = """
_base_ = [{base!r}]
data_root = {root!r}
metainfo = dict(classes={classes!r})
crop = (64, 64)
model = dict(data_preprocessor=dict(size=crop),
             backbone=dict(init_cfg=None),
             decode_head=dict(num_classes={num_classes}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmmeta.LoadSegAnnotations', reduce_zero_label=True,
         num_classes={num_classes}),
    dict(type='RandomResize', scale=(192, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 64), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='mmmeta.LoadSegAnnotations', reduce_zero_label=True,
         num_classes={num_classes}),
    dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset={train_dataset})
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={iters},
                        eta_min=0.0, by_epoch=False)]
train_cfg = dict(max_iters={iters}, val_interval=1000)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2))
"""

DET_OVERLAY = """
_base_ = [{base!r}]
data_root = {root!r}
metainfo = dict(classes={classes!r})
scale = (160, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={masks}),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={masks}),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                          'img_shape', 'scale_factor'))]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root + '/annotations/instances_val2017.json')
test_evaluator = val_evaluator
model = dict(backbone=dict(init_cfg=None), {heads})
train_cfg = dict(max_epochs=1, val_interval=1000)
default_hooks = dict(logger=dict(interval=1))
"""


CLS_OVERLAY = """
_base_ = [{base!r}]
data_root = {root!r}
model = dict(head=dict(num_classes={num_classes}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=72, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=1000)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1))
"""


def write_overlay(tmp_path, config, data, iters=2):
    """A config inheriting the shipped ``config`` (relative to configs/)
    that trains on generated data: the shipped model (random
    initialisation), optimizer and transforms, on tiny images for ``iters``
    iterations (segmentation) or one epoch of four images (detection,
    classification)."""
    base = osp.join(ROOT, 'configs', config)
    scope = load_config(config).default_scope
    model = load_config(config).model
    name = osp.basename(config)
    if scope == 'mmpretrain':
        text = CLS_OVERLAY.format(
            base=base,
            root=data['imagenet'],
            num_classes=len(ADE20K_CLASSES) - 1,
        )
    elif scope == 'mmseg':
        leaf = (
            'dict(data_root=data_root, metainfo=metainfo, '
            'pipeline=train_pipeline)'
        )
        wrapped = load_config(config).train_dataloader.dataset.type in (
            'RepeatDataset',
        )
        text = SEG_OVERLAY.format(
            base=base,
            root=data['ade'],
            train_dataset=f'dict(dataset={leaf})' if wrapped else leaf,
            classes=ADE20K_CLASSES,
            num_classes=len(ADE20K_CLASSES),
            iters=iters,
        )
        if model.decode_head.type == 'Mask2FormerHead':
            weights = [1.0] * len(ADE20K_CLASSES) + [0.1]
            text += (
                "model['decode_head']['loss_cls'] = "
                f'dict(class_weight={weights})\n'
            )
    else:
        n = len(COCO_CATEGORIES)
        masks = 'mask' in name
        if model.type == 'RetinaNet':
            # an untrained RetinaNet scores below the default 0.05
            heads = (
                f'bbox_head=dict(num_classes={n}), '
                'test_cfg=dict(score_thr=0.0)'
            )
        elif model.type == 'DINO':
            # fewer queries than the tiny images have tokens
            heads = f'bbox_head=dict(num_classes={n}), num_queries=100'
        else:
            heads = (
                f'roi_head=dict(bbox_head=dict(num_classes={n}), '
                f'mask_head=dict(num_classes={n}))'
            )
        text = DET_OVERLAY.format(
            base=base,
            root=data['coco'],
            classes=tuple(c for _, c in COCO_CATEGORIES),
            heads=heads,
            masks=masks,
        )
    if 'img_size' in model.backbone:
        text += "model.setdefault('backbone', {})['img_size'] = 224\n"
    path = tmp_path / f'tiny_{name}'
    path.write_text(text)
    return str(path)


def tool(*args, launcher=None, check=True, env=None):
    if launcher == 'torchrun':
        cmd = [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node=2',
            '--master_port=29533',
        ]
    else:
        cmd = [sys.executable]
    result = subprocess.run(
        cmd + list(args),
        cwd=ROOT,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, output[-6000:]
    return output


def det_batch(with_mask: bool, hw=(96, 128)):
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData

    h, w = hw
    boxes = torch.tensor([[10.0, 12.0, 60.0, 70.0], [40.0, 20.0, 100.0, 90.0]])
    inputs, samples = [], []
    for i in range(2):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = DetDataSample(
            metainfo=dict(
                img_id=i, img_shape=hw, ori_shape=hw, scale_factor=(1.0, 1.0)
            )
        )
        gt = InstanceData(bboxes=boxes + 4 * i, labels=torch.tensor([1, 3]))
        if with_mask:
            masks = np.zeros((2, h, w), np.uint8)
            for m, (x0, y0, x1, y1) in zip(masks, gt.bboxes.int().tolist()):
                m[y0:y1, x0:x1] = 1
            gt.masks = BitmapMasks(masks, h, w)
        sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def seg_batch(hw=(64, 64), num_classes: int = 150):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, *hw), dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, *hw))
        )
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def det_batch_annotations(path: str, with_mask: bool, hw=(96, 128)) -> str:
    """A COCO annotation file of :func:`det_batch` 's two images (80
    classes), for evaluating its predictions with mmdet's CocoMetric."""
    import json

    from mmdet.datasets import CocoDataset

    batch = det_batch(with_mask, hw)
    images, annotations = [], []
    for sample in batch['data_samples']:
        images.append(
            dict(
                id=sample.img_id,
                file_name=f'{sample.img_id}.jpg',
                height=hw[0],
                width=hw[1],
            )
        )
        gt = sample.gt_instances
        for box, label in zip(gt.bboxes.tolist(), gt.labels.tolist()):
            x0, y0, x1, y1 = box
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=sample.img_id,
                    category_id=label + 1,
                    iscrowd=0,
                    bbox=[x0, y0, x1 - x0, y1 - y0],
                    area=(x1 - x0) * (y1 - y0),
                    segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]],
                )
            )
    categories = [
        dict(id=i + 1, name=name)
        for i, name in enumerate(CocoDataset.METAINFO['classes'])
    ]
    with open(path, 'w') as f:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=categories
            ),
            f,
        )
    return path


def few_samples(train_cfg, limit: int = 64) -> None:
    """Fewer proposals, sampled RoIs and detections (cost only; the networks
    and losses are the configs')."""
    if isinstance(train_cfg, (list, tuple)):
        for item in train_cfg:
            few_samples(item, limit)
    elif isinstance(train_cfg, dict):
        for key, value in train_cfg.items():
            if key in ('nms_pre', 'max_per_img'):
                train_cfg[key] = min(value, limit)
            elif key == 'num' and 'pos_fraction' in train_cfg:
                train_cfg[key] = min(value, 16)
            elif key == 'num_points':  # Mask2Former's sampled points
                train_cfg[key] = min(value, 1024)
            else:
                few_samples(value, limit)


def keep_every_score(test_cfg) -> None:
    """Score thresholds to 0, so that an untrained detector's predictions
    are all evaluated (evaluation cost only)."""
    if isinstance(test_cfg, (list, tuple)):
        for item in test_cfg:
            keep_every_score(item)
    elif isinstance(test_cfg, dict):
        for key, value in test_cfg.items():
            if key == 'score_thr':
                test_cfg[key] = 0.0
            else:
                keep_every_score(value)


def all_configs(folder: str = '') -> list:
    """Every shipped config (``_base_`` files excluded), as paths relative
    to ``configs/``."""
    import glob

    paths = glob.glob(
        osp.join(CONFIG_DIR, folder, '**', '*.py'), recursive=True
    )
    return sorted(
        osp.relpath(p, CONFIG_DIR)
        for p in paths
        if '_base_' not in p.split(os.sep)
    )


#: Sizes from small to large, as config names spell them.
SIZES = (
    'atto femto kobe micro 1 s12 tiny 2 s18 s24 small 3 s36 m36 4 base m48 b36'
).split()


def recipe_kind(path: str) -> tuple:
    """What a config shares with its other sizes: its folder and its name
    without the size (model, family, schedule, dataset, input size)."""
    folder, name = osp.split(osp.splitext(path)[0])
    return (folder,) + tuple(
        w for w in re.split(r'[_-]', name) if w not in SIZES
    )


def representatives(paths) -> set:
    """The smallest size of each recipe kind (``recipe_kind``): the
    configs whose own training step ``make test`` runs; the other sizes
    differ only in widths, depths and rates, which the static config tests
    check, and run under ``make test-all`` (``slow``)."""

    def rank(path):
        words = re.split(r'[_-]', osp.basename(path))
        sizes = [SIZES.index(w) for w in words if w in SIZES]
        return (sizes[0] if sizes else -1, path)

    chosen = {}
    for path in sorted(paths, key=rank):
        chosen.setdefault(recipe_kind(path), path)
    return set(chosen.values())


def slow_unless(paths, fast) -> list:
    """``paths`` as test parameters, those not in ``fast`` marked slow."""
    import pytest

    return [
        p if p in fast else pytest.param(p, marks=pytest.mark.slow)
        for p in paths
    ]


_CONFIGS = {}


def load_config(path: str):
    """A shipped config (``configs/`` relative path), parsed once per test
    session; each call returns an independent copy."""
    import copy

    from mmengine.config import Config

    if path not in _CONFIGS:
        _CONFIGS[path] = Config.fromfile(osp.join(CONFIG_DIR, path))
    return copy.deepcopy(_CONFIGS[path])


def train_and_predict(cfg, host: str):
    """Build ``cfg.model`` with the host's registry (random weights, SyncBN
    as BN), train one step on a generated batch (with ``cfg.optim_wrapper``
    if the config has one) and predict; returns the model."""
    import warnings

    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmmeta.utils.config_checks import convert_syncbn_to_bn

    convert_syncbn_to_bn(cfg._cfg_dict)  # one CPU process
    init_default_scope(host)
    if host == 'mmseg':
        from mmseg.registry import MODELS

        pre = cfg.model.data_preprocessor
        if pre.get('size') is None and pre.get('size_divisor') is None:
            pre.size = (64, 64)  # a model base gets it from a dataset's
        batch = seg_batch(
            hw=(64, 64), num_classes=cfg.model.decode_head.num_classes
        )
    else:
        from mmdet.registry import MODELS

        batch = det_batch(with_mask='roi_head' in cfg.model, hw=(64, 96))
    with warnings.catch_warnings(record=True):
        model = MODELS.build(cfg.model)
    torch.manual_seed(0)
    model.train()
    data = model.data_preprocessor(batch, training=True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    if 'optim_wrapper' in cfg:
        build_optim_wrapper(model, cfg.optim_wrapper).update_params(loss)
    else:
        loss.backward()
    model.eval()
    with torch.no_grad():
        assert len(model.test_step(batch)) == 2
    return model


class EmulatedAmxConvDefect(TorchDispatchMode):
    """Within it, convolutions behave as oneDNN's AMX bfloat16 convolution
    of torch 2.13 does (pytorch/pytorch#169688): a bfloat16 convolution
    with a stride above 1 along a side whose output is one pixel returns
    garbage (NaN here). It lets every machine run what only CPUs with
    ``amx_bf16`` show, so the guard of ``mmmeta.models.layers.Conv2d`` is
    tested everywhere. ``hits`` counts the convolutions it spoiled."""

    def __init__(self):
        super().__init__()
        self.hits = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is torch.ops.aten.convolution.default:
            stride, transposed = args[3], args[6]
            if (
                out.dtype == torch.bfloat16
                and not transposed
                and any(
                    s > 1 and size == 1
                    for s, size in zip(stride, out.shape[2:])
                )
            ):
                self.hits += 1
                return torch.full_like(out, float('nan'))
        return out


class CudaPreconditions(TorchDispatchMode):
    """Checks, on any device, what CUDA's kernels require of the ops a
    model calls, which the CPU kernels (and the meta device) let pass:
    ``native_group_norm`` and its backward take NCHW-contiguous inputs
    (off the CPU, ATen asserts ``X.is_contiguous()``); with
    ``forbid_sync``, no value is read back to the host
    (``_local_scalar_dense``: ``.item()``, ``bool(tensor)``), which on a GPU
    stalls every training step."""

    GROUP_NORMS = (
        torch.ops.aten.native_group_norm.default,
        torch.ops.aten.native_group_norm_backward.default,
    )

    def __init__(self, forbid_sync: bool = True):
        super().__init__()
        self.forbid_sync = forbid_sync

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in self.GROUP_NORMS:
            maps = args[:2] if 'backward' in func.__name__ else args[:1]
            for x in maps:
                assert x.is_contiguous(), (
                    f'{func}: CUDA needs an NCHW-contiguous input, got '
                    f'shape {tuple(x.shape)} strides {x.stride()}'
                )
        if self.forbid_sync:
            assert func is not torch.ops.aten._local_scalar_dense.default, (
                'a host sync (.item(), bool(tensor)) in a training step'
            )
        return func(*args, **(kwargs or {}))
