"""Convert a checkpoint of any mmmeta family to mmmeta's key layout,
offline.

Accepts every registered checkpoint layout (``--list-layouts`` prints them:
each family folder registers its own official ones), wrapped in
``state_dict``/``model``/``module`` or not; the layout is detected by its
key signature (``mmmeta.models.utils.detect_layout``), and ``--model``
asks for that family's layouts first. Classification-head weights are
kept under ``head.``; with ``--classifier`` the file is laid out as an
mmpretrain ``ImageClassifier`` instead (see configs/classification/).

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
    parser.add_argument(
        'src', nargs='?', help='checkpoint file or URL to convert'
    )
    parser.add_argument(
        'dst', nargs='?', help='where to write the converted file'
    )
    parser.add_argument(
        '--list-layouts',
        action='store_true',
        help='print the checkpoint layouts it reads',
    )
    parser.add_argument(
        '--prefix',
        default=None,
        help='take the sub-tree under this key prefix '
        '(default: "backbone." when present)',
    )
    parser.add_argument(
        '--model',
        default=None,
        help='check the result against this mmmeta backbone (e.g. PoolFormer)',
    )
    parser.add_argument('--arch', default=None, help='arch for --model')
    parser.add_argument(
        '--classifier',
        action='store_true',
        help='write an mmpretrain ImageClassifier checkpoint '
        '(backbone., neck., head.) for '
        'configs/classification/',
    )
    parser.add_argument(
        '--trust',
        action='store_true',
        help='unpickle arbitrary Python objects in SRC '
        '(weights_only=False). Only for files you trust.',
    )
    args = parser.parse_args(argv)
    if not args.list_layouts and not (args.src and args.dst):
        parser.error('give SRC and DST (or --list-layouts)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list_layouts:
        import mmmeta.models  # noqa: F401  (every family registers)
        from mmmeta.models.utils import LAYOUTS

        for name, layout in LAYOUTS.items():
            print(f'{name}: {layout.description}')
        return 0
    try:
        obj = read_checkpoint(args.src, trusted=args.trust)
        state = extract_state_dict(obj, args.src, prefix=args.prefix)
        if args.model:
            model = build_module(dict(type=args.model, arch=args.arch))
            converted = model.convert_checkpoint(state)
            fit_state_dict(
                model,
                converted,
                args.src,
                optional=model.optional_checkpoint_keys(),
            )
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
    torch.save(
        {
            'state_dict': converted,
            'meta': {
                'converted_from': osp.basename(args.src),
                'layout': layout,
            },
        },
        args.dst,
    )
    print(
        f'wrote {args.dst} ({layout} layout): '
        f'{len(converted) - head} backbone tensors, {head} head tensors'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
