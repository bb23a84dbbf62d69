"""Faults during training: NaN loss, a kill at any point (also during a
checkpoint write), a dying DDP worker."""

import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from support import ENV, ROOT, write_overlay

from mmmeta.engine.fileio import AtomicLocalBackend

pytest.importorskip('mmseg')
HELPERS = osp.join(osp.dirname(osp.abspath(__file__)), 'helpers')
FAULT_ENV = dict(
    ENV, PYTHONPATH=os.pathsep.join([HELPERS, ENV.get('PYTHONPATH', '')])
)


def with_hooks(path, hooks, **overrides):
    """Append fault-injection hooks (and overrides) to an overlay config."""
    text = open(path).read()
    text += (
        "\ncustom_imports = dict(imports=['mmmeta', 'fault_hooks'], "
        'allow_failed_imports=False)\n'
        f'custom_hooks = {hooks!r}\n'
    )
    for key, value in overrides.items():
        text += f'{key} = {value!r}\n'
    with open(path, 'w') as f:
        f.write(text)
    return path


def run(args, env=FAULT_ENV, timeout=600):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_atomic_write_never_leaves_a_partial_file(tmp_path, monkeypatch):
    backend = AtomicLocalBackend()
    target = tmp_path / 'iter_2.pth'
    backend.put(b'complete old checkpoint', target)

    def killed(*args):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'replace', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'new data that never completes', target)
    assert target.read_bytes() == b'complete old checkpoint'
    assert [p.name for p in tmp_path.iterdir()] == ['iter_2.pth']
    monkeypatch.undo()
    backend.put_text('iter_4.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'last_checkpoint').read_text() == 'iter_4.pth'
    assert oct((tmp_path / 'last_checkpoint').stat().st_mode)[-3:] != '600'


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, data):
    cfg = with_hooks(
        write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data, iters=6),
        [dict(type='PoisonWeightsHook', at_iter=4)],
    )
    work = tmp_path / 'work'
    result = run(['tools/train.py', cfg, '--work-dir', str(work)])
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'The training loss is nan at iteration 4' in output, output[-3000:]
    assert 'iter_2.pth' in output  # names the last good checkpoint
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    state = torch.load(work / 'iter_2.pth', weights_only=False)
    assert all(torch.isfinite(v).all() for v in state['state_dict'].values())
    assert (work / 'last_checkpoint').read_text().endswith('iter_2.pth')


@pytest.mark.parametrize(
    'kill_after', [0.0, pytest.param(0.6, marks=pytest.mark.slow)]
)
def test_killed_run_resumes_from_a_complete_checkpoint(
    tmp_path, data, kill_after
):
    """SIGKILL at a random-ish moment after the first checkpoint appears
    (checkpoints every iteration, so often mid-write); every file under a
    checkpoint name is complete and --resume finishes the run."""
    cfg = write_overlay(
        tmp_path, 'fpn_poolformer_s12_ade20k.py', data, iters=8
    )
    with open(cfg, 'a') as f:
        f.write('default_hooks = dict(checkpoint=dict(interval=1))\n')
    work = tmp_path / 'work'
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', cfg, '--work-dir', str(work)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    while not (work / 'last_checkpoint').exists() and time.time() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for path in work.glob('*.pth'):
        torch.load(path, weights_only=False)  # complete, loadable
    last = (work / 'last_checkpoint').read_text().strip()
    done = int(osp.basename(last)[len('iter_') : -len('.pth')])
    assert done < 8, 'the run ended before it was killed'
    print('killed after iteration', done)
    result = run(
        ['tools/train.py', cfg, '--work-dir', str(work), '--resume'], env=ENV
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f'resumed epoch: 0, iter: {done}' in output
    assert (work / 'iter_8.pth').exists()


def test_dying_ddp_worker_ends_the_job(tmp_path, data):
    cfg = with_hooks(
        write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data, iters=6),
        [dict(type='DieHook', at_iter=3, rank=1)],
    )
    start = time.time()
    result = run(
        [
            '-m',
            'torch.distributed.run',
            '--nproc_per_node=2',
            '--master_port=29544',
            'tools/train.py',
            cfg,
            '--work-dir',
            str(tmp_path / 'work'),
            '--launcher',
            'pytorch',
        ],
        timeout=300,
    )
    elapsed = time.time() - start
    assert result.returncode != 0
    assert 'exitcode  : 3' in result.stdout + result.stderr
    assert elapsed < 120, elapsed
