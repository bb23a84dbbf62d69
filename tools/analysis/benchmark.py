"""Time a backbone or a whole model on mmmeta's inference and training
paths against the official op sequence (the reference path), in one run.

    python tools/analysis/benchmark.py --backbone PoolFormer --arch s12
    python tools/analysis/benchmark.py --backbone ConvFormer --arch s18
    python tools/analysis/benchmark.py --backbone PoolFormer --arch s12 \\
        --train --batch 2
    python tools/analysis/benchmark.py --config \\
        configs/fpn_poolformer_s12_ade20k.py --train --batch 2 \\
        --variants fast cp

Variants (``--variants``, the first is the base of the ratios):

* ``reference``: the official implementation's op sequence on the same
  weights (``official_ops``: PoolFormer and the MetaFormer baselines);
* ``official``: the official code itself, from a file given with
  ``--official-code`` (e.g. TransNeXt's ``transnext_native.py``, fetched by
  you; nothing of it is part of mmmeta), built with ``--official-model``,
  or a peer package's model: ``--official-code timm --official-model
  poolformer_s12`` (its ``forward_intermediates``: stage outputs without
  output norms, so give ours ``--options out_norm_cfg=None``),
  ``--official-code mmpretrain --official-model PoolFormer``; every
  variant then starts from its weights (converted to mmmeta names);
* ``fast``: the model as built (mmmeta's default path);
* ``autograd``: the model with ``lean=False`` (training only);
* ``lean``: the model with ``lean=True``, selective activation
  checkpointing (training only, ``mmmeta.models.layers.checkpointing``)
  of the family's ``lean_stages``, or of the stages that ``--options
  lean=[...]`` gives (four bools);
* ``deploy``: after ``switch_to_deploy()`` (inference only);
* ``compiled``: ``mmmeta.optimize_for_inference(model)``, i.e. deploy and
  ``torch.compile`` with inductor freezing (inference only), the fastest
  path a user reaches in one call;
* ``compile``: ``torch.compile`` of the model as built (what
  ``tools/train.py --compile`` gives in training);
* ``cp``: activation checkpointing (``with_cp=True``).

Variants are timed interleaved (one run of each, repeated), after warm-up;
the median and the minimum latency, images/s, the page faults per run
(a settled heap has next to none) and the peak memory of each are printed
with the ratio to the first variant (of the medians; of the
minima in training, whose runs are long), and the
largest relative difference of each variant's outputs from the first
one's. With ``--train``, also the bytes held for backward in one step:
the allocator's in-use bytes after the forward pass less those before it
(``torch.cuda.memory_allocated()`` on a GPU, glibc's ``mallinfo2()`` on a
CPU; unlike saved-tensor hooks, this sees inside activation
checkpointing; exact with ``--threads 1`` and ``MALLOC_ARENA_MAX=1``),
and the largest relative difference of the gradients (every parameter's, by
name, and the input's; against an ``official`` variant the input's
only). Peak memory is CUDA's max allocated during one step on a GPU; on a CPU
(Linux) it is the growth of the peak resident size during one step over the
resident size before it, measured in a fresh process per variant. The first
line names the CPU's vector ISA and whether it has native bfloat16 arithmetic:
without it, bfloat16 is emulated and slower than float32, so ``--dtype bf16``
is only for GPUs and bf16-capable CPUs.
"""

import argparse
import collections
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Tuple

import torch

INFERENCE, TRAINING = 'inference', 'training'
VARIANTS = {  # name: the modes it exists in
    'reference': (INFERENCE, TRAINING),
    'official': (INFERENCE, TRAINING),
    'fast': (INFERENCE, TRAINING),
    'autograd': (TRAINING,),
    'lean': (TRAINING,),
    'deploy': (INFERENCE,),
    'compiled': (INFERENCE,),
    'compile': (INFERENCE, TRAINING),
    'cp': (INFERENCE, TRAINING),
}


