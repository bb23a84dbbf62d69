"""Write the model-zoo metadata in OpenMMLab's format from the configs.

    python tools/misc/make_model_index.py          # writes the files
    python tools/misc/make_model_index.py --check  # fails if they are stale

Every config folder gets a ``metafile.yml`` (one entry per config: its
path, the published numbers it names in ``published_results``, the
released model and the pretrained backbone weights, the paper and the
code), and the repository root a ``model-index.yml`` importing them, which
is what ``mim search mmmeta`` reads. The configs are the one source: a
test checks that the files match them.
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Callable, Dict, List

import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDERS = ('poolformer', 'metaformer_baselines', 'transnext', 'ffnet',
           'classification')

#: Paper and code of each backbone family (the collection an entry is in).
PAPERS = {
    'PoolFormer': ('MetaFormer Is Actually What You Need for Vision',
                   'https://arxiv.org/abs/2111.11418',
                   'https://github.com/sail-sg/poolformer'),
    'MetaFormer baselines': ('MetaFormer Baselines for Vision',
                             'https://arxiv.org/abs/2210.13452',
                             'https://github.com/sail-sg/metaformer'),
    'TransNeXt': ('TransNeXt: Robust Foveal Visual Perception for Vision '
                  'Transformers', 'https://arxiv.org/abs/2311.17132',
                  'https://github.com/DaiShiResearch/TransNeXt'),
    'FFNet': ('FFNet: MetaMixer-based Efficient Convolutional Mixer Design',
              'https://arxiv.org/abs/2406.02021',
              'https://github.com/ysj9909/FFNet'),
}
FAMILY_OF = {
    'PoolFormer': 'PoolFormer', 'PoolFormerV2': 'MetaFormer baselines',
    'IdentityFormer': 'MetaFormer baselines',
    'RandFormer': 'MetaFormer baselines',
    'ConvFormer': 'MetaFormer baselines', 'CAFormer': 'MetaFormer baselines',
    'TransNeXt': 'TransNeXt', 'FFNet': 'FFNet'
}
#: published_results key -> (task, metric name in the metafile)
METRICS = {
    'mIoU': ('Semantic Segmentation', 'mIoU'),
    'bbox_mAP': ('Object Detection', 'box AP'),
    'segm_mAP': ('Instance Segmentation', 'mask AP'),
    'top1': ('Image Classification', 'Top 1 Accuracy'),
}
DATASETS = {
    'ADE20KDataset': 'ADE20K', 'CocoDataset': 'COCO',
    'CityscapesDataset': 'Cityscapes', 'ImageNet': 'ImageNet-1k'
}


def dataset_name(cfg) -> str:
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return DATASETS[dataset.type]


def load_config(path: str):
    """A config by its path relative to the repository root."""
    from mmengine.config import Config
    return Config.fromfile(osp.join(ROOT, path))


def entry(path: str, load: Callable = load_config) -> dict:
    """The metafile entry of one config (path relative to the root)."""
    cfg = load(path)
    backbone = cfg.model.backbone
    family = backbone.type.split('.')[-1]
    published = dict(cfg.published_results)
    dataset = dataset_name(cfg)
    results = {}
    for key, (task, metric) in METRICS.items():
        if published.get(key) is not None:
            results.setdefault(task, {})[metric] = published[key]
    arch = backbone.get('arch')
    name = osp.splitext(osp.basename(path))[0]
    return {
        'Name': name,
        'In Collection': FAMILY_OF[family],
        'Config': path,
        'Metadata': {
            'Training Data': dataset,
            'Architecture': [f'{family}-{arch}'.replace('-None', ''),
                             cfg.model.type.split('.')[-1]],
            'Pretrained': cfg.checkpoint_file,
        },
        'Results': [{'Task': task, 'Dataset': dataset, 'Metrics': metrics}
                    for task, metrics in results.items()],
        'README': osp.join(osp.dirname(path), 'README.md'),
        'Weights': published.get('weights') or (
            cfg.checkpoint_file if cfg.default_scope == 'mmpretrain' else
            None),
        'Source': published['source'],
    }


def metafile(folder: str, load: Callable = load_config) -> Dict:
    paths = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', folder, '*.py')))
    models = [entry(p, load) for p in paths]
    collections = sorted({m['In Collection'] for m in models})
    return {
        'Collections': [{
            'Name': name,
            'Paper': {'Title': PAPERS[name][0], 'URL': PAPERS[name][1]},
            'Code': {'URL': PAPERS[name][2]},
            'README': f'configs/{folder}/README.md',
        } for name in collections],
        'Models': models,
    }


def render(data) -> str:
    header = ('# Generated from the configs by '
              'tools/misc/make_model_index.py; do not edit.\n')
    return header + yaml.safe_dump(data, sort_keys=False, width=1000)


def files(load: Callable = load_config) -> Dict[str, str]:
    """Path (relative to the root) -> content of every metadata file."""
    out = {f'configs/{folder}/metafile.yml': render(metafile(folder, load))
           for folder in FOLDERS}
    out['model-index.yml'] = render({'Import': sorted(out)})
    return out


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if a file differs from the configs')
    args = parser.parse_args(argv)
    stale = []
    for path, text in files().items():
        full = osp.join(ROOT, path)
        current = open(full).read() if osp.isfile(full) else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            os.makedirs(osp.dirname(full) or '.', exist_ok=True)
            with open(full, 'w') as f:
                f.write(text)
            print(f'wrote {path}')
    if stale:
        print('out of date (run tools/misc/make_model_index.py): ' +
              ', '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
