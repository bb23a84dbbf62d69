"""Time whole training iterations of detector / segmentor configs, side by
side in one process, or check that many of them stay finite.

    python tools/analysis/train_iteration.py \\
        configs/fpn_poolformer_s12_ade20k.py \\
        mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py \\
        --batch 2 --crop 512 512
    python tools/analysis/train_iteration.py \\
        configs/fpn_poolformer_s12_ade20k.py --batch 8 --amp fp16  # GPU
    python tools/analysis/train_iteration.py \\
        configs/poolformer/mask_rcnn_poolformer_s12_fpn_1x_coco.py \\
        --amp fp16 --steps 300 --crop 128 128 --no-timing   # stability

One iteration is what a runner does per step: the model's data
preprocessor on a batch of drawn scenes (``mmmeta.utils.synthetic_data.
training_batch``, generated before timing), the loss forward, backward and
the config's optimizer step (its ``optim_wrapper``: paramwise settings,
gradient clipping; the learning-rate schedule is not applied). Random
weights (no download), SyncBN as BN.

``--amp fp16`` runs under ``torch.autocast(float16)`` with a gradient
scaler (``torch.amp.GradScaler``, on a CPU too, where mmengine's
``AmpOptimWrapper`` refuses), ``--amp bf16`` under bfloat16 autocast.

Configs are timed interleaved (one iteration of each, repeated), after
warm-up, and printed with the median and fastest iteration, images/s and
peak memory (CUDA's max allocated on a GPU; on a CPU the peak resident
growth, measured in a fresh process per config), with ratios to the first
config's fastest iteration. Every loss of every iteration must be finite:
the tool exits with status 1 naming the config and iteration otherwise.

A ``scope::path`` config is read from that package's own configs (e.g.
mmseg's ``fpn_poolformer_s12_8xb4-40k``, whose backbone is mmpretrain's
PoolFormer: ``mmpretrain.models`` must import).
"""

import argparse
import json
import math
import os.path as osp
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List

import torch

# the sibling tool's measuring helpers, also when this file is loaded by path
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import (  # noqa: E402
    add_malloc_argument,
    device_description,
    measure_in_child,
    prepared_args,
    step_peak_mb,
)

AMP_DTYPES = {'none': None, 'fp16': torch.float16, 'bf16': torch.bfloat16}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs', nargs='+', help='config files or scope::path names'
    )
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument(
        '--crop',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help="images' size (default: the config's crop, else 512 512)",
    )
    parser.add_argument('--amp', default='none', choices=list(AMP_DTYPES))
    parser.add_argument(
        '--steps',
        type=int,
        default=10,
        help='timed iterations per config (all checked for finite losses)',
    )
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--no-timing',
        action='store_true',
        help='only run the iterations and check the losses '
        '(a fresh batch each iteration)',
    )
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu'
    )
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument(
        '--no-memory', action='store_true', help='skip peak memory'
    )
    add_malloc_argument(parser)
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--_measure', type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load_config(name: str):
    """A config file, or ``scope::path`` from an installed package."""
    from mmengine.config import Config

    if '::' in name and not osp.exists(name):
        from mmengine.hub import get_config

        return get_config(name)
    return Config.fromfile(name)


def _task(cfg) -> str:
    model = cfg.model
    if 'decode_head' in model:
        return 'seg'
    if 'roi_head' in model and model.roi_head.get('mask_head'):
        return 'det-mask'
    return 'det'


def _num_classes(cfg) -> int:
    model = cfg.model
    if 'decode_head' in model:
        return model.decode_head.num_classes
    if 'roi_head' in model:
        head = model.roi_head.bbox_head
        head = head[0] if isinstance(head, list) else head
        return head.num_classes
    return model.bbox_head.num_classes