def _processor_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_capability() -> Dict[str, object]:
    """What this CPU offers torch: its vector ISA and native bfloat16."""
    try:
        bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        bf16 = bool(
            getattr(torch.cpu, '_is_avx512_bf16_supported', lambda: False)()
        )
    return dict(
        processor=_processor_name(),
        capability=torch.backends.cpu.get_cpu_capability(),
        native_bf16=bf16,
        threads=torch.get_num_threads(),
    )


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed blocks for reuse, as a GPU's caching
    allocator does. By default glibc maps every block of 32 MB or more
    (a stage-1 map of 4C channels at 2x512x512 is 33.5 MB) afresh and
    returns it on free, so each such tensor pays ~8k page faults (~16 ms
    here, at random), which hides the compute being compared. Returns
    False where the C library is not glibc or refuses."""
    if platform.libc_ver()[0] != 'glibc':
        return False
    try:
        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        return bool(
            libc.mallopt(m_mmap_threshold, 1 << 30)
            and libc.mallopt(m_trim_threshold, 1 << 30)
        )
    except (OSError, AttributeError):
        return False


def minor_page_faults() -> int:
    """The process's minor page faults so far (0 where unknown): a timed
    step that faults in fresh pages (~1 us each here) measures the
    allocator, not the compute; the timings print them per run."""
    try:
        import resource
    except ImportError:  # not Unix
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def add_malloc_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--system-malloc`` switch of the measuring tools."""
    parser.add_argument(
        '--system-malloc',
        action='store_true',
        help="on a CPU, leave glibc's malloc as it is (default: freed "
        'blocks are kept for reuse, as a GPU caching allocator does, '
        'so that page faults of fresh 32 MB+ blocks do not blur the '
        'timings)',
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument('--backbone', help='mmmeta backbone, e.g. PoolFormer')
    what.add_argument('--config', help='a model config (detector/segmentor)')
    parser.add_argument('--arch', default=None, help='arch of --backbone')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[512, 512],
        metavar=('H', 'W'),
        help='input size (512 512)',
    )
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument(
        '--dtype',
        default='fp32',
        choices=['fp32', 'bf16', 'autocast-bf16', 'autocast-fp16'],
        help='precision of every variant but reference: fp32, bf16 '
        '(model.to(bfloat16) and a bfloat16 input) or '
        'autocast-bf16 / autocast-fp16 (torch.autocast, as AMP)',
    )
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels-last input and weights (every variant)',
    )
    parser.add_argument(
        '--options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra backbone arguments, Python literals, '
        'e.g. img_size=800 is_extrapolation=True',
    )
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=list(VARIANTS),
        default=None,
        help='what to time, the first is the '
        'base of the ratios (default: reference fast deploy '
        'compiled; reference autograd fast with --train)',
    )
    parser.add_argument(
        '--official-code',
        metavar='FILE',
        help='a Python file of the official implementation '
        '(for the official variant), or "timm" (timm.create_model, '
        'its forward_intermediates) or "mmpretrain" (its MODELS '
        'registry)',
    )
    parser.add_argument(
        '--official-model',
        metavar='NAME',
        help='the model class or function in that file (the timm '
        'model name, the mmpretrain type), called with '
        '--official-options',
    )
    parser.add_argument(
        '--official-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='its arguments, Python literals',
    )
    parser.add_argument(
        '--train',
        action='store_true',
        help='time a training step (forward + backward)',
    )
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu'
    )
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)',
    )
    parser.add_argument(
        '--profile',
        action='store_true',
        help='after timing, print where each variant spends '
        'its time (torch.profiler, per op, 5 calls: the mean and the '
        'fastest of each op call)',
    )
    parser.add_argument(
        '--no-memory',
        action='store_true',
        help='skip the peak-memory measurement (a fresh process per variant)',
    )
    add_malloc_argument(parser)
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--_variant', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variants is None:
        args.variants = (
            ['reference', 'autograd', 'lean']
            if args.train
            else ['reference', 'fast', 'deploy', 'compiled']
        )
    mode = TRAINING if args.train else INFERENCE
    for name in args.variants:
        if mode not in VARIANTS[name]:
            parser.error(
                f'the {name!r} variant is for '
                f'{VARIANTS[name][0]} only; drop it or '
                f'{"--train" if args.train else "add --train"}'
            )
    if ('official' in args.variants) != bool(
        args.official_code and args.official_model
    ):
        parser.error(
            'the official variant needs --official-code and '
            '--official-model, and they are only for it'
        )
    return args


def _stub_module(name: str, **attributes) -> None:
    import types

    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module


