"""Run by test_classification.py in a subprocess whose PYTHONPATH makes
``mmpretrain.models`` importable (a real torchvision, or tests/shims).

    python classifier_runs.py steps CONFIG...      # one step + evaluation
    python classifier_runs.py official CONFIG:FIXTURE...

Prints one JSON line per config.
"""

import json
import os.path as osp
import sys

import torch
import torch.nn.functional as F
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import METRICS, MODELS, DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def build(path):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', path))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        evaluator = Evaluator(METRICS.build(cfg.val_evaluator))
    return cfg, model, wrapper, evaluator


def batch():
    from mmpretrain.structures import DataSample

    inputs = [
        torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(2)
    ]
    samples = [DataSample().set_gt_label(label) for label in (3, 7)]
    return dict(inputs=inputs, data_samples=samples)


def steps(path):
    torch.manual_seed(0)
    cfg, model, wrapper, evaluator = build(path)
    data = batch()
    model.train()
    trained = [p for p in model.backbone.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in trained]
    log = model.train_step(data, wrapper)
    moved = sum(
        not torch.equal(b, p.detach()) for b, p in zip(before, trained)
    )
    model.eval()
    with torch.no_grad():
        predictions = model.val_step(data)
    evaluator.process(data_samples=predictions, data_batch=data)
    metrics = evaluator.evaluate(2)
    return dict(
        loss=float(log['loss']),
        moved=moved,
        trained=len(trained),
        type=type(model).__name__,
        metrics={k: float(v) for k, v in metrics.items()},
    )


def official_head(fixture, state, model):
    """The official classifier on top of the official stage-4 output."""
    last, w = fixture['outputs'][3], state
    if fixture['family'] == 'poolformer':
        # fixture output = GroupNorm(1) with weight 1 / bias 0; the final
        # norm is that GroupNorm with the trained affine, before pooling.
        x = (
            last * w['norm.weight'][:, None, None]
            + w['norm.bias'][:, None, None]
        )
        return F.linear(x.mean((2, 3)), w['head.weight'], w['head.bias'])
    if fixture['family'] == 'transnext':  # outputs are already normed
        return F.linear(last.mean((2, 3)), w['head.weight'], w['head.bias'])
    if fixture['family'] == 'ffnet':
        # the fixture's outputs carry the dense output norms; the verified
        # backbone without them gives the raw last stage
        from mmmeta.models import FFNet

        bare = FFNet(
            fixture['arch'], out_norm_cfg=None, out_indices=(3,)
        ).eval()
        bare.load_state_dict(
            bare.convert_checkpoint(fixture_state_dict(fixture['keys'])),
            strict=False,
        )
        with torch.no_grad():
            raw = bare(fixture_input(fixture['batch'], *fixture['input_hw']))[
                0
            ]
        x = F.batch_norm(
            raw,
            w['norm.running_mean'],
            w['norm.running_var'],
            w['norm.weight'],
            w['norm.bias'],
            False,
            0.0,
            1e-5,
        )
        return F.linear(x.mean((2, 3)), w['head.weight'], w['head.bias'])
    x = F.layer_norm(
        last.mean((2, 3)),
        (last.shape[1],),
        w['norm.weight'],
        w['norm.bias'],
        eps=1e-6,
    )
    if 'head.fc1.weight' in w:
        x = F.relu(F.linear(x, w['head.fc1.weight'], w['head.fc1.bias'])) ** 2
        x = F.layer_norm(
            x,
            (x.shape[1],),
            w['head.norm.weight'],
            w['head.norm.bias'],
            eps=1e-5,
        )
        return F.linear(x, w['head.fc2.weight'], w['head.fc2.bias'])
    return F.linear(x, w['head.weight'], w['head.bias'])


def official(spec):
    """The released classifier file (official layout, head included) loads
    strictly into the config's model and gives the official logits."""
    path, name = spec.split(':')
    cfg, model, _, _ = build(path)
    fixture = load_fixture(name)
    # the FFNet fixture is the dense backbone: its output norms norm0..3 are
    # no part of the ImageNet file
    state = {
        k: v
        for k, v in fixture_state_dict(fixture['keys']).items()
        if not (fixture['family'] == 'ffnet' and k[:4] == 'norm')
    }
    dim = model.backbone.dims[3]
    extra = dict(
        poolformer={
            'norm.weight': (dim,),
            'norm.bias': (dim,),
            'head.weight': (1000, dim),
            'head.bias': (1000,),
        },
        transnext={'head.weight': (1000, dim), 'head.bias': (1000,)},
        ffnet={
            'norm.weight': (dim,),
            'norm.bias': (dim,),
            'norm.running_mean': (dim,),
            'norm.running_var': (dim,),
            'norm.num_batches_tracked': (),
            'head.weight': (1000, dim),
            'head.bias': (1000,),
        },
    )
    if fixture['family'] in extra:  # the fixture has backbone keys only
        from fixture_utils import fixture_tensor

        state.update(
            {
                k: fixture_tensor(k, s)
                for k, s in extra[fixture['family']].items()
            }
        )
    model.load_state_dict(dict(state), strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(
            fixture_input(fixture['batch'], *fixture['input_hw']),
            mode='tensor',
        )
    # fixtures made from the official classifier hold its logits
    expected = fixture.get('logits')
    if expected is None:
        expected = official_head(fixture, state, model)
    return dict(
        shape=list(logits.shape), error=max_relative_error(logits, expected)
    )


if __name__ == '__main__':
    mode, *items = sys.argv[1:]
    run = steps if mode == 'steps' else official
    for item in items:
        print(json.dumps(dict(item=item, **run(item))), flush=True)
