"""TransNeXt: its position bias against the official computation, the
two bias modes, memory-bounded inference and loading a whole official model
(the shared contracts are in test_contracts.py)."""

import pytest
import torch
import torch.nn.functional as F
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)
from torch import nn

from mmmeta.models import TransNeXt
from mmmeta.models.backbones.transnext import (
    AggregatedAttention,
    CosineAttention,
)


def build_for(fixture, **kwargs):
    return TransNeXt(
        fixture['arch'],
        img_size=fixture['img_size'],
        pretrain_size=fixture['pretrain_size'],
        is_extrapolation=fixture['is_extrapolation'],
        **kwargs,
    ).eval()


def official_style_bias(module, height, width):
    """The position bias as the official code computes it: every (query,
    pooled key) coordinate pair on the trained grid, torch.unique over pairs,
    the MLP, then two bilinear resizes (query axis and key axis)."""
    sr = module.sr_ratio
    grid = module.trained_size or (height, width)
    pretrain = module.pretrain_size
    axes_q, axes_k = [], []
    for n in grid:
        axis = torch.arange(n, dtype=torch.float32)
        axes_q.append(axis)
        axes_k.append(F.adaptive_avg_pool1d(axis[None], n // sr)[0])
    kh, kw = torch.meshgrid(*axes_k, indexing='ij')
    qh, qw = torch.meshgrid(*axes_q, indexing='ij')
    rel_h = (
        (qh.reshape(-1)[:, None] - kh.reshape(-1)[None])
        / (pretrain[0] - 1)
        * 8
    )
    rel_w = (
        (qw.reshape(-1)[:, None] - kw.reshape(-1)[None])
        / (pretrain[1] - 1)
        * 8
    )
    table, index = torch.unique(
        torch.stack([rel_h, rel_w], -1).view(-1, 2), return_inverse=True, dim=0
    )
    table = torch.sign(table) * torch.log2(table.abs() + 1) / 3
    bias = module.cpb_fc2(F.relu(module.cpb_fc1(table))).t()[:, index]
    heads = bias.shape[0]
    tq = grid[0] * grid[1]
    bias = bias.view(heads, tq, grid[0] // sr, grid[1] // sr)
    pool = (height // sr, width // sr)
    bias = F.interpolate(bias, pool, mode='bilinear')
    bias = bias.view(heads, tq, -1).transpose(1, 2).reshape(heads, -1, *grid)
    bias = F.interpolate(bias, (height, width), mode='bilinear')
    return bias.view(heads, pool[0] * pool[1], -1).transpose(1, 2)


@pytest.mark.parametrize(
    'mixer',
    [
        AggregatedAttention(
            8, 2, sr_ratio=2, trained_size=(8, 6), pretrain_size=8
        ),
        AggregatedAttention(
            8, 2, sr_ratio=4, trained_size=None, pretrain_size=(12, 10)
        ),
        CosineAttention(8, 2, trained_size=5, pretrain_size=7),
    ],
    ids=['aggregated-interp', 'aggregated-extrap', 'full-interp'],
)
@pytest.mark.parametrize('hw', [(11, 13), (5, 9), (8, 6), (12, 8), (5, 5)])
def test_position_bias_equals_the_official_computation(mixer, hw):
    """The per-axis gather (or, on the table's own grid, its sliding
    windows) gives the official bias (built from all pairs and two bilinear
    resizes) when upsampling, downsampling and at the trained size, and
    the same gradients for the MLP."""
    with torch.no_grad():
        for p in mixer.parameters():
            p.normal_()
    # the pooled keys come in reverse order
    ours = mixer.position_bias(*hw, torch.device('cpu')).flip(-2, -1)
    ref = official_style_bias(mixer, *hw)
    assert ours.shape[:3] == (2, *hw)
    ours = ours.reshape(ref.shape)
    assert torch.allclose(ours, ref, atol=1e-5, rtol=1e-5)
    weights = [mixer.cpb_fc1.weight, mixer.cpb_fc2.weight]
    g = torch.randn(ref.shape)
    for a, b in zip(
        torch.autograd.grad((ours * g).sum(), weights),
        torch.autograd.grad((ref * g).sum(), weights),
    ):
        assert max_relative_error(a, b) < 1e-4


def test_modes_agree_at_the_trained_size():
    """Interpolating from the input's own grid is extrapolation's bias."""
    interp = TransNeXt('micro', img_size=64).eval()
    extrap = TransNeXt('micro', img_size=64, is_extrapolation=True).eval()
    extrap.load_state_dict(interp.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(interp(x), extrap(x)):
            assert max_relative_error(a, b) < 1e-5
        other = extrap(torch.randn(1, 3, 64, 96))
        same = interp(torch.randn(1, 3, 64, 96))
    assert [o.shape for o in other] == [o.shape for o in same]


def test_build_cost_does_not_depend_on_img_size():
    """No per-img_size table: the official code holds an index map of
    (img/4)^2 x (img/32)^2 entries; here the buffers are the same for 224
    and 800."""
    small, large = (
        TransNeXt('micro', img_size=224),
        TransNeXt('micro', img_size=800),
    )
    assert list(small.buffers()) == [] == list(large.buffers())


@pytest.mark.parametrize('hw', [(29, 29), (33, 47), (61, 35)])
def test_odd_input_sizes_in_extrapolation_mode(hw):
    model = TransNeXt('micro', img_size=64, is_extrapolation=True).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *hw))
    size = [-(-hw[0] // 4), -(-hw[1] // 4)]
    for out, dim in zip(outs, model.dims):
        assert out.shape == (1, dim, *size)
        assert torch.isfinite(out).all()
        size = [-(-s // 2) for s in size]


def test_row_blocks_at_inference_give_the_same_outputs(monkeypatch):
    """Without autograd the aggregated attention runs in row blocks (bounded
    memory); a budget of a few rows per block changes nothing."""
    model = TransNeXt('micro', img_size=96).eval()
    x = torch.randn(2, 3, 100, 140)
    with torch.no_grad():
        whole = model(x)
        monkeypatch.setattr(
            AggregatedAttention, 'inference_block_elements', 5000
        )
        blocks = model(x)
    for a, b in zip(whole, blocks):
        assert max_relative_error(b, a) < 1e-5


def test_training_step_reaches_every_parameter():
    model = TransNeXt(
        'micro', img_size=64, drop_path_rate=0.1, with_cp=True
    ).train()
    sum(o.mean() for o in model(torch.randn(2, 3, 64, 96))).backward()
    frozen = [n for n, p in model.named_parameters() if p.grad is None]
    assert frozen == []


def test_whole_official_detector_checkpoint_loads_with_load_state_dict():
    """mmengine's load_from loads a whole detector state dict into the
    model; official backbone keys under ``backbone.`` are converted on the
    fly instead of silently leaving the backbone random."""
    fixture = load_fixture('transnext_tiny_224x224')

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = build_for(fixture)
            self.neck = nn.Linear(2, 2)

    detector = Detector()
    state = {
        f'backbone.{k}': v
        for k, v in fixture_state_dict(fixture['keys']).items()
    }
    state.update(
        {f'neck.{k}': v for k, v in detector.neck.state_dict().items()}
    )
    detector.load_state_dict(state, strict=True)
    with torch.no_grad():
        out = detector.backbone(fixture_input(1, 224, 224))[0]
    assert max_relative_error(out, fixture['outputs'][0]) <= 5e-4


def test_transnext_round_trips_through_onnxruntime(tmp_path):
    """Aggregated attention, the position bias (interpolated from the
    trained grid) and the stage-4 cosine attention, one block per stage
    (the whole arch takes minutes to trace: families.py exports_quickly).
    """
    pytest.importorskip('onnxscript')
    pytest.importorskip('onnxruntime')
    from mmmeta.utils import onnx_export

    arch = TransNeXt.resolve_arch('micro')
    arch['depths'] = [1, 1, 1, 1]
    torch.manual_seed(0)
    model = TransNeXt(arch, img_size=96).eval()
    path = str(tmp_path / 'transnext.onnx')
    function = onnx_export.export(model, path, (64, 64))
    onnx_export.check(path)
    result = onnx_export.compare(function, path, (64, 64), repeats=1)
    assert result['max_rel_error'] <= 1e-4, result


@pytest.mark.parametrize(
    'size, pooled',
    [
        ((16, 16), (2, 2)),
        ((13, 17), (3, 2)),
        ((7, 9), (7, 9)),
        ((5, 6), (1, 1)),
    ],
)
def test_adaptive_average_is_adaptive_pooling(size, pooled):
    """The pooled keys' averaging (two products, which inductor lowers for
    a dynamic size) has adaptive_avg_pool2d's windows, divisible or not."""
    from mmmeta.models.backbones.transnext.layers import adaptive_average

    x = torch.randn(2, *size, 5, dtype=torch.float64)
    expected = F.adaptive_avg_pool2d(x.permute(0, 3, 1, 2), pooled)
    out = adaptive_average(x, *pooled)
    torch.testing.assert_close(out, expected.permute(0, 2, 3, 1))


def test_dynamic_onnx_export_at_the_trained_size(tmp_path):
    """Traced at the trained size, where eager reads the bias as sliding
    windows, a dynamic graph holds at another size (the exporter would fix
    an unfold's window to the traced size; extrapolation at multiples of
    sr_ratio takes the same branch)."""
    pytest.importorskip('onnxscript')
    ort = pytest.importorskip('onnxruntime')
    torch.manual_seed(0)
    mixer = AggregatedAttention(
        16, 2, sr_ratio=2, trained_size=8, pretrain_size=8
    ).eval()
    path = str(tmp_path / 'mixer.onnx')
    side = torch.export.Dim
    with torch.no_grad():
        torch.onnx.export(
            mixer,
            (torch.randn(1, 8, 8, 16),),
            path,
            dynamo=True,
            input_names=['x'],
            dynamic_shapes={
                'x': {
                    1: 2 * side('h', min=2, max=64),
                    2: 2 * side('w', max=64),
                }
            },
            external_data=False,
            verbose=False,
        )
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for size in [(8, 8), (12, 16)]:
        x = torch.randn(1, *size, 16)
        with torch.no_grad():
            expected = mixer(x)
        (out,) = session.run(None, {'x': x.numpy()})
        assert max_relative_error(torch.from_numpy(out), expected) < 1e-5