class _Registry:
    """Stands in for a registry the official file registers its models in
    (nothing is registered)."""

    @staticmethod
    def register_module(*args, **kwargs):
        return lambda cls: cls


_OFFICIAL_MODEL: List[torch.nn.Module] = []


def build_official(args) -> torch.nn.Module:
    """The official model of ``--official-code`` (seeded), stochastic depth
    off as in every variant; built once per process (it is the official
    variant and the weights of every other). Packages it imports only for
    helpers (timm's layers, mmdet's registry) are stood in for where
    missing."""
    if _OFFICIAL_MODEL:
        return _OFFICIAL_MODEL[0]
    from mmmeta.utils.cli import parse_options

    options = parse_options(args.official_options)
    torch.manual_seed(0)
    if args.official_code in PACKAGE_PEERS:
        model = PACKAGE_PEERS[args.official_code](args.official_model, options)
    else:
        model = _official_file_model(args, options)
    for part in model.modules():
        if hasattr(part, 'drop_prob'):
            part.drop_prob = 0.0
    _OFFICIAL_MODEL.append(model)
    return model


class _Intermediates(torch.nn.Module):
    """A timm model whose forward returns its stage outputs
    (``forward_intermediates``), with the model's own parameter names."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_intermediates(x, intermediates_only=True)

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)


def _timm_model(name: str, options: dict) -> torch.nn.Module:
    import timm

    return _Intermediates(timm.create_model(name, pretrained=False, **options))


def _mmpretrain_model(name: str, options: dict) -> torch.nn.Module:
    from mmpretrain.registry import MODELS

    return MODELS.build(dict(type=name, **options))


#: --official-code values that name a package instead of a file
PACKAGE_PEERS = {'timm': _timm_model, 'mmpretrain': _mmpretrain_model}


def _official_file_model(args, options: dict) -> torch.nn.Module:
    """The model ``--official-model`` of the file ``--official-code``."""
    import importlib.util

    from mmmeta.models.layers import DropPath

    try:
        import timm.models.layers  # noqa: F401
    except ImportError:
        from torch.nn.init import trunc_normal_

        from mmmeta.models.layers import to_pair

        for name in ('timm', 'timm.models'):
            _stub_module(name)
        _stub_module(
            'timm.models.layers',
            DropPath=DropPath,
            to_2tuple=to_pair,
            trunc_normal_=trunc_normal_,
        )
    try:
        import mmdet.registry  # noqa: F401
    except ImportError:
        _stub_module('mmdet')
        _stub_module('mmdet.registry', MODELS=_Registry())
    spec = importlib.util.spec_from_file_location(
        'official_model', args.official_code
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, args.official_model)(**options)


def build(args, variant: str) -> torch.nn.Module:
    """The model of ``variant`` on the device, in train or eval mode."""
    import mmmeta  # registers the backbones
    from mmmeta.registry import build_module

    with_cp = variant == 'cp'
    official = build_official(args) if args.official_code else None
    if variant == 'official':
        return _placed(args, official).train(args.train)
    torch.manual_seed(0)  # the same weights in every variant
    impl = {}
    if variant in ('autograd', 'lean'):
        impl['lean'] = variant == 'lean'
    if args.backbone:
        from mmmeta.utils.cli import parse_options

        options = parse_options(args.options)
        # the variant's own setting wins over --options (e.g. ``--options
        # lean=True --variants autograd compile``: a compiled lean model),
        # but ``lean`` keeps the stages given (``lean=[True,True,True,True]``)
        if impl.get('lean') and isinstance(options.get('lean'), (list, tuple)):
            impl['lean'] = options['lean']
        model = build_module(
            dict(
                type=args.backbone,
                arch=args.arch,
                with_cp=with_cp,
                **{**options, **impl},
            )
        )
    else:
        from mmmeta.utils.cli import build_model_from_config

        model = build_model_from_config(args.config, with_cp=with_cp, **impl)
    if official is not None:
        model.load_state_dict(
            model.convert_checkpoint(official.state_dict()), strict=False
        )
    if variant == 'reference':
        from official_ops import use_reference

        use_reference(model)
    model = _placed(args, model).train(args.train)
    if variant != 'reference' and args.dtype == 'bf16':
        model = model.to(torch.bfloat16)
    if variant in ('deploy', 'compiled'):
        model = mmmeta.optimize_for_inference(
            model, compile=variant == 'compiled'
        )
    elif variant == 'compile':
        model = torch.compile(model)
    return model


def _placed(args, model: torch.nn.Module) -> torch.nn.Module:
    """``model`` on the device, channels-last with ``--channels-last``."""
    model = model.to(args.device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


AUTOCAST = {'autocast-bf16': torch.bfloat16, 'autocast-fp16': torch.float16}


def _flatten(outs):
    if isinstance(outs, torch.Tensor):
        yield outs
    elif isinstance(outs, (list, tuple)):
        for out in outs:
            yield from _flatten(out)


def _uses_bf16(args, variant: str) -> bool:
    return variant != 'reference' and args.dtype == 'bf16'


def make_input(args) -> torch.Tensor:
    """The input every variant gets (seeded, so a child process sees the
    same one); in training it takes a gradient, which is compared."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, *args.shape, generator=generator)
    return x.requires_grad_(args.train)


