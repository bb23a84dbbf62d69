"""The GPU kit on the CPU: its plan fits the lease, tools/gpu/run_all.sh
--dry-run runs every step of the device run at toy sizes and survives being
cut off, and the training-iteration tool it uses times configs side by side
and catches non-finite losses."""

import json
import os.path as osp
import subprocess
import sys
import time

import pytest
from support import mmpretrain_env

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

import train_iteration  # noqa: E402

pytest.importorskip('mmseg')
pytest.importorskip('mmdet')

FPN = osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py')
MMSEG_FPN = 'mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py'
FPN_REL = 'configs/fpn_poolformer_s12_ade20k.py'


RUN_ALL = osp.join(ROOT, 'tools', 'gpu', 'run_all.sh')
KIT_STEPS = [
    'check',
    'user-train',
    'gpu-tests',
    'fpn-iteration',
    'inference',
    'train-step',
]


def _kit(*args, **kwargs):
    return subprocess.run(
        ['bash', RUN_ALL, *args], capture_output=True, text=True, **kwargs
    )


def test_the_plan_fits_the_budget():
    """The planned steps' caps add up to at most the budget, the user's
    commands first; a budget they do not fit is refused."""
    result = _kit('--plan')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    names = [line.split()[0] for line in lines[1:-1]]
    planned = [n for n, line in zip(names, lines[1:-1]) if 'extra' not in line]
    assert planned == ['install'] + KIT_STEPS
    total = sum(
        int(line.split()[1].rstrip('s'))
        for line in lines[1:-1]
        if 'extra' not in line
    )
    assert (
        f'total of the planned steps: {total} s of a 540 s budget'
        in result.stdout
    )
    assert total <= 540
    short = _kit('--plan', '--budget', str(total - 1))
    assert short.returncode == 1 and 'does not fit' in short.stderr


def _rows(out) -> dict:
    """summary.md's rows: (step, command) -> status."""
    rows = {}
    for line in (out / 'summary.md').read_text().splitlines():
        cells = [c.strip() for c in line.split('|')[1:-1]]
        if len(cells) == 4 and cells[0] not in ('step', '---'):
            rows[cells[0], cells[1]] = cells[2]
    return rows


