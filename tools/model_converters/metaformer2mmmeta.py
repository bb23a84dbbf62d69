"""Convert a MetaFormer, TransNeXt or FFNet checkpoint to mmmeta's key
layout, offline.

Accepts the sail-sg PoolFormer release (``network.*``), the sail-sg dense
detection/segmentation checkpoints (``backbone.`` + ``norm0..6``),
mmpretrain/mmcls PoolFormer checkpoints (``backbone.network.*``), the sail-sg
MetaFormer-baselines release (``downsample_layers.*``), timm
(``stem.*``, ``stages.i.blocks.j.*``), the official TransNeXt files
(``patch_embed{i}.*``, ``block{i}.j.*``) and the official FFNet files
(``patch_embed.*``, ``stages.i.j.*``), wrapped in ``state_dict``/``model``/
``module`` or not. Classification-head weights are kept under ``head.``;
with ``--classifier`` the file is laid out as an mmpretrain
``ImageClassifier`` instead (see configs/classification/).

Example::

    python tools/model_converters/metaformer2mmmeta.py \\
        poolformer_s12.pth.tar poolformer_s12_mmmeta.pth \\
        --model PoolFormer --arch s12
"""
import argparse
import os.path as osp
import sys

import torch

from mmmeta.models.utils import (
    CheckpointError,
    convert_any,
    extract_state_dict,
    fit_state_dict,
    read_checkpoint,
    to_mmpretrain_classifier,
)
from mmmeta.registry import build_module


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint file or URL to convert')
    parser.add_argument('dst', help='where to write the converted file')
    parser.add_argument('--prefix', default=None,
                        help='take the sub-tree under this key prefix '
                        '(default: "backbone." when present)')
    parser.add_argument('--model', default=None,
                        help='check the result against this mmmeta backbone '
                        '(e.g. PoolFormer)')
    parser.add_argument('--arch', default=None, help='arch for --model')
    parser.add_argument('--classifier', action='store_true',
                        help='write an mmpretrain ImageClassifier checkpoint '
                        '(backbone., neck., head.) for '
                        'configs/classification/')
    parser.add_argument('--trust', action='store_true',
                        help='unpickle arbitrary Python objects in SRC '
                        '(weights_only=False). Only for files you trust.')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        obj = read_checkpoint(args.src, trusted=args.trust)
        state = extract_state_dict(obj, args.src, prefix=args.prefix)
        if args.model:
            model = build_module(dict(type=args.model, arch=args.arch))
            converted = model.convert_checkpoint(state)
            fit_state_dict(model, converted, args.src,
                           optional=model.optional_checkpoint_keys())
        else:
            converted = convert_any(state)
    except CheckpointError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    head = sum(k.startswith('head.') for k in converted)
    layout = 'mmmeta'
    if args.classifier:
        converted = to_mmpretrain_classifier(converted)
        layout = 'mmpretrain ImageClassifier'
    torch.save({'state_dict': converted,
                'meta': {'converted_from': osp.basename(args.src),
                         'layout': layout}}, args.dst)
    print(f'wrote {args.dst} ({layout} layout): '
          f'{len(converted) - head} backbone tensors, {head} head tensors')
    return 0


if __name__ == '__main__':
    sys.exit(main())