_LOSS_WEIGHTS: Dict[tuple, torch.Tensor] = {}


def loss_weights(index: int, output: torch.Tensor) -> torch.Tensor:
    """Fixed random weights of the ``index``-th output in the timed loss,
    the same in every variant. A mean or a sum of squares would not do: a
    normalised output's sum and sum of squares over channels are constant,
    so the gradient through its norm would be rounding noise."""
    key = (index, tuple(output.shape), output.device)
    if key not in _LOSS_WEIGHTS:
        generator = torch.Generator().manual_seed(index)
        weights = torch.randn(output.shape, generator=generator)
        _LOSS_WEIGHTS[key] = weights.div_(output.numel()).to(output.device)
    return _LOSS_WEIGHTS[key]


def make_step(
    args, variant: str, model, x: torch.Tensor
) -> Callable[[], List[torch.Tensor]]:
    """One timed call (inference, or forward + backward); it returns the
    model's outputs."""
    dtype = torch.bfloat16 if _uses_bf16(args, variant) else torch.float32
    x = x.detach().to(args.device, dtype)
    if args.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(args.train)
    autocast = AUTOCAST.get(args.dtype) if variant != 'reference' else None
    device_type = 'cuda' if args.device.startswith('cuda') else 'cpu'

    def features():
        outs = model(x) if args.backbone else model(x, mode='tensor')
        return list(_flatten(outs))

    def run():
        with torch.autocast(
            device_type, autocast or torch.bfloat16, enabled=bool(autocast)
        ):
            if args.train:
                # a training step's work: forward and a backward through
                # every output (the loss itself is negligible)
                model.zero_grad(set_to_none=True)
                x.grad = None
                before = in_use_bytes(args.device)
                outs = features()
                run.held = in_use_bytes(args.device) - before
                sum(
                    (o.float() * loss_weights(i, o)).sum()
                    for i, o in enumerate(outs)
                ).backward()
            else:
                with torch.no_grad():
                    outs = features()
        if device_type == 'cuda':
            torch.cuda.synchronize()
        return outs

    run.model, run.input = model, x
    return run


def gradients(step) -> Dict[str, torch.Tensor]:
    """The gradients the last call of ``step`` left: every parameter's
    (by name, with ``torch.compile`` 's prefix removed) and the input's."""
    grads = {'input': step.input.grad}
    for name, param in step.model.named_parameters():
        if param.grad is not None:
            grads[name.replace('_orig_mod.', '')] = param.grad
    return grads


def max_gradient_error(grads, base) -> float:
    """Largest ``|a - b| / max|b|`` over the gradients both have, ``max|b|``
    at least 1e-6 of the largest gradient of all (a gradient that is zero
    up to rounding, e.g. of a bias a softmax or an average cancels, is
    compared at that floor)."""
    common = [name for name in grads if name in base]
    floor = 1e-6 * max(base[n].abs().max().item() for n in common)
    return max(
        (
            (grads[n].float() - base[n].float()).abs().max()
            / base[n].float().abs().max().clamp_min(floor)
        ).item()
        for n in common
    )


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            'arena',
            'ordblks',
            'smblks',
            'hblks',
            'hblkhd',
            'usmblks',
            'fsmblks',
            'uordblks',
            'fordblks',
            'keepcost',
        )
    ]


