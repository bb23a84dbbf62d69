"""mmmeta's registry scope from mmdet, mmseg and mmpretrain, and the
installed stack itself (imports, resume under the installed torch)."""

import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from support import mmpretrain_env

CONFIGS = osp.join(osp.dirname(__file__), 'data', 'configs')
DOWNSTREAM = ('mmdet', 'mmseg', 'mmpretrain', 'mmcv')


def run_python(code: str, blocked=(), env=None) -> str:
    """Run ``code`` in a fresh interpreter where the ``blocked`` top-level
    packages cannot be imported (as if not installed)."""
    prelude = textwrap.dedent(f"""
        import sys
        BLOCKED = {tuple(blocked)!r}

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in BLOCKED:
                    raise ModuleNotFoundError(f'No module named {{name!r}}')

        sys.meta_path.insert(0, Blocker())
        """)
    result = subprocess.run(
        [sys.executable, '-c', prelude + code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_import_needs_only_torch_and_mmengine():
    out = run_python(
        textwrap.dedent("""
        import torch, mmmeta
        from mmmeta.registry import MODELS
        model = MODELS.build(dict(type='PoolFormer', arch='s12'))
        outs = model(torch.randn(1, 3, 64, 64))
        loaded = sorted({m.split('.')[0] for m in sys.modules} & set(BLOCKED))
        # the official op sequences are benchmark material, not mmmeta's
        assert not [m for m in sys.modules if 'official_ops' in m]
        print(mmmeta.__version__, len(outs), loaded)
        """),
        blocked=DOWNSTREAM,
    )
    version, n_outs, loaded = out.split(maxsplit=2)
    assert n_outs == '4' and loaded.strip() == '[]'


BUILD_FROM_CONFIG = """
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
assert 'mmmeta' not in sys.modules
cfg = Config.fromfile({path!r})
assert 'mmmeta' in sys.modules, 'custom_imports did not import mmmeta'
from {package}.registry import MODELS
with DefaultScope.overwrite_default_scope(cfg.default_scope):
    backbone = MODELS.build(cfg.model.backbone)
outs = backbone(torch.randn(1, 3, 64, 96))
print(type(backbone).__module__, type(backbone).__name__,
      [tuple(o.shape) for o in outs])
"""


@pytest.mark.parametrize(
    'package,config,blocked,expected',
    [
        (
            'mmdet',
            'backbone_in_mmdet.py',
            ('mmseg', 'mmpretrain'),
            'PoolFormer [(1, 64, 16, 24), (1, 128, 8, 12), (1, 320, 4, 6), '
            '(1, 512, 2, 3)]',
        ),
        (
            'mmseg',
            'backbone_in_mmseg.py',
            ('mmdet', 'mmpretrain'),
            'CAFormer [(1, 64, 16, 24), (1, 128, 8, 12), (1, 320, 4, 6), '
            '(1, 512, 2, 3)]',
        ),
        ('mmdet', 'backbone_in_mmdet.py', (), 'PoolFormer'),
        ('mmseg', 'backbone_in_mmseg.py', (), 'CAFormer'),
        (
            'mmpretrain',
            'backbone_in_mmpretrain.py',
            ('mmdet', 'mmseg'),
            'ConvFormer [(1, 512, 2, 3)]',
        ),
    ],
)
def test_build_through_downstream_registry(package, config, blocked, expected):
    pytest.importorskip(package)
    code = BUILD_FROM_CONFIG.format(
        path=osp.join(CONFIGS, config), package=package
    )
    # mmpretrain's registry imports mmpretrain.models, which needs torchvision
    env = mmpretrain_env() if package == 'mmpretrain' else None
    out = run_python(code, blocked=blocked, env=env)
    assert out.startswith('mmmeta.models.backbones.')
    assert expected in out


def test_installed_stack():
    """What the installer promises: compiled mmcv ops, mmdet and mmseg
    models importable, no torchvision."""
    out = run_python(
        textwrap.dedent("""
        import importlib.metadata as md
        import mmdet.models, mmseg.models, mmcv.ops
        from mmcv.ops import nms, RoIAlign
        import torch
        boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10],
                              [20, 20, 30, 30]])
        keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)[1]
        names = {d.metadata['Name'].lower() for d in md.distributions()}
        print(keep.tolist(), 'torchvision' in names, torch.__version__)
        """)
    )
    keep, has_torchvision, version = (
        out.split(']')[0] + ']',
        *out.split(']')[1].split(),
    )
    assert keep == '[0, 2]'
    assert has_torchvision == 'False'
    expected = os.environ.get('MMMETA_EXPECT_TORCH')
    if expected:
        assert version == expected


RESUME = r"""
import torch
from torch import nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmmeta.models import PoolFormer


class Toy(BaseModel):
    def __init__(self):
        super().__init__()
        self.backbone = PoolFormer(dict(depths=[1] * 4, dims=[8] * 4))
        self.head = nn.Linear(8, 2)

    def forward(self, inputs, labels, mode='loss'):
        feat = self.backbone(inputs)[-1].mean((2, 3))
        loss = nn.functional.cross_entropy(self.head(feat), labels)
        return {'loss': loss} if mode == 'loss' else [feat]


class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(3, 32, 32, generator=g), labels=i % 2)


def runner(max_iters, resume):
    return Runner(
        model=Toy(), work_dir=WORK_DIR, experiment_name=f'run{max_iters}',
        train_dataloader=dict(dataset=Data(), batch_size=2,
                              sampler=dict(type='DefaultSampler'),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        param_scheduler=dict(type='LinearLR', by_epoch=False, begin=0,
                             end=6, start_factor=0.1),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=2, by_epoch=False)),
        resume=resume)


first = runner(4, False)
first.train()
ckpt = torch.load(WORK_DIR + '/iter_4.pth', weights_only=False)
assert 'message_hub' in ckpt and 'optimizer' in ckpt
lr_before = first.optim_wrapper.get_lr()['lr'][0]
second = runner(6, True)
second.train()
print('resumed', second.iter, f'{lr_before:.6f}',
      f"{second.message_hub.get_info('iter')}")
"""


def test_runner_checkpoint_resumes_under_installed_torch(tmp_path):
    code = f'WORK_DIR = {str(tmp_path)!r}\n' + RESUME
    out = run_python(code)
    line = [x for x in out.splitlines() if x.startswith('resumed')][-1]
    assert line.split()[1] == '6', out
    # it continued from iteration 4 of the first run's checkpoint
    assert 'resumed epoch: 0, iter: 4' in out, out


def test_packages_import_in_one_direction():
    """No two packages of mmmeta import each other (at module level or
    inside functions): ``engine`` uses ``utils`` and ``models``, which use
    only ``registry``."""
    import ast

    package_root = osp.join(osp.dirname(osp.dirname(__file__)), 'mmmeta')
    uses = {}
    for folder, _, files in os.walk(package_root):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            parts = osp.relpath(path, package_root).split(os.sep)
            package = parts[0][:-3] if len(parts) == 1 else parts[0]
            here = ['mmmeta'] + parts[:-1]
            for node in ast.walk(ast.parse(open(path).read())):
                if isinstance(node, ast.ImportFrom):
                    base = (
                        here[: len(here) - node.level + 1]
                        if node.level
                        else []
                    )
                    target = base + (node.module or '').split('.')
                elif isinstance(node, ast.Import):
                    target = node.names[0].name.split('.')
                else:
                    continue
                target = [t for t in target if t]
                if (
                    target[:1] == ['mmmeta']
                    and len(target) > 1
                    and target[1] != package
                ):
                    uses.setdefault(package, set()).add(target[1])
    cycles = [(a, b) for a in uses for b in uses[a] if a in uses.get(b, ())]
    assert uses['engine'] >= {'utils'} and not cycles, (uses, cycles)
