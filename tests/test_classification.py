"""mmpretrain ImageClassifier configs with mmmeta backbones give the
official classifiers' logits."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)


def mmpretrain_env() -> dict:
    """Environment in which ``mmpretrain.models`` imports: the real
    torchvision if it works, else the test-only stand-in (shims/README.md)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, HERE]))
    if importlib.util.find_spec('torchvision') is None:
        env['PYTHONPATH'] += os.pathsep + osp.join(HERE, 'shims')
    return env


CHECK = r"""
import sys
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from fixture_utils import (fixture_input, fixture_state_dict, load_fixture,
                           max_relative_error)
from mmmeta.models.utils import convert_metaformer
from mmmeta.models.utils.ckpt_convert import to_mmpretrain_classifier

config, fixture_name = sys.argv[1:]
cfg = Config.fromfile(config)
from mmpretrain.registry import MODELS
with DefaultScope.overwrite_default_scope('mmpretrain'):
    model = MODELS.build(cfg.model).eval()
fixture = load_fixture(fixture_name)
official = fixture_state_dict(fixture['keys'])
state = to_mmpretrain_classifier(convert_metaformer(official))
own = model.state_dict()
state = {k: v.reshape(own[k].shape) for k, v in state.items()}
model.load_state_dict(state, strict=True)  # every key, nothing left over
with torch.no_grad():
    logits = model(fixture_input(2, 64, 64), mode='tensor')

# The official heads (upstream.md), applied to the official stage-4 output.
last = fixture['outputs'][3]
w = official
if fixture['family'] == 'poolformer':
    # fixture output = GroupNorm(1) with weight 1 / bias 0; the final norm
    # is that GroupNorm with the trained affine, before pooling.
    x = last * w['norm.weight'][:, None, None] + w['norm.bias'][:, None, None]
    expected = F.linear(x.mean((2, 3)), w['head.weight'], w['head.bias'])
else:
    x = F.layer_norm(last.mean((2, 3)), (last.shape[1], ), w['norm.weight'],
                     w['norm.bias'], eps=1e-6)
    if 'head.fc1.weight' in w:
        x = F.relu(F.linear(x, w['head.fc1.weight'], w['head.fc1.bias'])) ** 2
        x = F.layer_norm(x, (x.shape[1], ), w['head.norm.weight'],
                         w['head.norm.bias'], eps=1e-5)
        expected = F.linear(x, w['head.fc2.weight'], w['head.fc2.bias'])
    else:
        expected = F.linear(x, w['head.weight'], w['head.bias'])
print('shape', tuple(logits.shape), 'error', max_relative_error(logits,
                                                                expected))
"""


@pytest.mark.skipif(importlib.util.find_spec('mmpretrain') is None,
                    reason='mmpretrain is not installed')
@pytest.mark.parametrize('config,fixture', [
    ('poolformer_s12_in1k.py', 'poolformer_s12_cls_64x64'),
    ('identityformer_s12_in1k.py', 'identityformer_s12_64x64'),
    ('caformer_s18_in1k.py', 'caformer_s18_64x64'),
])
def test_image_classifier_matches_official_head(config, fixture):
    path = osp.join(ROOT, 'configs', 'classification', config)
    result = subprocess.run(
        [sys.executable, '-c', CHECK, path, fixture], env=mmpretrain_env(),
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith('shape (2, 1000) error'), result.stdout
    assert float(line.split()[-1]) <= 5e-4, line
