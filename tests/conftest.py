"""Shared fixtures."""

import pytest

from mmmeta.utils.synthetic_data import make_ade20k, make_coco, make_imagenet


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
