"""The user's fastest inference path: ``mmmeta.optimize_for_inference``
(deploy + compile with freezing) and its hook for ``tools/test.py
--compile``."""

import types
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import mmmeta
from mmmeta.engine import InferenceOptimizeHook
from mmmeta.models import ConvFormer, PoolFormer
from mmmeta.models.inference import COMPILE_OPTIONS, CompiledInference
from mmmeta.models.layers import GELU

TINY = dict(depths=[1, 1, 1, 1], dims=[16, 32, 48, 64])


def test_compiled_inference_equals_eager():
    torch.manual_seed(0)
    model = PoolFormer(TINY).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = model(x)
        fast = mmmeta.optimize_for_inference(model)
        got = fast(x)
    assert isinstance(fast, CompiledInference)
    assert fast.out_channels == model.out_channels
    for g, e in zip(got, expected):
        assert ((g - e).abs().max() / e.abs().max()) < 1e-5


@pytest.mark.parametrize(
    'max_compiles', [pytest.param(4, marks=pytest.mark.slow), 0]
)
def test_mixed_input_sizes_compile_a_bounded_number_of_times(max_compiles):
    """A test set of many image sizes (as ADE20K's) must not compile once
    per size: height and width are dynamic from the first call, and past
    ``max_compiles`` graphs the deployed model runs eagerly, with a
    warning, giving the same outputs."""
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = PoolFormer(TINY).eval()
    sizes = [
        (64, 96),
        (96, 64),
        (128, 96),
        (160, 224),
        (64, 128),
        (224, 160),
        (96, 96),
        (320, 256),
    ]
    inputs = [torch.randn(1, 3, *hw) for hw in sizes]
    with torch.no_grad():
        expected = [model(x) for x in inputs]
        fast = mmmeta.optimize_for_inference(model, max_compiles=max_compiles)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            got = [fast(x) for x in inputs]
    assert min(1, max_compiles) <= fast.compiles <= max_compiles
    assert fast.compiles < len(sizes)  # not one compilation per size
    fell_back = [w for w in caught if 'eagerly' in str(w.message)]
    assert len(fell_back) == int(fast.eager)  # said once, when it happened
    if max_compiles == 0:
        assert fast.eager
    for outs, refs in zip(got, expected):
        for g, e in zip(outs, refs):
            assert g.shape == e.shape
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
    acts = {
        type(m.act).__name__
        for m in model.modules()
        if type(m).__name__ == 'Mlp'
    }
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
        model=wrapped, logger=types.SimpleNamespace(info=logs.append)
    )
    InferenceOptimizeHook(compile=True).before_test(runner)
    model = wrapped.module
    assert not model.training
    assert isinstance(model.backbone, CompiledInference)
    assert isinstance(model.head, nn.Identity)  # heads stay eager
    assert 'compiled' in logs[0]


def test_rational_erf_is_within_float32_rounding_of_erf():
    from mmmeta.models.layers.activations import rational_erf

    z = torch.linspace(-8, 8, 160001)
    exact = torch.special.erf(z.double())
    assert (rational_erf(z).double() - exact).abs().max() < 5e-7
    assert rational_erf(
        torch.tensor([0.0, 9.0, -9.0])
    ).tolist() == pytest.approx([0.0, 1.0, -1.0], abs=5e-7)


def _traced_calls(fn, x: torch.Tensor) -> set:
    """Names of the functions dynamo records when compiling ``fn(x)``."""
    graphs = []

    def backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    torch._dynamo.reset()
    torch.compile(fn, backend=backend, fullgraph=True)(x)
    return {
        getattr(node.target, '__name__', str(node.target))
        for graph in graphs
        for node in graph.graph.nodes
        if node.op in ('call_function', 'call_method')
    }


def test_compiled_cpu_inference_takes_the_rational_erf_only():
    gelu = GELU()
    x = torch.linspace(-10, 10, 4001)
    assert 'gelu' in _traced_calls(gelu, x)  # autograd: exact kernel
    with torch.no_grad():
        assert 'gelu' not in _traced_calls(gelu, x)  # rational erf
        got = torch.compile(gelu, options=COMPILE_OPTIONS)(x)
        exported = torch.export.export(gelu, (x,))
    assert 'gelu' in {
        node.target.__name__.split('.')[0]
        for node in exported.graph.nodes
        if node.op == 'call_function'
    }  # ONNX keeps its Erf
    exact = F.gelu(x.double())
    assert ((got.double() - exact).abs() / x.abs().clamp_min(1)).max() < 5e-7


@pytest.mark.parametrize('read_scale', [True, False], ids=['cpu', 'gpu'])
def test_in_place_star_relu_both_branches(read_scale):
    """At inference StarReLU runs in place; the scale is read as a number
    on a CPU and kept a tensor elsewhere (``read_scale`` forces either):
    both give the module's own result."""
    from mmmeta.models.layers import StarReLU, apply_activation

    act = StarReLU(scale_value=0.8, bias_value=-0.1)
    x = torch.randn(2, 5, 7, 16)
    with torch.no_grad():
        expected = act(x)
        got = apply_activation(act, x.clone(), read_scale=read_scale)
    torch.testing.assert_close(got, expected)