class _Float32Kernels:
    """mmcv's compiled ops with their inputs in float32: on a CPU its NMS
    and RoIAlign kernels take float32 only (the CUDA ones take half too),
    so CPU autocast would stop a detector there."""

    def __init__(self, ext):
        self._ext = ext

    def __getattr__(self, name):
        kernel = getattr(self._ext, name)

        def run(*args, **kwargs):
            args = [
                a.float()
                if torch.is_tensor(a) and a.is_floating_point()
                else a
                for a in args
            ]
            return kernel(*args, **kwargs)

        return run


def cpu_autocast_kernels() -> None:
    """Give mmcv's NMS and RoIAlign float32 inputs under CPU autocast."""
    import importlib

    for name in ('mmcv.ops.nms', 'mmcv.ops.roi_align'):
        module = importlib.import_module(name)
        if not isinstance(module.ext_module, _Float32Kernels):
            module.ext_module = _Float32Kernels(module.ext_module)


class Trainer:
    """One config's model and optimizer, and its iteration."""

    def __init__(self, name: str, args):
        from mmengine.optim import build_optim_wrapper
        from mmengine.registry import MODELS, DefaultScope

        from mmmeta.utils.config_checks import convert_syncbn_to_bn

        self.name, self.args = name, args
        cfg = load_config(name)
        convert_syncbn_to_bn(cfg._cfg_dict)
        cfg.model.backbone.init_cfg = None
        cfg.model.backbone.pop('pretrained', None)
        cfg.model.pop('pretrained', None)
        crop = args.crop or cfg.get('crop_size') or (512, 512)
        self.crop = tuple(crop)
        if cfg.model.data_preprocessor.get('size') is not None:
            cfg.model.data_preprocessor.size = self.crop
        self.task, self.num_classes = _task(cfg), _num_classes(cfg)
        # AMP is done here (with a scaler that also works on a CPU), so the
        # config's optimizer is wrapped plainly
        optim_cfg = dict(cfg.optim_wrapper)
        optim_cfg['type'] = 'OptimWrapper'
        for key in ('loss_scale', 'dtype'):
            optim_cfg.pop(key, None)
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                self.model = MODELS.build(cfg.model).to(args.device)
            self.wrapper = build_optim_wrapper(self.model, optim_cfg)
        self.model.train()
        self.dtype = AMP_DTYPES[args.amp]
        device_type = 'cuda' if args.device.startswith('cuda') else 'cpu'
        self.device_type = device_type
        self.scaler = (
            torch.amp.GradScaler(device_type)
            if self.dtype is torch.float16
            else None
        )
        self.losses: List[float] = []
        if self.dtype is not None and device_type == 'cpu':
            cpu_autocast_kernels()

    def batch(self, seed: int) -> Dict:
        from mmmeta.utils.synthetic_data import training_batch

        return training_batch(
            self.task, self.args.batch, self.crop, self.num_classes, seed
        )

    def step(self, batch: Dict) -> float:
        """One iteration on ``batch``; returns its loss."""
        optimizer = self.wrapper.optimizer
        data = self.model.data_preprocessor(batch, training=True)
        with torch.autocast(
            self.device_type, self.dtype, enabled=self.dtype is not None
        ):
            losses = self.model(**data, mode='loss')
        loss, _ = self.model.parse_losses(losses)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(optimizer)
        else:
            loss.backward()
        if self.wrapper.clip_grad_kwargs:
            self.wrapper._clip_grad()
        if self.scaler is not None:
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        value = loss.item()  # the host sync a runner's logging makes
        self.losses.append(value)
        return value


def peak_memory_mb(args, index: int, trainer: Trainer, batch) -> float:
    """Peak memory of one iteration: CUDA's allocator, or on a CPU the
    resident growth in a fresh process (Linux)."""
    if args.device.startswith('cuda'):
        return step_peak_mb(lambda: trainer.step(batch), cuda=True)
    return measure_in_child(__file__, args.argv, '--_measure', index)


def _measure_in_child(args) -> None:
    trainer = Trainer(args.configs[args._measure], args)
    batch = trainer.batch(0)
    print(step_peak_mb(lambda: trainer.step(batch), cuda=False))


