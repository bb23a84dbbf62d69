"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config
loading and the launch environment.

The task (detection or segmentation) comes from the config's
``default_scope`` (``mmdet`` / ``mmseg``), inherited from its upstream base,
so one pair of tools serves every config.
"""
import argparse
import os
import os.path as osp
from datetime import timedelta
from typing import List

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from .config_checks import (
    check_data_roots,
    check_neck_channels,
    convert_syncbn_to_bn,
)
from .data_checks import check_annotations


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools take."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. '
        'train_dataloader.batch_size=2 model.backbone.frozen_stages=0')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher: none (one process), pytorch '
                        '(torchrun, see tools/dist_*.sh) or slurm')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)


def load_config(args: argparse.Namespace, data_splits: List[str]) -> Config:
    """Read the config, apply the command line and check it early.

    * ``--cfg-options`` and ``--work-dir`` are applied;
    * on one process (or on CPUs), ``SyncBN`` becomes ``BN``, so 8-GPU
      configs run unchanged on one GPU or a CPU;
    * COCO annotations that mmdet would skip silently are logged, broken
      polygons repaired in a copy (``mmmeta.utils.data_checks``);
    * on a CPU-only machine a distributed run uses the gloo backend;
    * missing datasets and a neck that does not fit the backbone are
      reported with what to change.
    """
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
            './work_dirs', osp.splitext(osp.basename(args.config))[0])
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)

    on_cpu = not torch.cuda.is_available()
    if args.launcher == 'none' or on_cpu:
        # SyncBN needs a process group and GPUs.
        if convert_syncbn_to_bn(cfg._cfg_dict):
            where = 'one process' if args.launcher == 'none' else 'CPUs'
            print_log(f'on {where}, the SyncBN layers of the config run as '
                      'BN', logger='current')
    if args.launcher != 'none' and on_cpu:
        _prepare_cpu_distributed(cfg)
    check_neck_channels(cfg)
    check_data_roots(cfg, data_splits)
    check_annotations(cfg, data_splits)
    return cfg


def _prepare_cpu_distributed(cfg: Config) -> None:
    """Distributed data parallel on CPUs (gloo), e.g. for tests."""
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if cfg.launcher == 'pytorch' and not torch.distributed.is_initialized():
        # mmengine's own initialisation selects a CUDA device first.
        torch.distributed.init_process_group(
            'gloo', timeout=timedelta(seconds=dist_cfg.get('timeout', 1800)))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg: Config):
    """The runner a config asks for (``runner_type``) or mmengine's."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def build_model_from_config(path: str, **backbone_options):
    """The model of a config, for analysis on one process: random weights
    (no download), SyncBN as BN, the backbone updated with
    ``backbone_options`` (e.g. ``impl='reference'``)."""
    from mmengine.registry import MODELS, DefaultScope
    cfg = Config.fromfile(path)
    convert_syncbn_to_bn(cfg._cfg_dict)
    cfg.model.backbone.update(init_cfg=None, **backbone_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return MODELS.build(cfg.model)
