"""The one command for a lent GPU (docs/gpu.md), standard library only.

    bash tools/gpu/run_all.sh               # on the device: $OUT or --out
    bash tools/gpu/run_all.sh --plan        # the steps, their caps, the total
    bash tools/gpu/run_all.sh --dry-run     # here, on the CPU, toy sizes
    bash tools/gpu/run_all.sh --resume DIR  # skip what DIR's run finished

Steps run in priority order, each under a time cap and all within
``--budget``: the user's own commands first (``tools/train.py`` on generated
data, fp32 and ``--amp``, default and ``lean=True``), then the ``gpu`` tests,
then our FPN iteration next to mmseg's own config, then inference and the
training step against timm's and the official code; steps marked *extra*
run only in the time the planned ones leave.

Everything goes, as it happens and flushed per line, into three files of the
output folder, so a call cut off at any point still brings back what ran:
``kit.log`` (every line of every command, prefixed with its step),
``summary.md`` (one row per command as it ends) and ``steps.tsv`` (the
finished steps, which ``--resume`` skips). A command that reaches its cap
gets SIGINT (pytest then prints its summary), and SIGKILL 15 s later.
"""

import argparse
import ctypes
import hashlib
import importlib.util
import os
import os.path as osp
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BUDGET_S = 540  # 9 of the lease's 15 minutes: the start and a rerun fit
GRACE_S = 15  # from SIGINT to SIGKILL
MIN_LEFT_S = 20  # a step needs at least this much of the budget to start
FILES = ('kit.log', 'summary.md', 'steps.tsv')

FPN = 'configs/fpn_poolformer_s12_ade20k.py'
MMSEG_FPN = 'mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py'
MASK_RCNN = 'configs/poolformer/mask_rcnn_poolformer_s12_fpn_1x_coco.py'

Command = Tuple[str, List[str]]  # (label, argv)


@dataclass(frozen=True)
class Step:
    """A step of the plan: commands run in parallel (correctness checks)
    or one after another (anything timed), under one cap."""

    name: str
    cap: int
    what: str
    commands: Callable[['Kit'], List[Command]]
    parallel: bool = False
    extra: bool = False  # runs only in the time the planned steps leave


class Kit:
    """Where and how the steps run: sizes, paths, the Python for them."""

    def __init__(self, args: argparse.Namespace):
        self.dry = args.dry_run
        self.py = sys.executable
        self.out = osp.abspath(args.out)
        # data and work dirs of this run (removed at its end)
        self.work = tempfile.mkdtemp(prefix='mmmeta-gpu-kit-')
        self.data = osp.join(self.work, 'data')
        self.device = 'cpu' if self.dry else 'cuda'
        # the wheelhouse goes in on the device, and in a dry run given one
        # (the rehearsal of the device's versions, tools/gpu/rehearse.sh)
        self.wheels = args.wheelhouse
        if self.wheels is None and not self.dry:
            self.wheels = osp.join(ROOT, '.wheelhouse')

    def has(self, module: str) -> bool:
        """Whether ``module`` imports in the steps' Python (probed there:
        the kit's own interpreter may lack the stack)."""
        code = f'import importlib.util as u; exit(not u.find_spec({module!r}))'
        result = subprocess.run(
            [self.py, '-c', code], env=self.env(), capture_output=True
        )
        return result.returncode == 0

    def env(self) -> Dict[str, str]:
        paths = [ROOT]
        if self.wheels:
            paths.insert(0, site_dir())
        if self.dry and importlib.util.find_spec('torchvision') is None:
            # mmpretrain.models imports torchvision; the tests' stand-in
            # (tests/shims) lets mmseg's own FPN config build here
            paths.append(osp.join(ROOT, 'tests', 'shims'))
        old = os.environ.get('PYTHONPATH')
        return dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(paths + ([old] if old else [])),
            PYTHONUNBUFFERED='1',
        )

    def tool(self, script: str, *args: str) -> List[str]:
        return [self.py, script, *args]

    def sizes(self, gpu: str, dry: str) -> List[str]:
        return (dry if self.dry else gpu).split()


