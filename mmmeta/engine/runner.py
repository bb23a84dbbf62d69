"""``mmmeta.SafeRunner``: mmengine's Runner with mmmeta's safety nets.

A config selects it with ``runner_type = 'mmmeta.SafeRunner'`` (every
mmmeta config does, through ``configs/_base_/mmmeta_runtime.py``). mmseg's
and mmdet's own ``tools/train.py`` / ``tools/test.py``, ``mim train`` and
mmmeta's tools all build the runner a config names, so the nets hold
whichever of them starts the run:

* on one process (or on CPUs) ``SyncBN`` runs as ``BN``, so 8-GPU configs
  run unchanged on one GPU or a CPU; a CPU-only distributed run uses gloo;
* a neck whose ``in_channels`` disagree with an mmmeta backbone, a missing
  dataset and broken COCO annotations are reported before anything is
  built (annotations: logged, polygons repaired in a copy);
* checkpoints in a local work dir are written atomically
  (:class:`~mmmeta.engine.fileio.AtomicLocalBackend`);
* a NaN/Inf loss stops training before those weights are saved
  (:class:`~mmmeta.engine.hooks.NonFiniteLossHook`).
"""

import copy
from datetime import timedelta
from typing import List

import torch
from mmengine.logging import print_log
from mmengine.runner import Runner

from ..registry import RUNNERS
from ..utils.config_checks import (
    check_data_roots,
    check_neck_channels,
    convert_syncbn_to_bn,
)
from ..utils.data_checks import check_annotations
from .fileio import ATOMIC_LOCAL_BACKEND

SAFE_RUNNER = 'mmmeta.SafeRunner'


def prepare_config(cfg) -> None:
    """Apply the config-side safety nets to ``cfg`` in place (see the
    module docstring); ``cfg.launcher`` says how the run is launched."""
    launcher = cfg.get('launcher', 'none')
    on_cpu = not torch.cuda.is_available()
    if launcher == 'none' or on_cpu:
        # SyncBN needs a process group and GPUs.
        if convert_syncbn_to_bn(cfg._cfg_dict):
            where = 'one process' if launcher == 'none' else 'CPUs'
            print_log(
                f'on {where}, the SyncBN layers of the config run as BN',
                logger='current',
            )
    if launcher != 'none' and on_cpu:
        _prepare_cpu_distributed(cfg)
    check_neck_channels(cfg)
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if (
        checkpoint is not None
        and checkpoint.get('out_dir') is None
        and not checkpoint.get('backend_args')
    ):
        checkpoint['backend_args'] = dict(backend=ATOMIC_LOCAL_BACKEND)
    hooks = list(cfg.get('custom_hooks') or [])
    if not any('NonFiniteLossHook' in str(h.get('type')) for h in hooks):
        hooks.append(dict(type='mmmeta.NonFiniteLossHook'))
    cfg.custom_hooks = hooks


def _prepare_cpu_distributed(cfg) -> None:
    """Distributed data parallel on CPUs (gloo), e.g. for tests."""
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if cfg.launcher == 'pytorch' and not torch.distributed.is_initialized():
        # mmengine's own initialisation selects a CUDA device first.
        torch.distributed.init_process_group(
            'gloo', timeout=timedelta(seconds=dist_cfg.get('timeout', 1800))
        )
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False),
    )
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper


@RUNNERS.register_module()
class SafeRunner(Runner):
    """mmengine's ``Runner`` with mmmeta's safety nets (module docstring).

    Data checks run when a loop starts, on the dataloaders that loop uses,
    so testing needs no training data.
    """

    @classmethod
    def from_cfg(cls, cfg) -> 'SafeRunner':
        cfg = copy.deepcopy(cfg)
        prepare_config(cfg)
        return super().from_cfg(cfg)

    def _check_data(self, splits: List[str]) -> None:
        # the dataloader and evaluator configs this runner builds from
        loaders = dict(
            train=self._train_dataloader,
            val=self._val_dataloader,
            test=self._test_dataloader,
        )
        view = dict(
            work_dir=self.work_dir,
            val_evaluator=self._val_evaluator,
            test_evaluator=self._test_evaluator,
        )
        for split in splits:
            if isinstance(loaders[split], dict):
                view[f'{split}_dataloader'] = loaders[split]
        check_data_roots(view, splits)
        check_annotations(view, splits)

    def train(self):
        splits = ['train'] if self._val_loop is None else ['train', 'val']
        self._check_data(splits)
        return super().train()

    def val(self):
        self._check_data(['val'])
        return super().val()

    def test(self):
        self._check_data(['test'])
        return super().test()


def build_runner(cfg):
    """The runner the config names (``runner_type``), else
    ``mmmeta.SafeRunner`` (what ``tools/train.py`` and ``tools/test.py``
    run)."""
    from mmengine.registry import RUNNERS as ROOT_RUNNERS

    cfg.setdefault('runner_type', 'mmmeta.SafeRunner')
    return ROOT_RUNNERS.build(cfg)
