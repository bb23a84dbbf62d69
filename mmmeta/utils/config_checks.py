"""Config preparation and early, readable checks for the train/test tools.

Problems a user hits first (no dataset where the config looks, a neck that
does not match the backbone, SyncBN on one process) are caught here, before
the runner builds anything, with a message that says what to change.
"""

import os.path as osp
from typing import Any, Iterator, List, Tuple

import torch
from mmengine.config import Config

#: What each dataset type expects below its ``data_root``, and where to get
#: the real data.
DATASET_HELP = {
    'ADE20KDataset': (
        'images/{training,validation}/*.jpg and '
        'annotations/{training,validation}/*.png',
        'ADEChallengeData2016.zip from '
        'http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip'
        ' (unzip into data/ade/)',
    ),
    'CocoDataset': (
        'annotations/instances_{train,val}2017.json, train2017/, val2017/',
        'train2017.zip, val2017.zip and annotations_trainval2017.zip from '
        'https://cocodataset.org/#download (unzip into data/coco/)',
    ),
}
DEMO_HINT = (
    'For a small synthetic dataset in the same layout run '
    '"python tools/misc/make_demo_data.py {kind} {root}".'
)


def convert_syncbn_to_bn(cfg: Any) -> int:
    """Replace ``SyncBN`` norm configs by ``BN`` in place (single process).

    Returns:
        How many were replaced.
    """
    count = 0
    if isinstance(cfg, dict):
        if cfg.get('type') == 'SyncBN':
            cfg['type'] = 'BN'
            count += 1
        for value in cfg.values():
            count += convert_syncbn_to_bn(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += convert_syncbn_to_bn(value)
    return count


def leaf_datasets(dataset: dict, path: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(config key path, dataset cfg)`` of every real dataset inside
    wrappers such as RepeatDataset / ConcatDataset."""
    if not isinstance(dataset, dict):
        return
    if isinstance(dataset.get('dataset'), dict):
        yield from leaf_datasets(dataset['dataset'], f'{path}.dataset')
    elif isinstance(dataset.get('datasets'), (list, tuple)):
        for i, sub in enumerate(dataset['datasets']):
            yield from leaf_datasets(sub, f'{path}.datasets.{i}')
    else:
        yield path, dataset


def check_data_roots(cfg: Config, splits: List[str]) -> None:
    """Raise ``FileNotFoundError`` naming the missing paths, the expected
    layout and how to get the data, for the dataloaders in ``splits``
    (e.g. ``['train', 'val']``)."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not isinstance(loader.get('dataset'), dict):
            continue
        for key, ds in leaf_datasets(
            loader['dataset'], f'{split}_dataloader.dataset'
        ):
            root = ds.get('data_root') or ''
            wanted = []
            if ds.get('ann_file'):
                wanted.append(osp.join(root, ds['ann_file']))
            prefix = ds.get('data_prefix') or {}
            if isinstance(prefix, str):  # mmpretrain's folder datasets
                prefix = dict(img_path=prefix)
            wanted += [
                osp.join(root, p)
                for p in prefix.values()
                if isinstance(p, str) and p
            ]
            if not wanted and root:
                wanted.append(root)
            missing = [p for p in wanted if not osp.exists(p)]
            if not missing:
                continue
            kind = ds.get('type', 'dataset')
            layout, source = DATASET_HELP.get(
                kind, ('the layout the config describes', 'its website')
            )
            demo = ''
            if kind in ('ADE20KDataset', 'CocoDataset'):
                demo = ' ' + DEMO_HINT.format(
                    kind='ade20k' if kind == 'ADE20KDataset' else 'coco',
                    root=root or 'DATA_ROOT',
                )
            raise FileNotFoundError(
                f'{kind} for {split} not found: missing '
                f'{", ".join(osp.abspath(p) for p in missing)}.\n'
                f'It looks in data_root={root!r} (relative to '
                f'{osp.abspath(".")}) and expects {layout} there.\n'
                f'Get the data: {source}, or point the config elsewhere with '
                f'--cfg-options {key}.data_root=/path/to/data.{demo}'
            )


def check_neck_channels(cfg: Config) -> None:
    """Raise ``ValueError`` when ``model.neck.in_channels`` disagrees with
    the ``out_channels`` of an mmmeta backbone."""
    model = cfg.get('model') or {}
    backbone, neck = model.get('backbone'), model.get('neck')
    if isinstance(neck, (list, tuple)):
        neck = neck[0] if neck else None
    if not backbone or not neck or 'in_channels' not in neck:
        return
    name = str(backbone.get('type', ''))
    if not name.startswith('mmmeta.'):
        return
    from mmmeta.registry import MODELS

    cls = MODELS.get(name)
    if cls is None:
        return
    options = {
        k: v for k, v in backbone.items() if k not in ('type', 'init_cfg')
    }
    with torch.device('meta'):
        out_channels = list(cls(**options).out_channels)
    in_channels = neck['in_channels']
    in_channels = (
        list(in_channels)
        if isinstance(in_channels, (list, tuple))
        else [in_channels]
    )
    if in_channels != out_channels:
        raise ValueError(
            f'model.neck.in_channels={in_channels} disagrees with the '
            f'backbone {name}(arch={backbone.get("arch")!r}, '
            f'out_indices={backbone.get("out_indices")}) whose '
            f'out_channels are {out_channels}. Set '
            f'model.neck.in_channels={out_channels}.'
        )
