"""Evaluate a checkpoint: prints mIoU (segmentation) or COCO AP (detection).

python tools/test.py configs/fpn_poolformer_s12_ade20k.py CKPT
python tools/test.py CONFIG CKPT --show-dir vis --out results.pkl
python tools/test.py CONFIG CKPT --compile   # deploy + torch.compile
bash tools/dist_test.sh CONFIG CKPT 8
"""

import argparse
import os.path as osp

from mmmeta.engine import build_runner
from mmmeta.utils.cli import add_common_arguments, load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump the raw predictions to this pickle file'
    )
    parser.add_argument(
        '--show-dir', help='save visualised predictions into this directory'
    )
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation of the config',
    )
    parser.add_argument(
        '--compile',
        action='store_true',
        help='test the re-parameterised model with its '
        'backbone compiled (torch.compile, inductor '
        'freezing, dynamic height and width, at most four '
        'compilations, then eager): same outputs, faster '
        'where compiling pays',
    )
    add_common_arguments(parser)
    return parser.parse_args(argv)


def enable_visualization(cfg, show_dir: str) -> None:
    """Draw every test prediction into ``show_dir`` (mmdet and mmseg)."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise ValueError(
            '--show-dir needs a visualization hook in '
            'default_hooks (DetVisualizationHook or '
            'SegVisualizationHook)'
        )
    hook['draw'] = True
    hook['interval'] = 1
    show_dir = osp.abspath(show_dir)
    if hook.get('type') == 'DetVisualizationHook':
        hook['test_out_dir'] = show_dir
    else:  # SegVisualizationHook saves through the visualizer's backends
        cfg.visualizer['save_dir'] = show_dir


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.compile:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='mmmeta.InferenceOptimizeHook', compile=True)
        ]
    if args.out:
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, list):
            evaluators = [evaluators]
        cfg.test_evaluator = evaluators + [
            dict(type='DumpResults', out_file_path=args.out)
        ]
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
