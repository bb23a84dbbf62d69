"""The user's fastest inference path: ``mmmeta.optimize_for_inference``
(deploy + compile with freezing) and its hook for ``tools/test.py
--compile``."""
import types

import torch
from torch import nn

import mmmeta
from mmmeta.engine import InferenceOptimizeHook
from mmmeta.models import ConvFormer, PoolFormer


def test_compiled_inference_equals_eager():
    torch.manual_seed(0)
    model = PoolFormer('s12').eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = model(x)
        fast = mmmeta.optimize_for_inference(model)
        got = fast(x)
    assert isinstance(fast, torch._dynamo.eval_frame.OptimizedModule)
    for g, e in zip(got, expected):
        assert ((g - e).abs().max() / e.abs().max()) < 1e-5


def test_deploy_folds_star_relu_into_the_mlp():
    torch.manual_seed(0)
    model = ConvFormer('s18').eval()
    with torch.no_grad():
        for p in model.parameters():  # non-trivial StarReLU s and b
            p.add_(torch.randn_like(p) * 0.01)
        x = torch.randn(1, 3, 64, 64)
        expected = model(x)
        mmmeta.optimize_for_inference(model, compile=False)
        got = model(x)
    acts = {type(m.act).__name__ for m in model.modules()
            if type(m).__name__ == 'Mlp'}
    assert acts == {'SquaredReLU'}
    for g, e in zip(got, expected):
        assert ((g - e).abs().max() / e.abs().max()) < 1e-5


class _Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = PoolFormer('s12')
        self.head = nn.Identity()


def test_hook_optimises_the_model_before_testing():
    wrapped = types.SimpleNamespace(module=_Detector())  # like DDP
    logs = []
    runner = types.SimpleNamespace(
        model=wrapped, logger=types.SimpleNamespace(info=logs.append))
    InferenceOptimizeHook(compile=True).before_test(runner)
    model = wrapped.module
    assert not model.training
    assert isinstance(model.backbone,
                      torch._dynamo.eval_frame.OptimizedModule)
    assert isinstance(model.head, nn.Identity)  # heads stay eager
    assert 'compiled' in logs[0]