# ----------------------------------------------------------------- steps
def _check(kit: Kit) -> List[Command]:
    ade, coco = osp.join(kit.data, 'ade'), osp.join(kit.data, 'coco')
    make = 'tools/misc/make_demo_data.py'
    ade_n = '2 --num-val 1' if kit.dry else '16 --num-val 2'
    coco_n = '1 --num-val 1' if kit.dry else '8 --num-val 2'
    return [
        ('versions', [kit.py, '-c', VERSIONS]),
        (
            'ade20k-data',
            kit.tool(make, 'ade20k', ade, '--num-train', *ade_n.split()),
        ),
        (
            'coco-data',
            kit.tool(make, 'coco', coco, '--num-train', *coco_n.split()),
        ),
    ]


VERSIONS = """
import torch
print('torch', torch.__version__, 'CUDA', torch.version.cuda)
if torch.cuda.is_available():
    cuda = torch.cuda
    print('GPU', cuda.get_device_name(), cuda.get_device_capability())
else:
    print('no CUDA device')
import mmcv, mmdet, mmengine, mmseg, mmmeta
from mmcv.ops import nms
print('mmcv', mmcv.__version__, 'mmengine', mmengine.__version__,
      'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__)
device = 'cuda' if torch.cuda.is_available() else 'cpu'
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]], device=device)
kept = nms(boxes, torch.tensor([0.9, 0.8], device=device), 0.5)[1]
print('mmcv.ops.nms on', device, 'keeps', kept.tolist())
"""


def _user_train(kit: Kit) -> List[Command]:
    """``tools/train.py`` as the README gives it, on generated data: only
    the data, the schedule's length and the pretrained weights (no network
    on the device) are changed."""
    ade, coco = osp.join(kit.data, 'ade'), osp.join(kit.data, 'coco')
    iters = 1 if kit.dry else 20
    workers = 0 if kit.dry else 2
    common = [
        'model.backbone.init_cfg=None',
        f'train_dataloader.num_workers={workers}',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.num_workers={workers}',
        'val_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
    ] + (['train_dataloader.batch_size=1'] if kit.dry else [])
    # the FPN recipe repeats its training set (a RepeatDataset)
    fpn = common + [
        f'train_dataloader.dataset.dataset.data_root={ade}',
        f'val_dataloader.dataset.data_root={ade}',
        f'test_dataloader.dataset.data_root={ade}',
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
    ]
    ann = osp.join(coco, 'annotations', 'instances_val2017.json')
    mask_rcnn = common + [
        f'{split}_dataloader.dataset.data_root={coco}'
        for split in ('train', 'val', 'test')
    ]
    mask_rcnn += [
        f'val_evaluator.ann_file={ann}',
        f'test_evaluator.ann_file={ann}',
        'train_cfg.max_epochs=1',
    ]
    runs = [
        ('fpn', FPN, fpn, False),
        ('fpn-amp', FPN, fpn, True),
        ('fpn-lean', FPN, fpn + ['model.backbone.lean=True'], False),
        ('fpn-amp-lean', FPN, fpn + ['model.backbone.lean=True'], True),
        ('mask-rcnn', MASK_RCNN, mask_rcnn, False),
        ('mask-rcnn-amp', MASK_RCNN, mask_rcnn, True),
    ]
    commands = []
    for label, config, options, amp in runs:
        if amp and kit.dry:
            continue  # AmpOptimWrapper needs CUDA; train.py says so
        argv = kit.tool('tools/train.py', config)
        argv += ['--work-dir', osp.join(kit.work, label)] + ['--amp'] * amp
        commands.append((label, argv + ['--cfg-options'] + options))
    return commands


def _pytest(kit: Kit, select: str) -> List[Command]:
    argv = [kit.py, '-m', 'pytest', 'tests/test_gpu.py', '-m', 'gpu']
    argv += ['-k', select, '-v', '-rfEs', '-p', 'no:cacheprovider']
    argv += ['-o', 'addopts=', '--durations=10']
    if kit.has('pytest_timeout'):
        argv += ['--timeout', '90']  # one test, not the step
    if kit.has('xdist') and not kit.dry:
        argv += ['-n', '6']  # inductor compiles in parallel on 16 cores
    return [('pytest', argv)]


