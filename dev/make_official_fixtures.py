"""Make the reference fixtures of InceptionNeXt and MambaOut
(``tests/data/official/``) by running the official model files and timm's.

The official code is *not* part of mmmeta: point this script at checkouts
of the official repositories and at an environment with timm (the official
files import it)::

    git clone https://github.com/sail-sg/inceptionnext
    git clone https://github.com/yuweihao/MambaOut
    pip install timm  # (1.0.31 made the committed files)
    python dev/make_official_fixtures.py \
        --inceptionnext inceptionnext --mambaout MambaOut

Each model gets the deterministic weights of ``tests/fixture_utils.py`` for
its own ``state_dict()`` keys, runs in eval mode on ``fixture_input`` in
float32, and the raw output of every stage (NCHW) and the classifier's
logits are stored with the keys (see ``tests/data/official/README.md``).
"""

import argparse
import importlib.util
import os.path as osp
import subprocess
import sys
from typing import Callable, List

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tests'))

from fixture_utils import (  # noqa: E402
    FIXTURE_DIR,
    fixture_input,
    fixture_state_dict,
)


def load_official(path: str, name: str):
    """Import an official model file without registering its models in
    timm (its names clash with timm's own)."""
    import timm.layers.helpers
    import timm.models.registry as registry

    # the official files target timm 0.6, which had this module
    sys.modules.setdefault('timm.models.layers.helpers', timm.layers.helpers)
    original = registry.register_model
    registry.register_model = lambda fn: fn
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        registry.register_model = original
    return module


def revision(repo: str) -> str:
    return subprocess.run(
        ['git', '-C', repo, 'rev-parse', '--short', 'HEAD'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run(
    model: torch.nn.Module,
    stages: List[torch.nn.Module],
    channels_last: bool,
    batch: int,
    height: int,
    width: int,
) -> dict:
    keys = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    model.load_state_dict(fixture_state_dict(keys))
    model.eval()
    outputs = []
    hooks = [
        stage.register_forward_hook(lambda m, i, o: outputs.append(o))
        for stage in stages
    ]
    with torch.no_grad():
        logits = model(fixture_input(batch, height, width))
    for hook in hooks:
        hook.remove()
    if channels_last:
        outputs = [o.permute(0, 3, 1, 2) for o in outputs]
    return dict(
        keys=keys,
        batch=batch,
        input_hw=(height, width),
        outputs=[o.contiguous() for o in outputs],
        logits=logits,
        raw_stage_outputs=True,
    )


def save(name: str, family: str, arch: str, fmt: str, source: str, **run):
    fixture = dict(family=family, arch=arch, format=fmt, source=source, **run)
    path = osp.join(FIXTURE_DIR, f'{name}.pt')
    torch.save(fixture, path)
    shapes = [tuple(o.shape) for o in fixture['outputs']]
    print(f'{path}: {shapes}, logits {tuple(fixture["logits"].shape)}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--inceptionnext', required=True, help='checkout')
    parser.add_argument('--mambaout', required=True, help='checkout')
    args = parser.parse_args()
    import timm

    inception = load_official(
        osp.join(args.inceptionnext, 'models', 'inceptionnext.py'),
        'official_inceptionnext',
    )
    mambaout = load_official(
        osp.join(args.mambaout, 'models', 'mambaout.py'), 'official_mambaout'
    )
    inception_src = (
        f'sail-sg/inceptionnext @ {revision(args.inceptionnext)}, '
        'models/inceptionnext.py'
    )
    mambaout_src = (
        f'yuweihao/MambaOut @ {revision(args.mambaout)}, models/mambaout.py'
    )
    timm_src = f'timm {timm.__version__}'

    def timm_model(name: str) -> torch.nn.Module:
        return timm.create_model(name, pretrained=False)

    cases: List[Callable[[], None]] = []

    def case(fn):
        cases.append(fn)
        return fn

    @case
    def inceptionnext_atto():
        model = inception.inceptionnext_atto()
        save(
            'inceptionnext_atto_61x75',
            'inceptionnext',
            'atto',
            'inceptionnext',
            inception_src + ', inceptionnext_atto',
            **run(model, list(model.stages), False, 2, 61, 75),
        )

    @case
    def inceptionnext_tiny_timm():
        model = timm_model('inception_next_tiny')
        save(
            'inceptionnext_tiny_timm_67x97',
            'inceptionnext',
            'tiny',
            'inceptionnext',
            timm_src + ', inception_next_tiny',
            **run(model, list(model.stages), False, 1, 67, 97),
        )

    @case
    def mambaout_femto():
        model = mambaout.mambaout_femto()
        save(
            'mambaout_femto_61x75',
            'mambaout',
            'femto',
            'mambaout-official',
            mambaout_src + ', mambaout_femto',
            **run(model, list(model.stages), True, 2, 61, 75),
        )

    @case
    def mambaout_kobe_timm():
        model = timm_model('mambaout_kobe')
        save(
            'mambaout_kobe_timm_67x97',
            'mambaout',
            'kobe',
            'timm-mambaout',
            timm_src + ', mambaout_kobe',
            **run(model, list(model.stages), True, 1, 67, 97),
        )

    @case
    def mambaout_base_wide_rw_timm():
        model = timm_model('mambaout_base_wide_rw')
        save(
            'mambaout_base_wide_rw_timm_33x47',
            'mambaout',
            'base_wide_rw',
            'timm-mambaout',
            timm_src + ', mambaout_base_wide_rw',
            **run(model, list(model.stages), True, 1, 33, 47),
        )

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    for make in cases:
        make()


if __name__ == '__main__':
    main()
