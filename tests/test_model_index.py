"""The model zoo metadata: model-index.yml lists every config with existing
paths and the published numbers the configs state, and the installed
package exposes it where `mim search mmmeta` reads it."""

import importlib.util
import os.path as osp
import sys

import pytest
from support import ROOT, all_configs, load_config

modelindex = pytest.importorskip('modelindex.load_model_index')
METRIC_KEYS = {
    'mIoU': 'mIoU',
    'box AP': 'bbox_mAP',
    'mask AP': 'segm_mAP',
    'Top 1 Accuracy': 'top1',
}


@pytest.fixture(scope='module')
def models():
    """What mim reads: <package>/.mim/model-index.yml of the installed
    mmmeta."""
    package = osp.dirname(importlib.util.find_spec('mmmeta').origin)
    path = osp.join(package, '.mim', 'model-index.yml')
    assert osp.isfile(path), 'mmmeta was installed without its .mim files'
    return {m.name: m for m in modelindex.load(path).models}


def test_every_config_is_listed(models):
    listed = {
        osp.relpath(osp.join(ROOT, m.config), osp.join(ROOT, 'configs'))
        for m in models.values()
    }
    shipped = {
        p for p in all_configs() if '/' in p and not p.startswith('demo/')
    }
    assert listed == shipped
    for model in models.values():
        assert osp.isfile(osp.join(ROOT, model.config)), model.config
        assert osp.isfile(osp.join(ROOT, model.readme)), model.name


def test_metrics_are_the_published_results(models):
    checked = 0
    for model in models.values():
        config = osp.relpath(
            osp.join(ROOT, model.config), osp.join(ROOT, 'configs')
        )
        published = load_config(config).published_results
        stated = {
            METRIC_KEYS[metric]: value
            for result in model.results
            for metric, value in result.metrics.items()
        }
        expected = {
            k: v
            for k, v in published.items()
            if k in METRIC_KEYS.values() and v is not None
        }
        assert stated == expected, model.name
        assert model.weights == (
            published.get('weights')
            or (
                load_config(config).checkpoint_file
                if config.startswith('classification/')
                else None
            )
        )
        checked += len(stated)
    assert checked > 80


def test_metadata_files_are_up_to_date():
    """The files are generated from the configs (tools/misc/
    make_model_index.py); a config edit without regenerating them fails
    here."""
    sys.path.insert(0, osp.join(ROOT, 'dev'))
    import make_model_index

    def load(path):  # configs/x/y.py -> the session's parsed configs
        return load_config(osp.relpath(path, 'configs'))

    for path, text in make_model_index.files(load).items():
        with open(osp.join(ROOT, path)) as f:
            assert f.read() == text, f'{path} is out of date'