def in_use_bytes(device: str = 'cpu') -> int:
    """Bytes the allocator has handed out and not got back: CUDA's caching
    allocator on a GPU; on a CPU glibc's (``mallinfo2``, 2.33+: blocks in
    the arenas plus mapped blocks). 0 where neither is known."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
        return torch.cuda.memory_allocated()
    if platform.libc_ver()[0] != 'glibc':
        return 0
    libc = ctypes.CDLL(None)
    if not hasattr(libc, 'mallinfo2'):
        return 0
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def held_mib(step) -> float:
    """MiB held for backward by one call of ``step`` (its outputs
    included): in-use bytes after the forward pass less those before."""
    step()
    return step.held / 2**20


def max_relative_error(outs, base) -> float:
    """Largest ``|a - b| / max|b|`` over matching outputs."""
    errors = [
        (
            (o.detach().float() - b.detach().float()).abs().max()
            / b.detach().float().abs().max().clamp_min(1e-12)
        ).item()
        for o, b in zip(outs, base)
    ]
    return max(errors, default=0.0)


def peak_memory_mb(args, variant: str) -> float:
    """Peak memory of ``variant`` 's step, measured in a fresh process on
    CPU (RSS high-water mark growth) or by CUDA's allocator."""
    if args.device.startswith('cuda'):
        model = build(args, variant)
        step = make_step(args, variant, model, make_input(args))
        return step_peak_mb(step, cuda=True)
    return measure_in_child(__file__, args.argv, '--_variant', variant)


def step_peak_mb(step: Callable, cuda: bool) -> float:
    """Peak memory (MB) of one call of ``step`` after a warm-up call: the
    growth of CUDA's max allocated over the bytes allocated before the call,
    or (Linux) of the resident size's high-water mark over the resident size
    before the call."""
    step()  # warm-up: allocator pools, lazy init
    if cuda:
        # the growth over what is allocated before the step: other models
        # still on the device do not count
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    before = _status_kb('VmRSS')
    step()
    return (_status_kb('VmHWM') - before) / 1024


