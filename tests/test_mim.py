"""OpenMMLab's ``mim`` finds the model zoo, configs and tools of mmmeta
(distribution ``mmmetaformer``) from the editable install of this checkout
and from a regular wheel: ``mim search``, ``mim train`` and ``mim test``
round trips on generated data."""

import glob
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from support import ENV, ROOT

from mmmeta.utils.synthetic_data import make_ade20k

pytest.importorskip('mim')
pytestmark = pytest.mark.slow
DEMO = 'fpn_poolformer_s12_demo.py'  # found by name under .mim/configs
SHORT = [
    '--cfg-options',
    'train_cfg.max_iters=2',
    'train_cfg.val_interval=2',
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
]


def mim(*args, cwd, env=None):
    result = subprocess.run(
        [sys.executable, '-m', 'mim', *args],
        cwd=cwd,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder with the demo config's data at its relative data_root."""
    root = tmp_path_factory.mktemp('mim')
    make_ade20k(
        str(root / 'data' / 'demo' / 'ade'),
        num_train=4,
        num_val=2,
        size=(96, 128),
    )
    return root


@pytest.fixture(scope='module')
def trained(workspace):
    """``mim train`` from the editable install, by config name."""
    output = mim(
        'train',
        'mmmetaformer',
        DEMO,
        '--gpus',
        '0',
        '--work-dir',
        'work',
        *SHORT,
        cwd=workspace,
    )
    assert osp.join(ROOT, 'configs', 'demo', DEMO) in output
    checkpoints = glob.glob(str(workspace / 'work' / 'iter_2.pth'))
    assert checkpoints, output[-3000:]
    return checkpoints[0]


def test_mim_search_lists_the_model_zoo(workspace):
    output = mim(
        'search',
        'mmmetaformer',
        '--config',
        'upernet_transnext_tiny_8xb2-160k_ade20k-512x512',
        cwd=workspace,
    )
    assert 'ade20k/miou' in output and '51.1' in output


def test_mim_train_and_test_from_the_editable_install(workspace, trained):
    output = mim(
        'test',
        'mmmetaformer',
        DEMO,
        '--checkpoint',
        trained,
        '--gpus',
        '0',
        *SHORT,
        cwd=workspace,
    )
    assert 'mIoU' in output


def test_mim_from_a_regular_wheel(workspace, trained, tmp_path):
    """Build a wheel from a copy of the checkout (the build copies the
    configs and tools into the package, which must not happen to the
    checkout itself) and use it in place of the editable install."""
    files = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    source = tmp_path / 'src'
    for name in files:
        if osp.isfile(osp.join(ROOT, name)):
            os.makedirs(source / osp.dirname(name), exist_ok=True)
            shutil.copy2(osp.join(ROOT, name), source / name)
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pip',
            'wheel',
            '--no-deps',
            '--no-build-isolation',
            '-w',
            str(tmp_path / 'dist'),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = glob.glob(str(tmp_path / 'dist' / 'mmmetaformer-*.whl'))
    target = tmp_path / 'site'
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pip',
            'install',
            '--no-deps',
            '--target',
            str(target),
            wheel,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    package = target / 'mmmeta' / '.mim'
    for name in (
        'model-index.yml',
        'configs/demo/' + DEMO,
        'tools/train.py',
        'tools/test.py',
    ):
        assert (package / name).is_file(), name
    env = dict(ENV, PYTHONPATH=str(target))
    output = mim(
        'search',
        'mmmetaformer',
        '--config',
        'fpn_poolformer_s12_ade20k',
        cwd=workspace,
        env=env,
    )
    assert 'ade20k/miou' in output and '37.2' in output
    output = mim(
        'test',
        'mmmetaformer',
        DEMO,
        '--checkpoint',
        trained,
        '--gpus',
        '0',
        *SHORT,
        cwd=workspace,
        env=env,
    )
    assert str(package / 'configs' / 'demo' / DEMO) in output
    assert 'mIoU' in output