def _check_finite(trainer: Trainer, start: int) -> None:
    for i, loss in enumerate(trainer.losses[start:], start):
        if not math.isfinite(loss):
            print(
                f'non-finite loss {loss} at iteration {i} of {trainer.name}',
                file=sys.stderr,
            )
            sys.exit(1)


def run_many(trainers: List[Trainer], steps: int) -> None:
    """``steps`` iterations of each config on a fresh batch each."""
    for trainer in trainers:
        start = time.perf_counter()
        for i in range(steps):
            trainer.step(trainer.batch(i))
            _check_finite(trainer, i)
            if (i + 1) % 50 == 0 and i + 1 < steps:
                print(
                    f'  {i + 1} iterations, loss {trainer.losses[-1]:.4f} '
                    f'({time.perf_counter() - start:.0f} s)',
                    flush=True,
                )
        scale = (
            f', final loss scale {trainer.scaler.get_scale():g}'
            if trainer.scaler
            else ''
        )
        print(
            f'{trainer.name}: {steps} iterations, batch {trainer.args.batch}'
            f', {trainer.crop[0]}x{trainer.crop[1]}, amp {trainer.args.amp}: '
            f'every loss finite, first {trainer.losses[0]:.4f}, last '
            f'{trainer.losses[-1]:.4f}{scale} '
            f'({time.perf_counter() - start:.0f} s)'
        )


def time_interleaved(args, trainers: List[Trainer]) -> Dict:
    batches = [t.batch(0) for t in trainers]
    for _ in range(args.warmup):
        for trainer, batch in zip(trainers, batches):
            trainer.step(batch)
    times: Dict[str, List[float]] = {t.name: [] for t in trainers}
    sync: Callable[[], None] = (
        torch.cuda.synchronize
        if args.device.startswith('cuda')
        else (lambda: None)
    )
    for _ in range(args.steps):
        for trainer, batch in zip(trainers, batches):
            sync()
            start = time.perf_counter()
            trainer.step(batch)
            sync()
            times[trainer.name].append(time.perf_counter() - start)
    for trainer in trainers:
        _check_finite(trainer, 0)
    device = device_description(args)
    print(
        f'training iteration, batch {args.batch}, amp {args.amp}, {device}, '
        f'torch {torch.__version__}, {args.steps} interleaved iterations '
        f'after {args.warmup} warm-up, ratios of the fastest'
    )
    results, base = {}, None
    for index, (trainer, batch) in enumerate(zip(trainers, batches)):
        fastest = min(times[trainer.name]) * 1000
        median = statistics.median(times[trainer.name]) * 1000
        base = base or fastest
        memory = (
            None
            if args.no_memory
            else peak_memory_mb(args, index, trainer, batch)
        )
        results[trainer.name] = dict(
            ms=median,
            min_ms=fastest,
            images_per_s=args.batch * 1000 / fastest,
            peak_mb=memory,
            speedup=base / fastest,
            crop=trainer.crop,
        )
        peak = '' if memory is None else f'  peak {memory:7.0f} MB'
        print(
            f'  {trainer.name}\n    {median:8.1f} ms (min {fastest:.1f})  '
            f'{args.batch * 1000 / fastest:7.2f} img/s{peak}  '
            f'x{base / fastest:.2f}  crop {trainer.crop[0]}x{trainer.crop[1]}'
        )
    return results


def main(argv=None) -> Dict:
    args = prepared_args(parse_args, argv)
    argv = args.argv
    import mmmeta  # noqa: F401  (registers the backbones)

    if args._measure is not None:
        _measure_in_child(args)
        return {}
    trainers = [Trainer(name, args) for name in args.configs]
    if args.no_timing:
        run_many(trainers, args.steps)
        results = {
            t.name: dict(losses=t.losses, crop=t.crop) for t in trainers
        }
    else:
        results = time_interleaved(args, trainers)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(argv=argv, results=results), f, indent=1)
    return results


if __name__ == '__main__':
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    )
    main()