def _fpn_iteration(kit: Kit) -> List[Command]:
    configs = [FPN] + ([MMSEG_FPN] if kit.has('mmpretrain') else [])
    size = kit.sizes(
        '--batch 8 --crop 512 512 --warmup 3 --steps 10',
        '--batch 1 --crop 64 64 --warmup 0 --steps 1 --no-memory',
    )
    script = 'tools/analysis/train_iteration.py'
    argv = kit.tool(script, *configs, *size, '--device', kit.device)
    return [('amp-fp16', argv + ['--amp', 'fp16'])]


def _bench(kit: Kit, *args: str) -> List[str]:
    return kit.tool(
        'tools/analysis/benchmark.py', '--device', kit.device, *args
    )


def _peer(kit: Kit, timm_name: str) -> Tuple[List[str], List[str]]:
    """timm's model as the peer where timm is there (stage outputs without
    norms, so ours without them too)."""
    if not kit.has('timm'):
        return [], []
    args = ['--official-code', 'timm', '--official-model', timm_name]
    return ['official'], args + ['--options', 'out_norm_cfg=None']


def _inference(kit: Kit) -> List[Command]:
    peer, peer_args = _peer(kit, 'poolformer_s12')
    size = kit.sizes(
        '--batch 64 --shape 224 224 --warmup 5 --repeats 20',
        '--batch 1 --shape 64 64 --warmup 0 --repeats 1 --no-memory',
    )
    model = ['--backbone', 'PoolFormer', '--arch', 's12', '--channels-last']
    model += peer_args + size
    eager = peer + ['fast', 'deploy']
    compiled = [] if kit.dry else ['compiled']  # inductor: minutes on a CPU
    return [
        (
            'autocast-fp16',
            _bench(
                kit, *model, '--dtype', 'autocast-fp16', '--variants', *eager
            ),
        ),
        (
            'fp32',
            _bench(
                kit, *model, '--dtype', 'fp32', '--variants', *eager, *compiled
            ),
        ),
    ]


def _train_step(
    kit: Kit, backbone: str, arch: str, variants: str, *options: str
) -> List[Command]:
    size = kit.sizes(
        '--batch 8 --shape 512 512 --warmup 2 --repeats 5',
        '--batch 1 --shape 64 64 --warmup 0 --repeats 1 --no-memory',
    )
    variants = variants.split()
    if kit.dry:
        variants = [v for v in variants if v != 'compile']
    argv = _bench(
        kit, '--train', '--backbone', backbone, '--arch', arch, *size
    )
    if options:
        argv += ['--options', *options]
    return [(f'{backbone}-{arch}', argv + ['--variants', *variants])]


def _many_iterations(kit: Kit, config: str) -> List[Command]:
    size = kit.sizes(
        '--batch 8 --crop 512 512 --steps 300',
        '--batch 1 --crop 64 64 --steps 2',
    )
    argv = kit.tool('tools/analysis/train_iteration.py', config, *size)
    argv += ['--device', kit.device, '--amp', 'fp16', '--no-timing']
    return [('amp-fp16', argv)]


