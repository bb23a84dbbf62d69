"""tools/analysis/visualize_cam.py (HiResCAM, Grad-CAM, EigenCAM, feature
grids) and demo/image_demo.py (mmseg's / mmdet's inferencers) on generated
images."""

import glob
import os.path as osp
import re
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
CLS_CONFIG = osp.join(
    ROOT, 'configs', 'classification', 'poolformer_s12_in1k.py'
)


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    """A picture with one bright square: a trained-free but non-uniform
    input."""
    rgb = np.full((96, 128, 3), 40, np.uint8)
    rgb[24:72, 32:96] = (230, 200, 60)
    path = str(tmp_path_factory.mktemp('img') / 'square.png')
    Image.fromarray(rgb).save(path)
    return path


def is_png(path):
    with open(path, 'rb') as f:
        return f.read(8) == b'\x89PNG\r\n\x1a\n'


def _checkpoint(config, path):
    from mmmeta.utils.cli import build_model_from_config

    torch.manual_seed(0)
    torch.save(
        {'state_dict': build_model_from_config(config).state_dict()}, path
    )
    return str(path)


def test_grad_cam_equals_its_definition():
    feature = torch.rand(1, 3, 4, 5, requires_grad=True)
    weights = torch.tensor([1.0, -2.0, 0.5])
    score = (feature * weights[:, None, None]).sum() / 20  # grad = w / 20
    heat = visualize_cam.grad_cam(feature, score)
    expected = torch.relu(
        (feature[0].detach() * weights[:, None, None] / 20).sum(0)
    )
    torch.testing.assert_close(heat, expected)


def test_eigen_cam_finds_the_dominant_pattern():
    pattern = torch.zeros(6, 6)
    pattern[1:3, 2:5] = 1.0
    feature = (
        pattern[None, None] * torch.linspace(1, 2, 8)[None, :, None, None]
    )
    feature = feature + 0.01 * torch.randn(1, 8, 6, 6)
    heat = visualize_cam.eigen_cam(feature)
    inside = heat[pattern > 0].mean()
    outside = heat[pattern == 0].mean()
    assert inside > 10 * outside


class GatedSegmentor(torch.nn.Module):
    """A segmentor with a known answer: its backbone sees two equal bright
    squares (channel 0) and the left half of the image (channel 1); class 1
    is predicted where both are on, i.e. on the left square only, class 0
    (background) everywhere else. Features are signed, as after a norm."""

    class Backbone(torch.nn.Module):
        def forward(self, x):
            return (x * 1,)  # one stage output

    def __init__(self):
        super().__init__()
        self.backbone = self.Backbone()

    def forward(self, x, mode='tensor'):
        (feature,) = self.backbone(x)
        squares, left = feature[:, 0], feature[:, 1]
        object_logit = 4 * squares * left
        background_logit = 1 - 4 * squares * left
        return torch.stack([background_logit, object_logit], 1)


def gated_input():
    x = torch.full((1, 2, 16, 32), -1.0)
    x[:, 0, 4:12, 2:10] = 1.0  # left square
    x[:, 0, 4:12, 22:30] = 1.0  # right square, same features
    x[:, 1] = 0.0
    x[:, 1, :, :16] = 1.0
    left_square = torch.zeros(16, 32, dtype=torch.bool)
    left_square[4:12, 2:10] = True
    right_square = torch.zeros(16, 32, dtype=torch.bool)
    right_square[4:12, 22:30] = True
    return x.requires_grad_(), left_square, right_square


def test_segmentor_cam_lights_the_region_a_class_is_predicted_from():
    model = GatedSegmentor()
    x, left_square, right_square = gated_input()
    scores, stages = visualize_cam.forward_with_features(model, 'segmentor', x)
    score, target = visualize_cam.target_score(scores, 'segmentor', 1)
    heat = visualize_cam.hires_cam(stages[-1], score)
    assert target == 1
    assert heat[left_square].min() > 0
    assert heat[~left_square].max() == 0  # not the look-alike square
    # the spatial-mean weights of Grad-CAM also light the look-alike
    scores, stages = visualize_cam.forward_with_features(model, 'segmentor', x)
    score, _ = visualize_cam.target_score(scores, 'segmentor', 1)
    grad_cam = visualize_cam.grad_cam(stages[-1], score)
    assert grad_cam[right_square].min() > 0
    # background: default target = most frequent predicted class = 0, lit
    # where it is predicted, never on the left square
    scores, stages = visualize_cam.forward_with_features(model, 'segmentor', x)
    score, target = visualize_cam.target_score(scores, 'segmentor', None)
    heat = visualize_cam.hires_cam(stages[-1], score)
    assert target == 0
    assert heat[left_square].max() == 0
    assert heat[~left_square].sum() > 0


def test_cam_scaling_keeps_zero_as_no_evidence():
    heat = torch.tensor([[0.0, 0.5], [1.0, 2.0]])
    image = visualize_cam.to_image(heat, (2, 2), keep_zero=True)
    assert image.min() == 0 and image.max() == pytest.approx(1.0)
    assert image[0, 1] == pytest.approx(0.25, abs=0.05)
    empty = visualize_cam.to_image(torch.zeros(2, 2), (2, 2), keep_zero=True)
    assert empty.max() == 0