def measure_in_child(script: str, argv: List[str], flag: str, value) -> float:
    """Run ``script`` again with ``argv`` (less ``--json``) and ``flag
    value`` in a fresh process; the number it prints last. The child keeps
    glibc's malloc as it is (``--system-malloc``): freed blocks kept for
    reuse would stay resident and hide a step's growth of the resident
    size."""
    argv = list(argv)
    if '--json' in argv:
        i = argv.index('--json')
        del argv[i : i + 2]
    out = subprocess.run(
        [sys.executable, script, *argv, '--system-malloc', flag, str(value)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f'measuring {flag} {value} failed:\n{out.stderr}')
    return float(out.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/self/status')


def _measure_rss_in_child(args) -> None:
    """Print the peak RSS growth (MB) of one step (in the child)."""
    model = build(args, args._variant)
    step = make_step(args, args._variant, model, make_input(args))
    print(step_peak_mb(step, cuda=False))


#: The op kinds of the matrix products (convolutions included): the work
#: every variant shares, whatever it does around them.
MATRIX_PRODUCTS = (
    'conv',
    'aten::mm',
    'aten::addmm',
    'aten::bmm',
    'aten::baddbmm',
    'aten::linear',
    'aten::matmul',
    'aten::_scaled_dot_product',
)


def _op_calls(step: Callable) -> Dict[Tuple[str, int], float]:
    """Self time (us) of each op call of one ``step()``, keyed by the op's
    name and its rank among the calls of that op in the step."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    seen: Dict[str, int] = {}
    times = {}
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        rank = seen[event.name] = seen.get(event.name, -1) + 1
        times[event.name, rank] = event.self_cpu_time_total
    return times


def _split_ms(times: Dict[Tuple[str, int], float]) -> Tuple[float, float]:
    """``(all, matrix products)`` of op call times in us, in ms."""
    products = sum(
        us
        for (op, _), us in times.items()
        if any(kind in op for kind in MATRIX_PRODUCTS)
    )
    return sum(times.values()) / 1000, products / 1000


def print_profile(name: str, step: Callable, calls: int = 5) -> Dict:
    """Self time per op kind of ``calls`` steps, per call; returns the op
    time and the part of it in matrix products (``MATRIX_PRODUCTS``), in
    ms per call, as the mean over the calls (``op_ms``,
    ``matrix_product_ms``) and as the sum of each op call's fastest time
    (``fastest_op_ms``, ``fastest_matrix_product_ms``).

    Each step repeats the same op calls on the same data, but on a shared
    machine one call of an elementwise op may take ten times its usual time
    at random (host memory management, other tenants); the fastest of each
    call over the steps is the cost of the work itself, free of that."""
    steps = [_op_calls(step) for _ in range(calls)]
    common = set(steps[0]).intersection(*steps[1:])
    split = [_split_ms(times) for times in steps]
    total = sum(t for t, _ in split) / calls
    products = sum(p for _, p in split) / calls
    fastest, fastest_products = _split_ms(
        {key: min(times[key] for times in steps) for key in common}
    )
    ratios = sorted(t / max(p, 1e-9) for t, p in split)
    print(
        f'{name}: {total:.1f} ms of op self time per call, {products:.1f} '
        f'ms ({100 * products / total:.0f}%) in matrix products '
        f'(x{total / max(products, 1e-9):.2f}; single calls '
        f'x{ratios[0]:.2f}-x{ratios[-1]:.2f}); the fastest of each op call '
        f'over {calls} calls: {fastest:.1f} ms, {fastest_products:.1f} in '
        f'matrix products (x{fastest / max(fastest_products, 1e-9):.2f})'
    )
    op_ms: Dict[str, float] = collections.defaultdict(float)
    for times in steps:
        for (op, _), us in times.items():
            op_ms[op] += us / calls / 1000
    op_calls = collections.Counter(op for op, _ in steps[0])
    for op, ms in sorted(op_ms.items(), key=lambda kv: -kv[1])[:12]:
        print(f'  {op[:48]:<48} {ms:7.1f} ms  {op_calls[op]:4d} calls')
    return dict(
        op_ms=total,
        matrix_product_ms=products,
        fastest_op_ms=fastest,
        fastest_matrix_product_ms=fastest_products,
    )


def print_ceilings(profiles: Dict[str, Dict]) -> None:
    """For each variant, the speed-up over the first one it would reach if
    everything but its matrix products took no time: the first variant's
    op time over this one's matrix-product time (the bound op-level work
    cannot pass; a goal above it needs fewer or faster products), from the
    mean op times and from the fastest of each op call."""
    base = next(iter(profiles.values()))
    print(
        "ceiling (first variant's op time / matrix-product time; "
        'mean, fastest of each call):'
    )
    for name, profile in profiles.items():
        mean = base['op_ms'] / max(profile['matrix_product_ms'], 1e-9)
        fastest = base['fastest_op_ms'] / max(
            profile['fastest_matrix_product_ms'], 1e-9
        )
        print(f'  {name:>10}: x{mean:.2f}, x{fastest:.2f}')


def print_capability(args) -> None:
    """The CPU's vector ISA and bfloat16 support (or the GPU's name)."""
    cpu = cpu_capability()
    print(
        f'CPU: {cpu["processor"]}, torch capability {cpu["capability"]}, '
        f'native bfloat16 {"yes" if cpu["native_bf16"] else "no"}, '
        f'{cpu["threads"]} threads'
    )
    if (
        args.device == 'cpu'
        and args.dtype != 'fp32'
        and not cpu['native_bf16']
    ):
        print(
            '  note: this CPU has no native bfloat16 arithmetic; bfloat16 '
            'is emulated and slower than float32 here'
        )


def device_description(args) -> str:
    """The device of a run's header: the GPU's name, or the CPU's threads
    and whether malloc keeps freed blocks (:func:`keep_freed_memory`)."""
    if args.device.startswith('cuda'):
        return torch.cuda.get_device_name()
    malloc = ', malloc keeps freed blocks' if args.kept_freed_memory else ''
    return f'CPU, {torch.get_num_threads()} threads{malloc}'


def prepared_args(parse: Callable, argv=None) -> argparse.Namespace:
    """``parse(argv)`` (default: the command line), the arguments kept as
    ``args.argv`` for measuring child processes, ``--threads`` and
    ``--system-malloc`` applied (``args.kept_freed_memory``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    args.argv = argv
    if args.threads:
        torch.set_num_threads(args.threads)
    args.kept_freed_memory = (
        args.device == 'cpu' and not args.system_malloc and keep_freed_memory()
    )
    return args


def main(argv=None) -> Dict:
    args = prepared_args(parse_args, argv)
    argv = args.argv
    if args._variant:
        _measure_rss_in_child(args)
        return {}
    print_capability(args)
    errors: Dict[str, float] = {}
    grad_errors: Dict[str, float] = {}
    names = args.variants
    x = make_input(args)
    steps, build_s = {}, {}
    for name in names:
        start = time.perf_counter()
        model = build(args, name)
        steps[name] = make_step(args, name, model, x)
        outputs = steps[name]()  # compiles the compiled variants
        build_s[name] = time.perf_counter() - start
        # as it happens: a run stopped later (a time cap) keeps this line
        print(
            f'  {name}: built and first call in {build_s[name]:.1f} s',
            flush=True,
        )
        if name == names[0]:
            base_outputs = outputs
            if args.train:
                base_grads = {
                    k: g.clone() for k, g in gradients(steps[name]).items()
                }
        errors[name] = max_relative_error(outputs, base_outputs)
        if args.train:
            grads = gradients(steps[name])
            if 'official' in (name, names[0]):
                grads = dict(input=grads['input'])
            grad_errors[name] = max_gradient_error(grads, base_grads)
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    times: Dict[str, List[float]] = {n: [] for n in names}
    faults = dict.fromkeys(names, 0)
    for _ in range(args.repeats):
        for name, step in steps.items():
            before = minor_page_faults()
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
            faults[name] += minor_page_faults() - before
    device = device_description(args)
    what = args.config or f'{args.backbone}-{args.arch}'
    mode = 'training step' if args.train else 'inference'
    dtype = '' if args.dtype == 'fp32' else f', {args.dtype} (not reference)'
    print(
        f'{what}, {mode}, batch {args.batch}, {args.shape[0]}x'
        f'{args.shape[1]}{dtype}, {device}, torch {torch.__version__}, '
        f'{args.repeats} interleaved runs after {args.warmup} warm-up, '
        f'ratios of the {"fastest" if args.train else "median"} run'
    )
    results = {}
    base = base_saved = None
    for name in names:
        median = statistics.median(times[name]) * 1000
        fastest = min(times[name]) * 1000
        memory = None if args.no_memory else peak_memory_mb(args, name)
        # training steps are compared by their fastest run (the least
        # disturbed by other work), inference by the median
        timed = fastest if args.train else median
        base = base or timed
        results[name] = dict(
            ms=median,
            min_ms=fastest,
            images_per_s=args.batch * 1000 / median,
            peak_mb=memory,
            speedup=base / timed,
            max_rel_error=errors[name],
            build_s=build_s[name],
            page_faults=faults[name] / args.repeats,
        )
        faulted = results[name]['page_faults']
        peak = '' if memory is None else f'peak {memory:7.0f} MB  '
        saved = ''
        if args.train:
            mib = held_mib(steps[name])
            base_saved = base_saved or mib
            results[name].update(
                held_mib=mib, max_grad_rel_error=grad_errors[name]
            )
            saved = (
                f'held {mib:7.0f} MiB (x{mib / base_saved:.2f})  '
                f'grad diff {grad_errors[name]:.1e}  '
            )
        print(
            f'  {name:>10}: {median:8.1f} ms (min {fastest:.1f})  '
            f'{args.batch * 1000 / median:7.2f} img/s  {peak}{saved}'
            f'x{base / timed:.2f}  max rel. diff {errors[name]:.1e}  '
            f'{faulted:.0f} page faults/run  '
            f'(built + first call {build_s[name]:.1f} s)'
        )
    if args.profile:
        profiles = {
            name: print_profile(name, step) for name, step in steps.items()
        }
        print_ceilings(profiles)
        for name, profile in profiles.items():
            results[name].update(profile)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(argv=argv, device=device, results=results), f, indent=1
            )
    return results


if __name__ == '__main__':
    _root = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    )
    # the repository, and dev/ for the official op sequences (variant
    # 'reference'), which are test material rather than part of mmmeta
    sys.path[:0] = [_root, os.path.join(_root, 'dev')]
    main()