PLAN = [
    Step(
        'check',
        30,
        'versions, mmcv.ops.nms on the GPU, generated data',
        _check,
    ),
    Step(
        'user-train',
        120,
        'tools/train.py: FPN-PoolFormer-S12 fp32/--amp x default/lean, '
        'Mask R-CNN fp32/--amp (mmcv CUDA ops), in parallel',
        _user_train,
        parallel=True,
    ),
    Step(
        'gpu-tests',
        140,
        'pytest -m gpu tests/test_gpu.py, all but the compiled ones',
        lambda kit: _pytest(kit, 'not inductor and not traces'),
    ),
    Step(
        'fpn-iteration',
        60,
        "our FPN config's training iteration next to mmseg's own, AMP fp16",
        _fpn_iteration,
    ),
    Step(
        'inference',
        90,
        'PoolFormer-S12 img/s against timm, fp32 and AMP, eager and compiled',
        _inference,
    ),
    Step(
        'train-step',
        60,
        'PoolFormer-S12 training step: held MiB, peak MB, ms; autograd, '
        'lean, cp',
        lambda kit: _train_step(kit, 'PoolFormer', 's12', 'autograd lean cp'),
    ),
    Step(
        'gpu-tests-compiled',
        150,
        'pytest -m gpu: the training step traced, inductor inference',
        lambda kit: _pytest(kit, 'inductor or traces'),
        extra=True,
    ),
    Step(
        'train-step-transnext',
        60,
        'TransNeXt-Tiny training step (memory-bound recipe)',
        lambda kit: _train_step(
            kit,
            'TransNeXt',
            'tiny',
            'autograd lean cp',
            f'img_size={64 if kit.dry else 512}',
        ),
        extra=True,
    ),
    Step(
        'train-step-compiled',
        120,
        'PoolFormer-S12 training step compiled as tools/train.py --compile '
        'does, next to eager',
        lambda kit: _train_step(kit, 'PoolFormer', 's12', 'autograd compile'),
        extra=True,
    ),
    Step(
        'fpn-300-amp',
        90,
        'FPN: 300 AMP fp16 iterations, every loss finite',
        lambda kit: _many_iterations(kit, FPN),
        extra=True,
    ),
    Step(
        'mask-rcnn-300-amp',
        90,
        'Mask R-CNN: 300 AMP fp16 iterations, every loss finite',
        lambda kit: _many_iterations(kit, MASK_RCNN),
        extra=True,
    ),
]


def planned_seconds() -> int:
    """The caps of the planned (not extra) steps, the install included."""
    return INSTALL_CAP + sum(step.cap for step in PLAN if not step.extra)


# -------------------------------------------------------------- wheelhouse
INSTALL_CAP = 40


def site_dir() -> str:
    return os.environ.get(
        'GPU_SITE', osp.join(tempfile.gettempdir(), 'mmmeta-site')
    )


def install(wheels: str, log: 'Log') -> str:
    """Install the wheelhouse into :func:`site_dir` (not into the device's
    environment): checked against its SHA256SUMS, skipped when that exact
    set is installed already. Returns a status."""
    sums = osp.join(wheels, 'SHA256SUMS')
    if not osp.isfile(sums):
        return (
            f'failed: no {sums}; copy ../shared/gpu-wheelhouse (or run '
            'tools/gpu/build_wheelhouse.sh) into .wheelhouse and carry it'
        )
    expected = open(sums).read()
    for line in expected.splitlines():
        digest, name = line.split(maxsplit=1)
        path = osp.join(wheels, name.lstrip('*'))
        with open(path, 'rb') as f:
            if hashlib.sha256(f.read()).hexdigest() != digest:
                return f'failed: {name} does not match SHA256SUMS'
    stamp = osp.join(site_dir(), '.mmmeta-wheelhouse')
    if osp.isfile(stamp) and open(stamp).read() == expected:
        log.line('install', f'{site_dir()} already holds this wheelhouse')
        return 'ok'
    names = [
        osp.join(wheels, n.split(maxsplit=1)[1].lstrip('*'))
        for n in expected.splitlines()
    ]
    argv = [
        sys.executable,
        '-m',
        'pip',
        'install',
        '-q',
        '--no-index',
        '--no-deps',
    ]
    argv += [
        '--no-compile',
        '--no-cache-dir',
        '--upgrade',
        '--target',
        site_dir(),
    ]
    status, _ = run_commands(
        [('pip', argv + names)],
        INSTALL_CAP,
        False,
        dict(os.environ),
        log,
        'install',
    )
    if status['pip'] == 'ok':
        with open(stamp, 'w') as f:
            f.write(expected)
    return status['pip']


# ------------------------------------------------------------------ output
class Log:
    """``kit.log``, ``summary.md`` and ``steps.tsv``, each appended and
    flushed line by line (threads write through one lock)."""

    def __init__(self, out: str):
        os.makedirs(out, exist_ok=True)
        self.lock = threading.Lock()
        self.files = {
            name: open(osp.join(out, name), 'a', buffering=1) for name in FILES
        }

    def line(self, tag: str, text: str) -> None:
        with self.lock:
            self.files['kit.log'].write(f'[{tag}] {text}\n')
            print(f'[{tag}] {text}', flush=True)

    def summary(self, text: str) -> None:
        with self.lock:
            self.files['summary.md'].write(text + '\n')

    def finished(self, step: str, status: str, seconds: float) -> None:
        with self.lock:
            self.files['steps.tsv'].write(f'{step}\t{status}\t{seconds:.0f}\n')


