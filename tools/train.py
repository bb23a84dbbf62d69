"""Train a detector or segmentor from an mmmeta (or any mmdet/mmseg) config.

python tools/train.py configs/fpn_poolformer_s12_ade20k.py
python tools/train.py CONFIG --amp --work-dir work_dirs/x
python tools/train.py CONFIG --resume            # latest checkpoint
bash tools/dist_train.sh CONFIG 8                # 8 GPUs, torchrun
"""

import argparse

import torch

from mmmeta.engine import build_runner
from mmmeta.utils.cli import add_common_arguments, load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (AmpOptimWrapper)'
    )
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the latest checkpoint in the work dir, or from '
        'the given checkpoint file',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr with the total batch size',
    )
    parser.add_argument(
        '--compile',
        action='store_true',
        help="torch.compile the training step (mmengine's "
        'compile=True; the same as compile=True in a config '
        "for mmseg's and mmdet's own tools)",
    )
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp:
        if not torch.cuda.is_available():
            raise SystemExit(
                "--amp uses mmengine's AmpOptimWrapper, which "
                'trains on GPUs only; run without --amp on '
                'this machine (no CUDA device found).'
            )
        wrapper = cfg.optim_wrapper
        if wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
            wrapper.type = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.compile:
        cfg.compile = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
