"""Every detection and segmentation config trains one step and is
evaluated with its own metric on a tiny generated batch: the config's
model, optimizer wrapper (constructor, parameter groups) and evaluator as
shipped (``make test``: the smallest size of each recipe kind; the other
sizes are ``slow``). Shrunk for speed only: SyncBN runs as BN on one process,
TransNeXt's position-bias grid is 224, detectors sample fewer proposals
(DINO: 100 queries, fewer than the tiny input has tokens) and keep every
score."""

import os.path as osp

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import METRICS, MODELS, DefaultScope
from support import (
    all_configs,
    det_batch,
    det_batch_annotations,
    few_samples,
    keep_every_score,
    load_config,
    representatives,
    seg_batch,
    slow_unless,
)

from mmmeta.utils import convert_syncbn_to_bn

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')

DENSE = [
    p for p in all_configs() if not p.startswith(('classification/', 'demo/'))
]
DET_HW = (64, 96)  # DINO needs more tokens (128 here) than queries (100)
METRIC_KEYS = dict(IoUMetric='mIoU', CocoMetric='coco/bbox_mAP')


def build_runnable(path: str):
    cfg = load_config(path)
    convert_syncbn_to_bn(cfg._cfg_dict)
    backbone = cfg.model.backbone
    backbone.init_cfg = None
    if 'img_size' in backbone:
        backbone.img_size = 224  # same parameters, cheaper bias table
    if cfg.default_scope == 'mmseg':
        cfg.model.data_preprocessor.size = (64, 64)
        few_samples(cfg.model.decode_head.get('train_cfg'))
    else:
        few_samples(cfg.model.train_cfg)
        few_samples(cfg.model.test_cfg, limit=16)
        keep_every_score(cfg.model.test_cfg)
        if 'num_queries' in cfg.model:  # DINO: fewer than the tiny input's
            cfg.model.num_queries = 100  # tokens
    optim = cfg.optim_wrapper
    if optim.type == 'AmpOptimWrapper' and not torch.cuda.is_available():
        optim.type = 'OptimWrapper'  # AMP needs a GPU; the recipe is checked
        optim.pop('loss_scale')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
        wrapper = build_optim_wrapper(model, optim)
    return cfg, model, wrapper


@pytest.mark.parametrize('path', slow_unless(DENSE, representatives(DENSE)))
def test_one_training_step_and_evaluation(path, tmp_path):
    cfg, model, wrapper = build_runnable(path)
    segmentation = cfg.default_scope == 'mmseg'
    with_mask = 'mask' in osp.basename(path) and not segmentation
    batch = (
        seg_batch(num_classes=cfg.model.decode_head.num_classes)
        if segmentation
        else det_batch(with_mask, DET_HW)
    )
    model.train()
    trained = [p for p in model.backbone.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trained]
    for _ in range(cfg.optim_wrapper.get('accumulative_counts', 1)):
        log = model.train_step(batch, wrapper)  # steps after the last
    assert torch.isfinite(log['loss']), log
    moved = sum(
        not torch.equal(b, p.detach()) for b, p in zip(before, trained)
    )
    assert moved > len(trained) // 2, f'{moved} of {len(trained)} moved'

    model.eval()
    with torch.no_grad():
        predictions = model.val_step(batch)
    metric_cfg = dict(cfg.val_evaluator)
    if metric_cfg['type'] == 'CocoMetric':
        metric_cfg['ann_file'] = det_batch_annotations(
            str(tmp_path / 'instances.json'), with_mask, DET_HW
        )
        metric_cfg['format_only'] = False
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        evaluator = Evaluator(METRICS.build(metric_cfg))
    if segmentation:
        classes = range(cfg.model.decode_head.num_classes)
    else:
        from mmdet.datasets import CocoDataset

        classes = CocoDataset.METAINFO['classes']
    evaluator.dataset_meta = dict(classes=tuple(map(str, classes)))
    evaluator.process(data_samples=predictions, data_batch=batch)
    results = evaluator.evaluate(len(predictions))
    key = METRIC_KEYS[metric_cfg['type']]
    assert key in results and results[key] >= 0, results
