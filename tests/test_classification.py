"""The mmpretrain classifier configs: every one trains a step and is
evaluated (top-1/top-5), and the released classifier files, as they are,
give the official classifiers' logits."""

import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest
from support import (
    HERE,
    all_configs,
    mmpretrain_env,
    representatives,
    slow_unless,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('mmpretrain') is None,
    reason='mmpretrain is not installed',
)
CONFIGS = all_configs('classification')
SCRIPT = osp.join(HERE, 'helpers', 'classifier_runs.py')


def run(mode, items):
    result = subprocess.run(
        [sys.executable, SCRIPT, mode, *items],
        env=mmpretrain_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-6000:]
    )
    lines = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith('{')
    ]
    return {line.pop('item'): line for line in lines}


@pytest.fixture(scope='module')
def steps(request):
    """One subprocess for the configs of the step tests selected (``make
    test``: the smallest size of each family and input size)."""
    wanted = [
        item.callspec.params['path']
        for item in request.session.items
        if item.module is request.module
        and item.originalname == 'test_one_training_step_and_evaluation'
    ]
    return run('steps', wanted)


@pytest.mark.parametrize(
    'path', slow_unless(CONFIGS, representatives(CONFIGS))
)
def test_one_training_step_and_evaluation(steps, path):
    result = steps[path]
    assert result['type'] == 'OfficialCheckpointClassifier'
    assert result['loss'] == pytest.approx(result['loss'])  # finite
    assert result['moved'] > result['trained'] // 2, result
    assert {'accuracy/top1', 'accuracy/top5'} <= set(result['metrics'])


OFFICIAL = {
    'classification/poolformer_s12_in1k.py': 'poolformer_s12_cls_64x64',
    'classification/identityformer_s12_in1k.py': 'identityformer_s12_64x64',
    'classification/poolformerv2_s12_in1k.py': 'poolformerv2_s12_64x64',
    'classification/convformer_s18_in1k.py': 'convformer_s18_64x64',
    'classification/caformer_s18_in1k.py': 'caformer_s18_64x64',
    'classification/transnext_tiny_in1k.py': 'transnext_tiny_224x224',
    'classification/ffnet_1_in1k.py': 'ffnet_1_64x64',
    'classification/inceptionnext_atto_in1k.py': 'inceptionnext_atto_61x75',
    'classification/inceptionnext_tiny_in1k.py': (
        'inceptionnext_tiny_timm_67x97'
    ),
    'classification/mambaout_femto_in1k.py': 'mambaout_femto_61x75',
    'classification/mambaout_kobe_in1k.py': 'mambaout_kobe_timm_67x97',
}


@pytest.fixture(scope='module')
def official():
    return run('official', [f'{k}:{v}' for k, v in OFFICIAL.items()])


@pytest.mark.parametrize('path', list(OFFICIAL))
def test_released_file_gives_official_logits(official, path):
    result = official[f'{path}:{OFFICIAL[path]}']
    assert result['shape'][1] == 1000
    assert result['error'] <= 5e-4, result
