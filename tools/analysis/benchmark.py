"""Time a backbone or a whole model: mmmeta's fast path against the
official op sequence (the reference path), in one run.

    python tools/analysis/benchmark.py --backbone PoolFormer --arch s12
    python tools/analysis/benchmark.py --backbone CAFormer --arch s18 \\
        --dtype bf16
    python tools/analysis/benchmark.py --config \\
        configs/fpn_poolformer_s12_ade20k.py --train --batch 2 --compare cp

Variants are timed interleaved (one run of each, repeated), after warm-up;
the median latency, images/s and the peak memory of each are printed with
the ratio to the first variant (the float32 reference unless ``--compare``
says otherwise). Peak memory is CUDA's max allocated during one step on a
GPU; on a CPU (Linux) it is the growth of the peak resident size during one
step over the resident size before it, measured in a fresh process per
variant.
"""
import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List

import torch


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument('--backbone', help='mmmeta backbone, e.g. PoolFormer')
    what.add_argument('--config', help='a model config (detector/segmentor)')
    parser.add_argument('--arch', default=None, help='arch of --backbone')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512],
                        metavar=('H', 'W'), help='input size (512 512)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--dtype', default='fp32',
                        choices=['fp32', 'bf16', 'autocast-bf16'],
                        help='precision of the fast path: fp32, bf16 '
                        '(model.to(bfloat16) and a bfloat16 input) or '
                        'autocast-bf16 (torch.autocast)')
    parser.add_argument('--options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='extra backbone arguments, Python literals, '
                        'e.g. img_size=800 is_extrapolation=True')
    parser.add_argument('--compare', default='reference',
                        choices=['reference', 'cp', 'compile', 'deploy',
                                 'none'],
                        help='what the fast path is compared with: the '
                        'float32 reference path, the fast path with '
                        'activation checkpointing (with_cp), the fast '
                        'path under torch.compile, the model after '
                        'switch_to_deploy(), or nothing')
    parser.add_argument('--train', action='store_true',
                        help='time a training step (forward + backward)')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--_variant', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


VARIANTS = {
    'none': ['fast'],
    'deploy': ['fast', 'fast+deploy'],
    'reference': ['reference', 'fast'],
    'cp': ['fast', 'fast+cp'],
    'compile': ['fast', 'fast+compile'],
}


def build(args, variant: str) -> torch.nn.Module:
    """The model of ``variant`` on the device, in train or eval mode."""
    import mmmeta  # noqa: F401  (registers the backbones)
    from mmmeta.registry import build_module
    with_cp = variant.endswith('+cp')
    impl = dict(impl='reference') if variant == 'reference' else {}
    if args.backbone:
        options = {}
        for item in args.options:
            key, _, value = item.partition('=')
            options[key] = ast.literal_eval(value)
        model = build_module(dict(type=args.backbone, arch=args.arch,
                                  with_cp=with_cp, **impl, **options))
    else:
        from mmmeta.utils.cli import build_model_from_config
        model = build_model_from_config(args.config, with_cp=with_cp,
                                        **impl)
    model = model.to(args.device).train(args.train)
    if variant.endswith('+deploy'):
        model.switch_to_deploy()
    if variant != 'reference' and args.dtype == 'bf16':
        model = model.to(torch.bfloat16)
    if variant.endswith('+compile'):
        model = torch.compile(model)
    return model


def _flatten(outs):
    if isinstance(outs, torch.Tensor):
        yield outs
    elif isinstance(outs, (list, tuple)):
        for out in outs:
            yield from _flatten(out)


def make_step(args, variant: str, model) -> Callable[[], None]:
    """One timed call: inference, or forward + backward."""
    dtype = torch.bfloat16 if (variant != 'reference'
                               and args.dtype == 'bf16') else torch.float32
    x = torch.randn(args.batch, 3, *args.shape, device=args.device,
                    dtype=dtype)
    autocast = variant != 'reference' and args.dtype == 'autocast-bf16'
    device_type = 'cuda' if args.device.startswith('cuda') else 'cpu'

    def features():
        outs = model(x) if args.backbone else model(x, mode='tensor')
        return list(_flatten(outs))

    def run():
        with torch.autocast(device_type, torch.bfloat16, enabled=autocast):
            if args.train:
                # a training step's work: forward and a backward through
                # every output (the loss itself is negligible)
                sum(o.float().mean() for o in features()).backward()
            else:
                with torch.no_grad():
                    features()
        if device_type == 'cuda':
            torch.cuda.synchronize()

    return run


def peak_memory_mb(args, variant: str) -> float:
    """Peak memory of ``variant`` 's step, measured in a fresh process on
    CPU (RSS high-water mark growth) or by CUDA's allocator."""
    if args.device.startswith('cuda'):
        model = build(args, variant)
        step = make_step(args, variant, model)
        step()
        torch.cuda.reset_peak_memory_stats()
        step()
        return torch.cuda.max_memory_allocated() / 2**20
    argv = list(args.argv)
    if '--json' in argv:
        i = argv.index('--json')
        del argv[i:i + 2]
    out = subprocess.run([sys.executable, __file__, *argv, '--_variant',
                          variant], capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/self/status')


def _measure_rss_in_child(args) -> None:
    """Print the peak RSS growth (MB) of one step over the resident size
    before it (Linux: the high-water mark is reset through clear_refs)."""
    model = build(args, args._variant)
    step = make_step(args, args._variant, model)
    step()  # warm-up: allocator pools, lazy init
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    before = _status_kb('VmRSS')
    step()
    print((_status_kb('VmHWM') - before) / 1024)


def main(argv=None) -> Dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.argv = argv
    if args.threads:
        torch.set_num_threads(args.threads)
    if args._variant:
        _measure_rss_in_child(args)
        return {}
    if args.compare == 'reference' and args.dtype != 'fp32':
        names = ['reference', f'fast ({args.dtype})']
    else:
        names = VARIANTS[args.compare]
    keys = [n.split(' ')[0] for n in names]
    steps, build_s = {}, {}
    for name, key in zip(names, keys):
        start = time.perf_counter()
        model = build(args, key)
        build_s[name] = time.perf_counter() - start
        steps[name] = make_step(args, key, model)
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    times: Dict[str, List[float]] = {n: [] for n in names}
    for _ in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    device = (torch.cuda.get_device_name() if args.device.startswith('cuda')
              else f'CPU, {torch.get_num_threads()} threads')
    what = args.config or f'{args.backbone}-{args.arch}'
    mode = 'training step' if args.train else 'inference'
    print(f'{what}, {mode}, batch {args.batch}, {args.shape[0]}x'
          f'{args.shape[1]}, {device}, torch {torch.__version__}, median of '
          f'{args.repeats} after {args.warmup} warm-up')
    results = {}
    base = None
    for name, key in zip(names, keys):
        median = statistics.median(times[name]) * 1000
        memory = peak_memory_mb(args, key)
        base = base or median
        results[name] = dict(ms=median, images_per_s=args.batch * 1000 /
                             median, peak_mb=memory, speedup=base / median,
                             build_s=build_s[name])
        print(f'  {name:>22}: {median:8.1f} ms  '
              f'{args.batch * 1000 / median:7.2f} img/s  '
              f'peak {memory:7.0f} MB  x{base / median:.2f}  '
              f'(built in {build_s[name]:.2f} s)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(argv=argv, device=device,
                           results=results), f, indent=1)
    return results


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    main()