def finished_steps(folder: str) -> Dict[str, str]:
    path = osp.join(folder, 'steps.tsv')
    if not osp.isfile(path):
        return {}
    rows = (
        line.split('\t') for line in open(path).read().splitlines() if line
    )
    return {row[0]: row[1] for row in rows}


try:  # looked up before any fork: the child only calls it
    _PRCTL = ctypes.CDLL(None).prctl
except (AttributeError, OSError):  # not Linux
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child: SIGKILL when the kit dies (a cut-off call, a killed
    test), so no command outlives it (Linux's PR_SET_PDEATHSIG)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)


def run_commands(
    commands: List[Command],
    cap: float,
    parallel: bool,
    env: Dict[str, str],
    log: Log,
    step: str,
) -> Tuple[Dict[str, str], Dict[str, float]]:
    """Run ``commands`` (in parallel or in turn) within ``cap`` seconds in
    all; every output line goes to the log as it comes. Returns each
    command's status and seconds."""
    deadline = time.monotonic() + cap
    status: Dict[str, str] = {}
    seconds: Dict[str, float] = {}

    def start(label: str, argv: List[str]):
        log.line(f'{step}/{label}', '$ ' + shlex.join(argv))
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors='replace',
            process_group=0,
            preexec_fn=_die_with_parent,
        )
        reader = threading.Thread(
            target=lambda: [
                log.line(f'{step}/{label}', line.rstrip('\n'))
                for line in proc.stdout
            ],
            daemon=True,
        )
        reader.start()
        return proc, reader, time.monotonic()

    def finish(label: str, proc, reader, began: float) -> None:
        timed_out = False
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            timed_out = True
            log.line(f'{step}/{label}', f'cap of {cap:.0f} s reached: SIGINT')
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        reader.join(timeout=5)
        seconds[label] = time.monotonic() - began
        if timed_out:
            status[label] = f'timed out at {cap:.0f} s'
        else:
            status[label] = (
                'ok'
                if proc.returncode == 0
                else f'failed (exit {proc.returncode})'
            )

    if parallel:
        running = [(label, *start(label, argv)) for label, argv in commands]
        for label, proc, reader, began in running:
            finish(label, proc, reader, began)
    else:
        for label, argv in commands:
            if time.monotonic() >= deadline:
                status[label], seconds[label] = (
                    'skipped: the step cap was spent',
                    0.0,
                )
                continue
            finish(label, *start(label, argv))
    return status, seconds


# -------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[1:]),
    )
    parser.add_argument(
        '--plan', action='store_true', help='print the plan and stop'
    )
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='the same steps on the CPU at toy sizes (no wheels installed, '
        'no GPU number): checks the kit',
    )
    parser.add_argument(
        '--out',
        default=os.environ.get('OUT') or osp.join(ROOT, 'work_dirs', 'gpu'),
        help='output folder (default: $OUT, else work_dirs/gpu)',
    )
    parser.add_argument(
        '--budget',
        type=int,
        default=BUDGET_S,
        help='seconds for everything (default %(default)s)',
    )
    parser.add_argument(
        '--wheelhouse',
        help='wheels to install (default on the device: .wheelhouse; in a '
        'dry run none unless given; docs/gpu.md)',
    )
    parser.add_argument(
        '--resume',
        nargs='?',
        const='',
        metavar='DIR',
        help='skip the steps an earlier run finished: its files in DIR '
        '(default: the output folder) are carried on into the output folder',
    )
    parser.add_argument(
        '--only',
        nargs='+',
        metavar='STEP',
        help='run only these steps (and the install)',
    )
    args = parser.parse_args(argv)
    names = [step.name for step in PLAN]
    unknown = set(args.only or ()) - set(names)
    if unknown:
        parser.error(
            f'unknown step(s) {sorted(unknown)}; the steps are {names}'
        )
    return args