@pytest.mark.slow  # the whole dry run, two minutes: make test-all
def test_a_dry_run_cut_off_then_resumed(tmp_path):
    """The kit killed (SIGKILL, as a cut-off call is) while its third step
    runs: at most 8 files in the output folder, the finished steps' results
    in them, no command left running; ``--resume`` then completes the run
    without repeating them."""
    import psutil

    out = tmp_path / 'out'
    kit = subprocess.Popen(
        ['bash', RUN_ALL, '--dry-run', '--out', str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log = out / 'kit.log'
    deadline = time.monotonic() + 400
    while '[kit] step gpu-tests' not in (
        log.read_text() if log.exists() else ''
    ):
        assert kit.poll() is None and time.monotonic() < deadline, (
            'no 3rd step'
        )
        time.sleep(0.5)
    children = psutil.Process(kit.pid).children(recursive=True)
    assert children, 'the pytest of the third step runs'
    kit.kill()
    kit.wait()
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
    files = [p for p in out.rglob('*') if p.is_file()]
    assert len(files) <= 8 and {p.name for p in files} == {
        'kit.log',
        'summary.md',
        'steps.tsv',
    }
    finished = (out / 'steps.tsv').read_text().splitlines()
    assert [row.split('\t')[:2] for row in finished] == [
        ['check', 'ok'],
        ['user-train', 'ok'],
    ]
    rows = _rows(out)
    for label in ('fpn', 'fpn-lean', 'mask-rcnn'):
        assert rows['user-train', label] == 'ok'
    assert 'mmcv.ops.nms on cpu keeps [0]' in log.read_text()
    assert 'Iter(train) [1/1]' in log.read_text()  # mmengine's own log

    result = _kit('--dry-run', '--resume', '--out', str(out), timeout=600)
    text = log.read_text()
    assert result.returncode == 0, text[-4000:]
    assert 'user-train: finished in the earlier run (ok)' in text
    steps = [
        row.split('\t') for row in (out / 'steps.tsv').read_text().splitlines()
    ]
    assert [s[0] for s in steps[:2]] == ['check', 'user-train']
    assert [s[0] for s in steps[3:7]] == KIT_STEPS[2:]  # check again: the data
    assert all(s[1] == 'ok' for s in steps), steps
    assert len(list(out.rglob('*'))) == 3
    assert 'dry run on the CPU' in (out / 'summary.md').read_text()
    tests = [
        line for line in text.splitlines() if line.startswith('[gpu-tests/')
    ]
    assert any('SKIPPED' in line for line in tests)
    assert not any('PASSED' in line for line in tests)
    # the steps' own results: both FPN configs timed on one batch; many
    # AMP iterations with a gradient scaler (mmcv's CPU NMS/RoIAlign get
    # float32), every loss finite
    iteration = '\n'.join(
        line for line in text.splitlines() if line.startswith('[fpn-iter')
    )
    assert FPN_REL in iteration and MMSEG_FPN in iteration
    for step in ('fpn-300-amp', 'mask-rcnn-300-amp'):
        assert f'[{step}/amp-fp16] ' in text
        line = text.split(f'[{step}/amp-fp16] configs/')[1].split('\n')[0]
        assert '2 iterations' in line and 'every loss finite' in line


@pytest.mark.parametrize(
    'args',
    [['--dry-run', '--frobnicate'], ['--budget'], ['--only', 'frobnicate']],
    ids=['unknown', 'missing value', 'unknown step'],
)
def test_run_all_refuses_bad_arguments(args):
    result = _kit(*args)
    assert result.returncode == 2 and 'error' in result.stderr


def test_the_kit_needs_the_wheelhouse_on_the_device(tmp_path):
    result = _kit(
        '--out', str(tmp_path), '--wheelhouse', str(tmp_path / 'none')
    )
    assert result.returncode == 1
    assert (
        'copy ../shared/gpu-wheelhouse'
        in (tmp_path / 'summary.md').read_text()
    )


def test_build_wheelhouse_refuses_unknown_arguments():
    script = osp.join(ROOT, 'tools', 'gpu', 'build_wheelhouse.sh')
    result = subprocess.run(
        ['bash', script, '--frobnicate'], capture_output=True, text=True
    )
    assert result.returncode == 2 and 'unknown argument' in result.stderr
    assert (
        'mmcv'
        in subprocess.run(
            ['bash', script, '--help'], capture_output=True, text=True
        ).stdout
    )


def test_build_wheelhouse_finds_two_versions_of_a_project(tmp_path):
    """The device installs with --no-deps: two versions would stop it."""
    script = osp.join(ROOT, 'tools', 'gpu', 'build_wheelhouse.sh')
    for name in ('foo_bar-1.0', 'Foo.Bar-2.0', 'baz-1'):
        (tmp_path / f'{name}-py3-none-any.whl').touch()
    result = subprocess.run(
        ['bash', script, '--check', str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and 'foo-bar: 2.0 1.0' in result.stderr
    (tmp_path / 'Foo.Bar-2.0-py3-none-any.whl').unlink()
    result = subprocess.run(
        ['bash', script, '--check', str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_train_iteration_next_to_mmsegs_own_config(tmp_path):
    """Our FPN config and mmseg's own (mmpretrain's PoolFormer), timed
    interleaved on the same generated batch."""
    out = tmp_path / 'result.json'
    subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'analysis', 'train_iteration.py'),
        ]
        + [FPN, MMSEG_FPN]
        + '--batch 1 --crop 64 64 --steps 1 --warmup 0 --no-memory'.split()
        + ['--device', 'cpu', '--json', str(out)],
        check=True,
        env=mmpretrain_env(),
        timeout=600,
    )
    results = json.loads(out.read_text())['results']
    assert list(results) == [FPN, MMSEG_FPN]
    assert results[FPN]['speedup'] == 1.0
    for result in results.values():
        assert result['images_per_s'] > 0 and result['crop'] == [64, 64]


def test_a_non_finite_loss_stops_the_run(capsys):
    class Run:
        name, losses = 'some/config.py', [1.0, float('nan')]

    with pytest.raises(SystemExit) as stop:
        train_iteration._check_finite(Run(), 0)
    assert stop.value.code == 1
    assert 'iteration 1 of some/config.py' in capsys.readouterr().err
