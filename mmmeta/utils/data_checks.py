"""Report and repair COCO annotation problems before a run.

mmdet drops COCO images without annotations from training
(``filter_empty_gt``) and ignores boxes narrower or lower than one pixel,
without a word; a polygon with fewer than three points even crashes
pycocotools' mask evaluation. The tools call :func:`check_annotations`
first: it logs which files are affected and what happens to them, and for
polygons with fewer than three points it runs on a repaired copy of the
annotation file (those polygons dropped; an instance left without any gets
its box as mask) in the work dir. The original files are never modified.
"""

import json
import os
import os.path as osp
from collections import Counter
from typing import List


def _bad_polygons(ann: dict) -> bool:
    polygons = ann.get('segmentation')
    return isinstance(polygons, list) and any(
        not isinstance(p, list) or len(p) < 6 or len(p) % 2 for p in polygons
    )


def repair_coco_polygons(ann_file: str, out_file: str) -> bool:
    """Write ``ann_file`` without polygons of fewer than three points to
    ``out_file``; return False (writing nothing) if there are none."""
    with open(ann_file) as f:
        data = json.load(f)
    changed = False
    for ann in data.get('annotations', []):
        if not _bad_polygons(ann):
            continue
        changed = True
        kept = [
            p
            for p in ann['segmentation']
            if isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0
        ]
        if not kept:
            x, y, w, h = ann.get('bbox', (0, 0, 0, 0))
            kept = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        ann['segmentation'] = kept
    if changed:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        with open(out_file, 'w') as f:
            json.dump(data, f)
    return changed


def check_coco_annotations(ann_file: str) -> List[str]:
    """One message per image or annotation that training will skip.

    Args:
        ann_file (str): A COCO instances JSON file.

    Returns:
        list[str]: Messages naming the image file and the problem.
    """
    with open(ann_file) as f:
        data = json.load(f)
    names = {
        img['id']: img.get('file_name', str(img['id']))
        for img in data.get('images', [])
    }
    counts = Counter()
    messages = []
    for ann in data.get('annotations', []):
        image_id = ann.get('image_id')
        image = names.get(image_id, f'image id {image_id}')
        counts[image_id] += 1
        _, _, w, h = ann.get('bbox', (0, 0, 0, 0))
        if w < 1 or h < 1 or ann.get('area', 1) <= 0:
            messages.append(
                f'{image}: annotation {ann.get("id")} has a '
                f'degenerate box {ann.get("bbox")}; it is ignored'
            )
        if _bad_polygons(ann):
            messages.append(
                f'{image}: annotation {ann.get("id")} has a '
                f'polygon with fewer than 3 points; it is '
                f'dropped (the box is the mask if no polygon is '
                f'left)'
            )
    for image_id, name in names.items():
        if not counts[image_id]:
            messages.append(
                f'{name}: no annotations; skipped in training '
                f'(filter_empty_gt), still evaluated'
            )
    return messages


def check_annotations(cfg, splits: List[str], logger=None) -> int:
    """Log the problems of every COCO annotation file the config reads, and
    point the config at repaired copies where polygons need it.

    Returns:
        The number of problems found.
    """
    from mmengine.logging import print_log

    from .config_checks import leaf_datasets

    def warn(message):
        print_log(message, logger=logger or 'current', level=30)

    total, repaired = 0, {}
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not isinstance(loader.get('dataset'), dict):
            continue
        for _, ds in leaf_datasets(loader['dataset'], split):
            if ds.get('type') != 'CocoDataset' or not ds.get('ann_file'):
                continue
            path = osp.join(ds.get('data_root') or '', ds['ann_file'])
            if not osp.isfile(path):
                continue
            if path not in repaired:
                messages = check_coco_annotations(path)
                total += len(messages)
                for message in messages[:20]:
                    warn(f'{path}: {message}')
                if len(messages) > 20:
                    warn(
                        f'{path}: ... and {len(messages) - 20} more '
                        f'annotation problems'
                    )
                out = osp.join(
                    cfg.get('work_dir') or '.',
                    'repaired_annotations',
                    osp.basename(path),
                )
                repaired[path] = (
                    out if repair_coco_polygons(path, out) else None
                )
                if repaired[path]:
                    warn(
                        f'{path}: polygons repaired in {out}, which this '
                        f'run reads instead'
                    )
            if repaired[path]:
                ds['ann_file'] = osp.abspath(repaired[path])
    for split in ('val', 'test'):
        evaluator = cfg.get(f'{split}_evaluator')
        for metric in (
            evaluator if isinstance(evaluator, list) else [evaluator]
        ):
            if isinstance(metric, dict) and repaired.get(
                metric.get('ann_file')
            ):
                metric['ann_file'] = osp.abspath(repaired[metric['ann_file']])
    return total
