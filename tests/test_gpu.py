"""The contracts on a CUDA GPU (``pytest -m gpu``; tools/gpu/run_all.sh runs
them on a lent GPU). Skipped without CUDA: a skip here is no coverage.

Every family: the CUDA result equals the CPU's (float32, TF32 off), AMP
float16 / bfloat16 forward + backward stays finite and close to float32,
the lean training path and ``with_cp`` give autograd's gradients,
``switch_to_deploy`` keeps the outputs, and the training step traces as one
graph; then one training iteration of the FPN, RetinaNet, Mask R-CNN and
UperNet configs with mmcv's CUDA ops, and inductor compilation last (the
slowest).
"""

import os.path as osp
import sys

import pytest
import torch
import torch.nn.functional as F
from families import FAMILIES, FAMILY_IDS
from fixture_utils import max_relative_error
from steps import (
    assert_compiled_training_matches,
    assert_gradients_close,
    train_step,
    with_trained_scales,
)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CUDA = torch.cuda.is_available()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not CUDA, reason='needs a CUDA GPU'),
]
by_family = pytest.mark.parametrize('family', FAMILIES, ids=FAMILY_IDS)
AMP = pytest.mark.parametrize(
    'dtype', [torch.float16, torch.bfloat16], ids=['fp16', 'bf16']
)


@pytest.fixture(autouse=True)
def exact_float32():
    """Full float32 matrix products (no TF32), as on the CPU."""
    matmul, cudnn = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
    )
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32 = matmul
    torch.backends.cudnn.allow_tf32 = cudnn


def _model(family, **kwargs):
    torch.manual_seed(0)
    return with_trained_scales(
        family.shallow(**{**family.deploy_options, **kwargs})
    )


def _input(batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, 64, 96, generator=torch.manual_seed(1))


@by_family
def test_cuda_equals_cpu(family):
    model = _model(family).eval()
    x = _input()
    with torch.no_grad():
        expected = model(x)
        outs = model.cuda()(x.cuda())
    for out, ref in zip(outs, expected):
        assert out.is_cuda
        assert max_relative_error(out.cpu(), ref) <= 1e-4


@by_family
def test_cuda_training_step_equals_cpu(family):
    model = _model(family).train()
    x = _input()
    outs, grads = train_step(model, x)
    cuda_outs, cuda_grads = train_step(model.cuda(), x.cuda())
    for out, ref in zip(cuda_outs, outs):
        assert max_relative_error(out.cpu(), ref) <= 1e-4
    assert_gradients_close(
        {k: g.cpu() for k, g in cuda_grads.items()}, grads, 1e-3
    )


@AMP
@by_family
def test_amp_training_finite_and_close(family, dtype):
    model = _model(family).train().cuda()
    x = _input().cuda()
    outs, grads = train_step(model, x)
    with torch.autocast('cuda', dtype):
        amp_outs, amp_grads = train_step(model, x)
    for out, ref in zip(amp_outs, outs):
        assert torch.isfinite(out).all()
        cosine = F.cosine_similarity(
            out.float().flatten(), ref.flatten(), dim=0
        )
        assert cosine >= 0.99
    for name, grad in amp_grads.items():
        assert torch.isfinite(grad).all(), name


@by_family
def test_lean_and_with_cp_equal_autograd_on_cuda(family):
    model = _model(family, drop_path_rate=0.3).train().cuda()
    x = _input().cuda()
    model.lean = False
    outs, grads = train_step(model, x)
    model.lean = True
    lean_outs, lean_grads = train_step(model, x)
    model.with_cp = True
    cp_outs, cp_grads = train_step(model, x)
    for other_outs in (lean_outs, cp_outs):
        for out, ref in zip(other_outs, outs):
            assert max_relative_error(out, ref) <= 1e-5
    assert_gradients_close(lean_grads, grads, 1e-4)
    assert_gradients_close(cp_grads, grads, 1e-4)


@by_family
def test_deploy_on_cuda(family):
    model = _model(family).eval().cuda()
    x = _input().cuda()
    with torch.no_grad():
        expected = model(x)
        model.switch_to_deploy()
        outs = model(x)
        with torch.autocast('cuda', torch.float16):
            half = model(x)
    for out, ref, h in zip(outs, expected, half):
        assert max_relative_error(out, ref) <= 1e-4
        assert torch.isfinite(h).all()


@by_family
def test_training_step_traces_as_one_graph_on_cuda(family):
    model = _model(family, out_indices=(0, 3)).train().cuda()
    assert_compiled_training_matches(model, _input(1).cuda())


CONFIGS = [
    'poolformer/fpn_poolformer_s12_ade20k.py',
    'poolformer/retinanet_poolformer_s12_fpn_1x_coco.py',
    'poolformer/mask_rcnn_poolformer_s12_fpn_1x_coco.py',
    'transnext/upernet_transnext_tiny_8xb2-160k_ade20k-512x512.py',
]


@pytest.mark.parametrize('config', CONFIGS)
def test_config_training_iteration_with_cuda_ops(config):
    """Two AMP iterations (the RoIAlign / NMS / focal-loss CUDA kernels of
    mmcv run in the detectors), losses finite."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
    import train_iteration

    args = train_iteration.parse_args(
        [osp.join(ROOT, 'configs', config), '--batch', '2', '--crop']
        + ['256', '256', '--amp', 'fp16', '--device', 'cuda']
    )
    trainer = train_iteration.Trainer(args.configs[0], args)
    for i in range(2):
        loss = trainer.step(trainer.batch(i))
        assert torch.isfinite(torch.tensor(loss)), (config, i, loss)


@by_family
def test_inductor_compiled_inference_on_cuda(family):
    """``optimize_for_inference(compile=True)`` (deploy + inductor) on the
    GPU, equal to eager."""
    import mmmeta

    model = _model(family).eval().cuda()
    x = _input().cuda()
    with torch.no_grad():
        expected = model(x)
        torch._dynamo.reset()
        compiled = mmmeta.optimize_for_inference(model, compile=True)
        outs = compiled(x)
    for out, ref in zip(outs, expected):
        assert max_relative_error(out, ref) <= 1e-4
