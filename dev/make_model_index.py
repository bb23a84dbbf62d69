"""Write the model-zoo metadata in OpenMMLab's format from the configs.

    python dev/make_model_index.py          # writes the files
    python dev/make_model_index.py --check  # fails if they are stale

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

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Config folders that are not a family's (every family folder names its
#: own: mmmeta.models.utils.families).
SHARED_FOLDERS = ('classification',)


def families():
    import mmmeta.models  # noqa: F401  (the family folders register)
    from mmmeta.models.utils.families import FAMILIES

    return FAMILIES


def folders() -> List[str]:
    return [info.config_folder for info in families().values()] + list(
        SHARED_FOLDERS
    )


#: published_results key -> (task, metric name in the metafile)
METRICS = {
    'mIoU': ('Semantic Segmentation', 'mIoU'),
    'bbox_mAP': ('Object Detection', 'box AP'),
    'segm_mAP': ('Instance Segmentation', 'mask AP'),
    'top1': ('Image Classification', 'Top 1 Accuracy'),
}
DATASETS = {
    'ADE20KDataset': 'ADE20K',
    'CocoDataset': 'COCO',
    'CityscapesDataset': 'Cityscapes',
    'ImageNet': 'ImageNet-1k',
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


def collection_of(backbone: str) -> str:
    from mmmeta.models.utils.families import collection_of

    families()
    return collection_of(backbone)


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
        'In Collection': collection_of(family),
        'Config': path,
        'Metadata': {
            'Training Data': dataset,
            'Architecture': [
                f'{family}-{arch}'.replace('-None', ''),
                cfg.model.type.split('.')[-1],
            ],
            'Pretrained': cfg.checkpoint_file,
        },
        'Results': [
            {'Task': task, 'Dataset': dataset, 'Metrics': metrics}
            for task, metrics in results.items()
        ],
        'README': osp.join(osp.dirname(path), 'README.md'),
        'Weights': published.get('weights')
        or (
            cfg.checkpoint_file if cfg.default_scope == 'mmpretrain' else None
        ),
        'Source': published['source'],
    }


def metafile(folder: str, load: Callable = load_config) -> Dict:
    paths = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', folder, '*.py'))
    )
    models = [entry(p, load) for p in paths]
    collections = sorted({m['In Collection'] for m in models})
    infos = families()
    return {
        'Collections': [
            {
                'Name': name,
                'Paper': {
                    'Title': infos[name].paper,
                    'URL': infos[name].paper_url,
                },
                'Code': {'URL': infos[name].code_url},
                'README': f'configs/{folder}/README.md',
            }
            for name in collections
        ],
        'Models': models,
    }


def render(data) -> str:
    header = (
        '# Generated from the configs by '
        'dev/make_model_index.py; do not edit.\n'
    )
    return header + yaml.safe_dump(data, sort_keys=False, width=1000)


def files(load: Callable = load_config) -> Dict[str, str]:
    """Path (relative to the root) -> content of every metadata file."""
    out = {
        f'configs/{folder}/metafile.yml': render(metafile(folder, load))
        for folder in folders()
    }
    out['model-index.yml'] = render({'Import': sorted(out)})
    return out


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='exit 1 if a file differs from the configs',
    )
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
        print(
            'out of date (run dev/make_model_index.py): ' + ', '.join(stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
