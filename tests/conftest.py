"""Shared fixtures, and the hypothesis profiles: ``ci`` (the default:
the same draws on every run, no example database) and ``explore``
(``HYPOTHESIS_PROFILE=explore make test``: new random draws, failures
remembered in ``.hypothesis/``)."""

import os
import os.path as osp
import sys

import pytest

from mmmeta.utils.synthetic_data import make_ade20k, make_coco, make_imagenet

# the benchmark tool (tools/analysis) and the official op sequences and
# other instruments (dev/) are test material too
_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(_ROOT, 'dev'))
sys.path.insert(0, osp.join(_ROOT, 'tools', 'analysis'))

try:
    from hypothesis import settings
except ImportError:  # the lent GPU machine has none; only properties need it
    settings = None
if settings is not None:
    settings.register_profile('ci', derandomize=True, database=None)
    settings.register_profile('explore', derandomize=False)
    settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))


@pytest.fixture(scope='session')
def data(tmp_path_factory):
    """Small generated datasets in the real ADE20K and COCO layouts and an
    ImageNet-like class-folder layout."""
    root = tmp_path_factory.mktemp('data')
    ade = make_ade20k(
        str(root / 'ade'), num_train=6, num_val=2, size=(96, 128)
    )
    coco = make_coco(
        str(root / 'coco'), num_train=4, num_val=2, size=(112, 144)
    )
    imagenet = make_imagenet(
        str(root / 'imagenet'), num_train=4, num_val=4, size=(72, 72)
    )
    return dict(ade=ade, coco=coco, imagenet=imagenet)
