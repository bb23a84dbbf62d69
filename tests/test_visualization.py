"""tools/analysis/visualize_cam.py (Grad-CAM, EigenCAM, feature grids) and
demo/image_demo.py (mmseg's / mmdet's inferencers) on generated images."""
import glob
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from support import mmpretrain_env

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
sys.path.insert(0, osp.join(ROOT, 'demo'))

import visualize_cam  # noqa: E402

SEG_CONFIG = osp.join(ROOT, 'configs', 'demo', 'fpn_poolformer_s12_demo.py')
CLS_CONFIG = osp.join(ROOT, 'configs', 'classification',
                      'poolformer_s12_in1k.py')


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    """A picture with one bright square: a trained-free but non-uniform
    input."""
    rgb = np.full((96, 128, 3), 40, np.uint8)
    rgb[24:72, 32:96] = (230, 200, 60)
    path = str(tmp_path_factory.mktemp('img') / 'square.png')
    Image.fromarray(rgb).save(path)
    return path


def _checkpoint(config, path):
    from mmmeta.utils.cli import build_model_from_config
    torch.manual_seed(0)
    torch.save({'state_dict': build_model_from_config(config).state_dict()},
               path)
    return str(path)


def test_grad_cam_equals_its_definition():
    feature = torch.rand(1, 3, 4, 5, requires_grad=True)
    weights = torch.tensor([1.0, -2.0, 0.5])
    score = (feature * weights[:, None, None]).sum() / 20  # grad = w / 20
    heat = visualize_cam.grad_cam(feature, score)
    expected = torch.relu((feature[0].detach() * weights[:, None, None] /
                           20).sum(0))
    torch.testing.assert_close(heat, expected)


def test_eigen_cam_finds_the_dominant_pattern():
    pattern = torch.zeros(6, 6)
    pattern[1:3, 2:5] = 1.0
    feature = pattern[None, None] * torch.linspace(1, 2, 8)[None, :, None,
                                                            None]
    feature = feature + 0.01 * torch.randn(1, 8, 6, 6)
    heat = visualize_cam.eigen_cam(feature)
    inside = heat[pattern > 0].mean()
    outside = heat[pattern == 0].mean()
    assert inside > 10 * outside


@pytest.mark.parametrize('method', ['gradcam', 'eigencam'])
def test_cam_tool_draws_on_a_segmentor(method, image, tmp_path):
    pytest.importorskip('mmseg')
    config = SEG_CONFIG
    ckpt = _checkpoint(config, tmp_path / 'model.pth')
    out = str(tmp_path / 'cam.png')
    result = visualize_cam.main([config, ckpt, image, '--out', out,
                                 '--method', method, '--shape', '64', '64'])
    assert result['heat'].shape == (64, 64)
    assert result['heat'].max() == pytest.approx(1.0)
    assert Image.open(out).size[0] > 100


def test_cam_tool_draws_on_a_classifier(image, tmp_path):
    pytest.importorskip('mmpretrain')
    # mmpretrain.models needs torchvision: a subprocess with the test
    # stand-in where it is missing (tests/shims)
    code = (f'import torch; from test_visualization import _checkpoint; '
            f'_checkpoint({CLS_CONFIG!r}, {str(tmp_path / "m.pth")!r})')
    env = mmpretrain_env()
    subprocess.run([sys.executable, '-c', code], env=env, check=True,
                   cwd=osp.join(ROOT, 'tests'), timeout=600)
    out = str(tmp_path / 'cam.png')
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'analysis',
                                  'visualize_cam.py'), CLS_CONFIG,
         str(tmp_path / 'm.pth'), image, '--out', out, '--shape', '64',
         '64'], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'gradcam, class' in result.stdout
    assert Image.open(out).size[0] > 100


def test_feature_grid(image, tmp_path):
    pytest.importorskip('mmseg')
    out = str(tmp_path / 'features.png')
    result = visualize_cam.main([SEG_CONFIG, 'none', image, '--out', out,
                                 '--features', '--shape', '64', '64'])
    assert result['stages'] == 4
    assert Image.open(out).size[1] > 4 * 100  # one row per stage


def test_cam_tool_refuses_detectors(image):
    pytest.importorskip('mmdet')
    config = osp.join(ROOT, 'configs', 'poolformer',
                      'retinanet_poolformer_s12_fpn_1x_coco.py')
    with pytest.raises(NotImplementedError, match='--features'):
        visualize_cam.main([config, 'none', image, '--out', 'x.png'])


def test_image_demo_draws_a_segmentation(image, tmp_path):
    pytest.importorskip('mmseg')
    import image_demo
    ckpt = _checkpoint(SEG_CONFIG, tmp_path / 'model.pth')
    out = str(tmp_path / 'out' / 'seg.png')
    assert image_demo.main([image, SEG_CONFIG, ckpt, '--out-file',
                            out])['task'] == 'mmseg'
    assert Image.open(out).size == (128, 96)
    with pytest.raises(FileNotFoundError, match='no checkpoint'):
        image_demo.main([image, SEG_CONFIG, 'missing.pth', '--out-file',
                         out])


def test_image_demo_draws_detections(image, tmp_path):
    pytest.importorskip('mmdet')
    import image_demo
    config = osp.join(ROOT, 'configs', 'poolformer',
                      'retinanet_poolformer_s12_fpn_1x_coco.py')
    ckpt = _checkpoint(config, tmp_path / 'model.pth')
    out = str(tmp_path / 'det.png')
    assert image_demo.main([image, config, ckpt, '--out-file', out,
                            '--score-thr', '0.0'])['task'] == 'mmdet'
    assert Image.open(out).size == (128, 96)
    assert not glob.glob(str(tmp_path / 'preds'))
