"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config
loading and the runner.

The task (detection or segmentation) comes from the config's
``default_scope`` (``mmdet`` / ``mmseg``), inherited from its upstream base,
so one pair of tools serves every config. The safety nets (SyncBN as BN on
one process, data and neck checks, atomic checkpoints, the non-finite-loss
stop) belong to ``mmmeta.SafeRunner``, which every mmmeta config selects and
these tools use for any other config too; upstream tools get them from the
config alone.
"""

import argparse
import ast
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.config import Config, DictAction


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools take."""
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go '
        '(default: ./work_dirs/<config name>)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. '
        'train_dataloader.batch_size=2 model.backbone.frozen_stages=0',
    )
    parser.add_argument(
        '--launcher',
        default='none',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        help='job launcher: none (one process), pytorch '
        '(torchrun, see tools/dist_*.sh) or slurm',
    )
    parser.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help=argparse.SUPPRESS,
    )


def load_config(args: argparse.Namespace) -> Config:
    """Read the config and apply the command line (``--cfg-options``,
    ``--work-dir``, ``--launcher``)."""
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0]
        )
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return cfg


def build_model_from_config(
    path: str, device: Optional[str] = None, **backbone_options
):
    """The model of a config, for analysis on one process: random weights
    (no download), SyncBN as BN, the backbone updated with
    ``backbone_options`` (e.g. ``lean=True``)."""
    from mmengine.registry import MODELS, DefaultScope

    from .config_checks import convert_syncbn_to_bn

    cfg = Config.fromfile(path)
    convert_syncbn_to_bn(cfg._cfg_dict)
    cfg.model.backbone.update(init_cfg=None, **backbone_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(cfg.model)
    return model if device is None else model.to(device)


def parse_options(items: List[str]) -> Dict:
    """``KEY=VALUE`` command-line items as keyword arguments, each value a
    Python literal (``img_size=800``, ``is_extrapolation=True``)."""
    options = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep:
            raise ValueError(f'{item!r} is not KEY=VALUE')
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError) as error:
            raise ValueError(
                f'{item!r}: the value must be a Python literal '
                f'(quote strings: {key}="\'text\'")'
            ) from error
    return options