def print_plan(budget: int) -> int:
    print(f'{"step":<22}{"cap":>6}  what')
    print(
        f'{"install":<22}{INSTALL_CAP:>5}s  the wheelhouse, checked '
        '(GPU run only)'
    )
    for step in PLAN:
        extra = '  [extra: in the time left]' if step.extra else ''
        print(f'{step.name:<22}{step.cap:>5}s  {step.what}{extra}')
    total = planned_seconds()
    print(f'total of the planned steps: {total} s of a {budget} s budget')
    if total > budget:
        print(
            f'the plan does not fit: {total} s > {budget} s', file=sys.stderr
        )
        return 1
    return 0


def carry_on(previous: str, out: str) -> None:
    """Continue an earlier run: its three files into ``out`` (appended to,
    so nothing of it is lost)."""
    if osp.abspath(previous) == out:
        return
    for name in FILES:
        source = osp.join(previous, name)
        if osp.isfile(source):
            with open(source) as f, open(osp.join(out, name), 'a') as g:
                g.write(f.read())


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.plan:
        return print_plan(args.budget)
    kit = Kit(args)
    try:
        return run_plan(kit, args)
    finally:
        shutil.rmtree(kit.work, ignore_errors=True)


def run_plan(kit: Kit, args: argparse.Namespace) -> int:
    """Install, then every step of :data:`PLAN` that the budget, ``--only``
    and ``--resume`` leave; 1 if a command failed or timed out."""
    os.makedirs(kit.out, exist_ok=True)
    if args.resume is not None:
        carry_on(args.resume or kit.out, kit.out)
    done = finished_steps(kit.out) if args.resume is not None else {}
    log = Log(kit.out)
    start = time.monotonic()
    mode = (
        'dry run on the CPU: toy sizes, no GPU numbers'
        if kit.dry
        else 'GPU run'
    )
    log.summary(f'\n# mmmeta GPU kit: {mode}\n')
    log.summary(
        time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
        + f', commit {commit()}'
    )
    if done:
        log.summary(f'resumed: {", ".join(sorted(done))} finished before')
    log.summary('\n| step | command | status | seconds |\n|---|---|---|---|')
    failed = False
    if kit.wheels:
        began = time.monotonic()
        status = install(kit.wheels, log)
        log.summary(
            f'| install | pip | {status} | {time.monotonic() - began:.0f} |'
        )
        if status != 'ok':
            log.line('kit', f'install {status}')
            return 1
    for step in PLAN:
        if args.only and step.name not in args.only:
            continue
        if step.name in done and step.name != 'check':  # check makes the data
            log.line(
                'kit',
                f'{step.name}: finished in the earlier run '
                f'({done[step.name]})',
            )
            continue
        left = args.budget - (time.monotonic() - start)
        if left < MIN_LEFT_S:
            log.summary(f'| {step.name} | | skipped: budget spent | 0 |')
            log.line(
                'kit', f'{step.name}: skipped, {left:.0f} s of the budget left'
            )
            continue
        cap = min(step.cap, left)
        log.line('kit', f'step {step.name} (cap {cap:.0f} s): {step.what}')
        began = time.monotonic()
        status, seconds = run_commands(
            step.commands(kit), cap, step.parallel, kit.env(), log, step.name
        )
        for label in status:
            log.summary(
                f'| {step.name} | {label} | {status[label]} | '
                f'{seconds[label]:.0f} |'
            )
        worst = next(
            (s for s in status.values() if s != 'ok' and 'skipped' not in s),
            'ok',
        )
        failed |= worst != 'ok'
        log.finished(step.name, worst, time.monotonic() - began)
    total = time.monotonic() - start
    log.summary(f'\nTotal {total:.0f} s of a {args.budget} s budget.')
    if kit.dry:
        log.summary('Dry run: no number here is a GPU measurement.')
    log.line('kit', f'done in {total:.0f} s; {kit.out}/summary.md')
    return int(failed)


def commit() -> str:
    try:
        return (
            subprocess.run(
                ['git', 'rev-parse', '--short', 'HEAD'],
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout.strip()
            or '?'
        )
    except OSError:
        return '?'


if __name__ == '__main__':
    sys.exit(main())
