"""Shared fixtures."""
import pytest

from mmmeta.utils.synthetic_data import make_ade20k, make_coco


@pytest.fixture(scope='session')
def data(tmp_path_factory):
    """Small generated datasets in the real ADE20K and COCO layouts."""
    root = tmp_path_factory.mktemp('data')
    ade = make_ade20k(str(root / 'ade'), num_train=6, num_val=2,
                      size=(96, 128))
    coco = make_coco(str(root / 'coco'), num_train=4, num_val=2,
                     size=(112, 144))
    return dict(ade=ade, coco=coco)