def test_cam_title_names_the_class(image, tmp_path):
    pytest.importorskip('mmseg')
    ckpt = _checkpoint(SEG_CONFIG, tmp_path / 'model.pth')
    out = str(tmp_path / 'cam.png')
    result = visualize_cam.main(
        [
            SEG_CONFIG,
            ckpt,
            image,
            '--out',
            out,
            '--shape',
            '64',
            '64',
            '--target',
            '2',
        ]
    )
    assert result['method'] == 'hirescam'
    assert "'sky' (class 2)" in result['title']


@pytest.mark.parametrize('method', ['hirescam', 'gradcam', 'eigencam'])
def test_cam_tool_draws_on_a_segmentor(method, image, tmp_path):
    pytest.importorskip('mmseg')
    config = SEG_CONFIG
    ckpt = _checkpoint(config, tmp_path / 'model.pth')
    out = str(tmp_path / 'cam.png')
    result = visualize_cam.main(
        [
            config,
            ckpt,
            image,
            '--out',
            out,
            '--method',
            method,
            '--shape',
            '64',
            '64',
        ]
    )
    assert result['heat'].shape == (64, 64)
    assert result['heat'].max() == pytest.approx(1.0) or (
        'no positive evidence' in result['title']
    )
    assert Image.open(out).size[0] > 100
    assert is_png(out)


def test_cam_tool_draws_on_a_classifier(image, tmp_path):
    pytest.importorskip('mmpretrain')
    # mmpretrain.models needs torchvision: a subprocess with the test
    # stand-in where it is missing (tests/shims)
    code = (
        f'import torch; from test_visualization import _checkpoint; '
        f'_checkpoint({CLS_CONFIG!r}, {str(tmp_path / "m.pth")!r})'
    )
    env = mmpretrain_env()
    subprocess.run(
        [sys.executable, '-c', code],
        env=env,
        check=True,
        cwd=osp.join(ROOT, 'tests'),
        timeout=600,
    )
    out = str(tmp_path / 'cam.png')
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'analysis', 'visualize_cam.py'),
            CLS_CONFIG,
            str(tmp_path / 'm.pth'),
            image,
            '--out',
            out,
            '--shape',
            '64',
            '64',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r'gradcam, .*class \d+', result.stdout)
    assert Image.open(out).size[0] > 100


def test_feature_grid(image, tmp_path):
    pytest.importorskip('mmseg')
    out = str(tmp_path / 'features.png')
    result = visualize_cam.main(
        [
            SEG_CONFIG,
            'none',
            image,
            '--out',
            out,
            '--features',
            '--shape',
            '64',
            '64',
        ]
    )
    assert result['stages'] == 4
    assert Image.open(out).size[1] > 4 * 100  # one row per stage


def test_cam_tool_refuses_detectors(image):
    pytest.importorskip('mmdet')
    config = osp.join(
        ROOT,
        'configs',
        'poolformer',
        'retinanet_poolformer_s12_fpn_1x_coco.py',
    )
    with pytest.raises(NotImplementedError, match='--features'):
        visualize_cam.main([config, 'none', image, '--out', 'x.png'])


def test_image_demo_draws_a_segmentation(image, tmp_path):
    pytest.importorskip('mmseg')
    import image_demo

    ckpt = _checkpoint(SEG_CONFIG, tmp_path / 'model.pth')
    out = str(tmp_path / 'out' / 'seg.png')
    assert (
        image_demo.main([image, SEG_CONFIG, ckpt, '--out-file', out])['task']
        == 'mmseg'
    )
    assert Image.open(out).size == (128, 96)
    assert is_png(out)  # the inferencer draws JPEG whatever the name
    jpeg = str(tmp_path / 'seg.jpg')
    image_demo.main([image, SEG_CONFIG, ckpt, '--out-file', jpeg])
    with open(jpeg, 'rb') as f:
        assert f.read(3) == b'\xff\xd8\xff'
    with pytest.raises(ValueError, match='extension'):
        image_demo.main(
            [image, SEG_CONFIG, ckpt, '--out-file', str(tmp_path / 'seg')]
        )
    with pytest.raises(FileNotFoundError, match='no checkpoint'):
        image_demo.main([image, SEG_CONFIG, 'missing.pth', '--out-file', out])


def test_image_demo_draws_detections(image, tmp_path):
    pytest.importorskip('mmdet')
    import image_demo

    config = osp.join(
        ROOT,
        'configs',
        'poolformer',
        'retinanet_poolformer_s12_fpn_1x_coco.py',
    )
    ckpt = _checkpoint(config, tmp_path / 'model.pth')
    out = str(tmp_path / 'det.png')
    assert (
        image_demo.main(
            [image, config, ckpt, '--out-file', out, '--score-thr', '0.0']
        )['task']
        == 'mmdet'
    )
    assert Image.open(out).size == (128, 96)
    assert is_png(out)
    assert not glob.glob(str(tmp_path / 'preds'))
