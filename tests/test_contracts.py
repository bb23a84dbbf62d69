"""The contracts every family keeps, driven by the table in families.py:
official outputs, deploy, the reference path, input sizes, the dense API,
compile, loading and parameter counts."""

import copy

import pytest
import torch
import torch.nn.functional as F
from families import (
    ARCH_IDS,
    ARCHS,
    FAMILIES,
    FAMILY_IDS,
    FIXTURE_IDS,
    FIXTURES,
    build_for_fixture,
)
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)
from official_ops import use_reference
from steps import (
    assert_compiled_training_matches,
    assert_gradients_close,
    held_bytes,
    train_step,
    with_trained_scales,
)
from support import CudaPreconditions
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmmeta.models.layers import DropPath
from mmmeta.models.utils import CheckpointError, load_pretrained

by_family = pytest.mark.parametrize('family', FAMILIES, ids=FAMILY_IDS)
WITH_REFERENCE = [f for f in FAMILIES if f.has_reference]


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize('family,name', FIXTURES, ids=FIXTURE_IDS)
def test_matches_official_outputs(tmp_path, family, name):
    """Every output equals the official implementation's, from an
    official-layout file loaded through ``init_cfg``; ``switch_to_deploy``
    keeps it so."""
    fixture = load_fixture(name)
    path = tmp_path / 'official.pth'
    torch.save({'state_dict': fixture_state_dict(fixture['keys'])}, path)
    model = build_for_fixture(
        family, fixture, init_cfg=dict(type='Pretrained', checkpoint=str(path))
    )
    model.init_weights()
    model.eval()
    x = fixture_input(fixture['batch'], *fixture['input_hw'])
    with torch.no_grad():
        outs = model(x)
        deployed = model.switch_to_deploy()(x)
    assert len(outs) == len(fixture['outputs'])
    for out, dep, ref in zip(outs, deployed, fixture['outputs']):
        assert out.shape == ref.shape
        assert max_relative_error(out, ref) <= 5e-4
        assert max_relative_error(dep, ref) <= 5e-4


def test_the_equivalence_test_detects_a_wrong_weight():
    """The fixture comparison is sensitive: one weight 10% off fails it."""
    family = FAMILIES[0]
    fixture = load_fixture(family.fixtures[0])
    model = build_for_fixture(family, fixture).eval()
    state = model.convert_checkpoint(fixture_state_dict(fixture['keys']))
    model.load_state_dict(state, strict=False)
    with torch.no_grad():
        model.stages[2].blocks[3].mlp.fc2.weight.mul_(1.1)
        outs = model(fixture_input(2, *fixture['input_hw']))
    assert max_relative_error(outs[2], fixture['outputs'][2]) > 5e-4


@by_family
def test_deploy_keeps_outputs(family):
    """``switch_to_deploy`` folds norms, branches and scales; outputs stay
    within 1e-5, with trained-looking statistics and scales."""
    torch.manual_seed(0)
    model = family.build(**family.deploy_options)
    with torch.no_grad():  # nontrivial norm affines, BN statistics, scales
        for name, p in model.named_parameters():
            if (
                p.dim() == 1
                and 'norm' in name
                or name.endswith(('bn.weight', 'bn.bias', '.scale'))
            ):
                p.uniform_(0.5, 1.5)
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    model.eval()
    x = torch.randn(1, 3, 70, 90)
    with torch.no_grad():
        before = model(x)
        after = model.switch_to_deploy()(x)
    for a, b in zip(after, before):
        assert max_relative_error(a, b) <= 1e-5
    if family.has_batch_norm:
        assert not any(isinstance(m, _BatchNorm) for m in model.modules())


@pytest.mark.parametrize(
    'family', WITH_REFERENCE, ids=[f.name for f in WITH_REFERENCE]
)
def test_fast_path_equals_reference(family):
    """mmmeta's forward equals the official op sequence
    (``dev/official_ops``) to 1e-5 relative; with the fixtures'
    weights (every scale about 1, so every block adds its rounding) to
    1e-4, the order-of-operations spread the fixtures' README reports
    between independent implementations."""
    torch.manual_seed(0)
    model = family.build().eval()
    x = torch.randn(2, 3, 97, 131)
    cases = [(model, 1e-5)]
    if family.fixtures:
        fixture = load_fixture(family.fixtures[0])
        loaded = build_for_fixture(family, fixture).eval()
        loaded.load_state_dict(
            loaded.convert_checkpoint(fixture_state_dict(fixture['keys'])),
            strict=False,
        )
        cases.append((loaded, 1e-4))
    for model, tolerance in cases:
        with torch.no_grad():
            fast = model(x)
            reference = use_reference(model)(x)
        for a, b in zip(fast, reference):
            assert a.shape == b.shape
            assert max_relative_error(a, b) <= tolerance


@pytest.mark.parametrize(
    'family',
    [f for f in FAMILIES if not f.has_reference],
    ids=[f.name for f in FAMILIES if not f.has_reference],
)
def test_reference_is_refused_where_there_is_none(family):
    with pytest.raises(ValueError, match='no official op sequence'):
        use_reference(family.build())


#: The precisions a user reaches: AMP (autocast) and weights cast down.
LOW_PRECISIONS = {
    'autocast-fp16': (torch.float16, True),
    'autocast-bf16': (torch.bfloat16, True),
    'fp16': (torch.float16, False),
    'bf16': (torch.bfloat16, False),
}


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return F.cosine_similarity(
        a.float().flatten(), b.float().flatten(), dim=0
    ).item()


#: Families whose compiled low-precision contract ``make test`` runs:
#: TransNeXt (attention, the position bias's view, a depthwise convolution
#: and LayerNorms under inductor), one compilation (17-37 s on 2 cores);
#: the others, CAFormer and FFNet included, are ``slow`` (``make
#: test-all``). Compiled float32 inference has its own fast test
#: (tests/test_inference.py).
COMPILED_FAST = ('TransNeXt',)


@pytest.mark.parametrize(
    'family, mode',
    [
        pytest.param(
            family,
            mode,
            id=f'{family.name}-{mode}',
            marks=pytest.mark.slow
            if mode == 'compiled' and family.name not in COMPILED_FAST
            else (),
        )
        for mode in ('trained', 'deployed', 'compiled')
        for family in FAMILIES
    ],
)
def test_low_precision_close_to_float32(family, mode):
    """Under float16 / bfloat16 autocast and as a float16 / bfloat16 model:
    trained (forward + backward, gradients finite and aligned), after
    ``switch_to_deploy`` and after ``optimize_for_inference`` (inductor;
    what AMP inference and ``tools/test.py --compile`` give; compiled as a
    bfloat16 model only, one compilation per family). Every output
    finite with cosine >= 0.999 to float32 (random initialisation,
    trained-looking scales); CPU autocast keeps the norms in the input's
    dtype, harsher than CUDA's float32 norms."""
    import mmmeta

    torch.manual_seed(0)
    model = with_trained_scales(family.shallow()).train(mode == 'trained')
    x = torch.randn(1, 3, 96, 128)
    if mode == 'trained':
        reference, grads = train_step(model, x)
    else:
        if mode == 'deployed':
            model.switch_to_deploy()
        with torch.no_grad():
            reference = model(x)
    precisions = LOW_PRECISIONS.items()
    if mode == 'compiled':  # one inductor compilation per family (slow)
        precisions = [('bf16', LOW_PRECISIONS['bf16'])]
    for name, (dtype, autocast) in precisions:
        low = (
            copy.deepcopy(model)
            if autocast
            else copy.deepcopy(model).to(dtype)
        )
        if mode == 'compiled':
            torch._dynamo.reset()
            low = mmmeta.optimize_for_inference(low, compile=True)
        x_low = x if autocast else x.to(dtype)
        with torch.autocast('cpu', dtype, enabled=autocast):
            if mode == 'trained':
                outs, low_grads = train_step(low, x_low)
            else:
                with torch.no_grad():
                    outs = low(x_low)
        for ref, out in zip(reference, outs):
            assert autocast or out.dtype == dtype, name
            assert torch.isfinite(out).all(), name
            assert _cosine(ref, out) >= 0.999, (name, _cosine(ref, out))
        if mode == 'trained':
            for key, grad in low_grads.items():
                assert torch.isfinite(grad).all(), (name, key)
            assert _cosine(grads['input'], low_grads['input']) >= 0.99, name


@by_family
def test_meta_device_forward_and_backward(family):
    """A training step with every tensor on the meta device: nothing in
    forward or backward makes a tensor on the CPU or waits for a value (on
    a GPU, both would stall the step on the host)."""
    with torch.device('meta'):
        model = family.shallow(drop_path_rate=0.2).train()
        x = torch.randn(2, 3, 64, 96, requires_grad=True)
    outs = model(x)
    sum(o.square().mean() for o in outs).backward()
    assert all(o.device.type == 'meta' for o in outs)
    assert x.grad is not None and x.grad.device.type == 'meta'
    assert all(
        p.grad is not None and p.grad.device.type == 'meta'
        for p in model.parameters()
        if p.requires_grad
    )


# ------------------------------------------------------------------ inputs
@by_family
def test_odd_input_sizes(family):
    model = family.build().eval()
    sizes = [(97, 129), (67, 67), (family.min_input, 45)]
    for hw in sizes:
        with torch.no_grad():
            outs = model(torch.randn(1, 3, *hw))
        for out, shape in zip(outs, model.output_shapes(*hw)):
            assert out.shape == (1, *shape)
            assert torch.isfinite(out).all()
    assert model.out_strides == [4, 8, 16, 32]


@by_family
def test_too_small_input_is_a_clear_error(family):
    model = family.build()
    side = family.min_input
    with pytest.raises(
        ValueError, match=rf'at least {side}x{side} .*got {side - 1}x64'
    ):
        model(torch.randn(1, 3, side - 1, 64))
    with pytest.raises(ValueError, match='input channels'):
        model(torch.randn(1, 1, 64, 64))


# --------------------------------------------------------------- dense API
@by_family
def test_out_indices_channels_and_strides(family):
    model = family.build(out_indices=(-1, 1))
    assert model.out_indices == (1, 3)
    assert model.out_channels == [model.dims[1], model.dims[3]]
    assert model.out_strides == [8, 32]
    with torch.no_grad():
        outs = model.eval()(torch.randn(2, 3, 64, 64))
    full = family.build().output_shapes(64, 64)
    assert [tuple(o.shape) for o in outs] == [(2, *full[1]), (2, *full[3])]
    assert model.output_shapes(64, 64) == [full[1], full[3]]
    assert not hasattr(model, 'norm0')
    with pytest.raises(ValueError, match='stage indices'):
        family.build(out_indices=(4,))


@by_family
@pytest.mark.parametrize('frozen', [-1, 0, 2, 4])
def test_frozen_stages(family, frozen):
    trainable = {
        n for n, p in family.build().named_parameters() if p.requires_grad
    }  # RandFormer's matrices never train
    model = family.build(frozen_stages=frozen)
    model.train()
    parts = [('stem', model.stem, frozen >= 0)] + [
        (f'stages.{i}', stage, i < frozen)
        for i, stage in enumerate(model.stages)
    ]
    for prefix, part, is_frozen in parts:
        for name, param in part.named_parameters(prefix=prefix):
            assert param.requires_grad == (
                name in trainable and not is_frozen
            ), name
        assert all(m.training != is_frozen for m in part.modules())
    # output norms are new layers and stay trainable
    for i in model.out_indices:
        assert all(
            p.requires_grad for p in getattr(model, f'norm{i}').parameters()
        )
    with pytest.raises(ValueError, match='frozen_stages'):
        family.build(frozen_stages=5)


@by_family
def test_norm_eval_keeps_batch_norms_in_eval_mode(family):
    model = family.build(norm_eval=True).train()
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bool(norms) == family.has_batch_norm
    assert not any(m.training for m in norms)
    assert model.stages[0].blocks[0].training  # everything else trains


@by_family
def test_drop_path_schedule_reaches_every_block(family):
    model = family.build(drop_path_rate=0.1)
    blocks = [block for stage in model.stages for block in stage.blocks]
    rates = [
        max(
            (m.drop_prob for m in block.modules() if isinstance(m, DropPath)),
            default=0.0,
        )
        for block in blocks
    ]
    assert len(rates) == sum(model.depths)
    assert rates == pytest.approx(torch.linspace(0, 0.1, len(rates)).tolist())
    # active in training only
    model = family.shallow(drop_path_rate=0.5).train()
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(0)
    a = model(x)[3]
    torch.manual_seed(1)
    assert not torch.allclose(a, model(x)[3])
    model.eval()
    assert torch.equal(model(x)[3], model(x)[3])


@pytest.mark.parametrize('mode', ['default', 'lean', 'eval'])
@by_family
def test_ops_meet_cuda_preconditions(family, mode):
    """The training step (default settings and ``lean=True``) and the eval
    forward call ops only in layouts CUDA's kernels accept, and a training
    step never syncs with the host (``support.CudaPreconditions``): what
    a GPU would refuse fails here, on the CPU."""
    torch.manual_seed(0)
    model = family.shallow(drop_path_rate=0.1, **family.deploy_options)
    if mode == 'lean':
        model.lean = [True] * 4  # every stage, every block type
    x = torch.randn(2, 3, 64, 96)
    if mode == 'eval':
        with CudaPreconditions(forbid_sync=False), torch.no_grad():
            model.eval()(x)
        return
    with CudaPreconditions():
        train_step(model.train(), x)


@by_family
def test_with_cp_same_outputs_and_gradients(family):
    torch.manual_seed(0)
    model = family.shallow().train()
    x = torch.randn(2, 3, 64, 64)
    outs_ref, grads_ref = train_step(model, x)
    model.with_cp = True
    assert all(stage.with_cp for stage in model.stages)
    outs_cp, grads_cp = train_step(model, x)
    for a, b in zip(outs_ref, outs_cp):
        torch.testing.assert_close(a, b)
    assert_gradients_close(grads_cp, grads_ref, 1e-5)


@by_family
def test_lean_takes_the_family_stages_or_one_flag_per_stage(family):
    """``lean=True`` checkpoints the family's ``lean_stages`` (TransNeXt:
    its first two), four bools choose the stages, a wrong count is
    refused with the count it needs; ``with_cp`` takes the same forms."""
    model = family.shallow()
    model.lean = True
    assert tuple(s.lean for s in model.stages) == family.lean_stages
    model.lean = (False, True, False, True)
    assert [s.lean for s in model.stages] == [False, True, False, True]
    assert model.lean == (False, True, False, True)
    model.with_cp = [True, False, False, False]
    assert [s.with_cp for s in model.stages] == [True, False, False, False]
    model.lean = model.with_cp = False
    assert not any(s.lean or s.with_cp for s in model.stages)
    with pytest.raises(ValueError, match='one entry per stage'):
        model.lean = [True, True]


@pytest.mark.parametrize(
    'dtype,tolerance',
    [(torch.float64, 1e-9), (torch.float32, 1e-5)],
    ids=['float64', 'float32'],
)
@by_family
def test_lean_training_equals_autograd(family, dtype, tolerance):
    """Selective activation checkpointing (``lean=True``) gives autograd's
    outputs and gradients, with stochastic depth (whose masks the
    recomputation draws again) and layer / res scales."""
    torch.manual_seed(0)
    model = (
        with_trained_scales(
            family.shallow(drop_path_rate=0.3, **family.deploy_options)
        )
        .train()
        .to(dtype)
    )
    x = torch.randn(2, 3, 64, 96, dtype=dtype)
    model.lean = False
    outs, grads = train_step(model, x)
    model.lean = [True] * 4  # every stage, every block type
    assert all(stage.lean for stage in model.stages)
    lean_outs, lean_grads = train_step(model, x)
    for a, b in zip(lean_outs, outs):
        assert max_relative_error(a, b) <= tolerance
    assert_gradients_close(lean_grads, grads, tolerance)


@by_family
def test_lean_holds_less_for_backward(family):
    """What a forward pass leaves for backward (the allocator's in-use
    bytes, which see inside checkpointing) at full depth, smallest arch,
    1x3x160x160: ``lean`` at most the family's share of plain autograd
    (``lean_holds_at_most``; the sizes of docs/benchmarks.md are measured
    by ``tools/analysis/benchmark.py``), ``with_cp`` less still."""
    torch.manual_seed(0)
    model = family.build(drop_path_rate=0.1).train()
    x = torch.randn(1, 3, 160, 160)
    held = {}
    for mode in ('autograd', 'lean', 'with_cp'):
        model.lean, model.with_cp = mode == 'lean', mode == 'with_cp'
        model(x)  # the allocator's first use of these sizes
        held[mode] = held_bytes(lambda: model(x))
    assert held['lean'] <= family.lean_holds_at_most * held['autograd'], held
    assert held['with_cp'] < held['lean'], held


@pytest.mark.parametrize(
    'family', [f for f in FAMILIES if f.has_batch_norm], ids=lambda f: f.name
)
def test_lean_updates_batch_norm_statistics_once(family):
    """Recomputation under ``lean`` / ``with_cp`` leaves BatchNorm's
    running statistics as one autograd step does."""
    buffers = {}
    for mode in ('autograd', 'lean', 'with_cp'):
        torch.manual_seed(0)
        model = family.shallow().train()
        model.lean, model.with_cp = mode == 'lean', mode == 'with_cp'
        train_step(model, torch.randn(2, 3, 64, 96))
        buffers[mode] = {
            n: b.clone()
            for n, b in model.named_buffers()
            if 'running' in n or 'num_batches' in n
        }
    assert buffers['autograd']
    for mode in ('lean', 'with_cp'):
        for name, value in buffers['autograd'].items():
            torch.testing.assert_close(buffers[mode][name], value)


def _largest_gradient_error(grads, expected) -> float:
    floor = 1e-3 * max(g.abs().max() for g in expected.values())
    return max(
        ((grads[n] - g).abs().max() / g.abs().max().clamp_min(floor)).item()
        for n, g in expected.items()
    )


@pytest.mark.parametrize(
    'dtype', [torch.bfloat16, torch.float16], ids=['bf16', 'fp16']
)
@by_family
def test_lean_training_under_autocast(family, dtype):
    """Under autocast (the CPU's bfloat16 and float16), at the families'
    default initial layer scales, ``lean`` gradients are float32 and no
    further from float32 training than autograd's under autocast."""
    torch.manual_seed(0)
    model = family.shallow(drop_path_rate=0.3).train()
    x = torch.randn(2, 3, 64, 96)
    model.lean = False
    torch.manual_seed(1)
    _, exact = train_step(model, x)
    results = {}
    for lean in (False, True):
        model.lean = lean
        with torch.autocast('cpu', dtype):
            torch.manual_seed(1)  # the same drop-path masks
            results[lean] = train_step(model, x)
    (outs, grads), (lean_outs, lean_grads) = results[False], results[True]
    for a, b in zip(lean_outs, outs):
        assert max_relative_error(a.float(), b.float()) <= 1e-6
    assert all(g.dtype == torch.float32 for g in lean_grads.values())
    amp_error = _largest_gradient_error(grads, exact)
    assert _largest_gradient_error(lean_grads, exact) <= amp_error + 1e-6


@pytest.mark.parametrize('lean', [False, True], ids=['autograd', 'lean'])
@by_family
def test_training_compiles_as_one_graph(family, lean):
    """Forward and backward of the training step trace as one graph
    (``fullgraph``, through AOTAutograd; with ``lean``, the selective
    checkpoints included) and give the eager gradients."""
    torch.manual_seed(0)
    model = with_trained_scales(
        family.shallow(out_indices=(0, 3), lean=lean, **family.deploy_options)
    ).train()
    assert_compiled_training_matches(model, torch.randn(1, 3, 64, 96))


@by_family
def test_compiles_as_one_graph(family):
    """No graph break in eval mode (every mixer kind is in the shallow
    model). Training mode, forward and backward, is held to one graph by
    ``test_training_compiles_as_one_graph``."""
    model = family.shallow(out_indices=(0, 3)).eval()
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(1, 3, 64, 96))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


# ------------------------------------------------------ loading and counts
@pytest.mark.parametrize('family,arch', ARCHS, ids=ARCH_IDS)
def test_parameter_count_matches_published(family, arch):
    with torch.device('meta'):
        model = family.cls(arch, **family.count_options)
    expected = family.params[arch]
    if isinstance(expected, int):
        assert count(model) == expected
    else:
        assert round(count(model) / 1e6, 2) == expected


@pytest.mark.parametrize(
    'family',
    [f for f in FAMILIES if f.fixtures],
    ids=[f.name for f in FAMILIES if f.fixtures],
)
def test_official_checkpoints_load_strictly(tmp_path, family):
    """The official file (plus classifier parts) loads with nothing left
    over; a missing key, a file of another size and an unknown layout are
    errors that say so."""
    fixture = load_fixture(family.fixtures[0])
    state = fixture_state_dict(fixture['keys'])
    state.update(
        {'head.weight': torch.zeros(10, 4), 'head.bias': torch.zeros(10)}
    )
    path = tmp_path / 'official.pth'
    torch.save({'state_dict': state}, path)
    model = build_for_fixture(family, fixture)
    fresh = load_pretrained(model, str(path))
    assert set(fresh) <= set(model.optional_checkpoint_keys())

    removed = fixture['keys'][len(fixture['keys']) // 2][0]
    before = set(model.convert_checkpoint(state))
    del state[removed]
    (renamed,) = before - set(model.convert_checkpoint(state))
    torch.save(state, path)
    with pytest.raises(
        CheckpointError,
        match=r'missing backbone keys \(1\): ' + renamed.replace('.', r'\.'),
    ):
        load_pretrained(build_for_fixture(family, fixture), str(path))

    # the smallest other size: the error is the same, the file smaller
    other = min(
        (a for a in family.params if a != fixture['arch']),
        key=family.params.get,
    )
    with torch.device('meta'):
        keys = [
            (k, v.shape) for k, v in family.build(other).state_dict().items()
        ]
    torch.save(fixture_state_dict(keys), path)
    with pytest.raises(CheckpointError, match='does not fit'):
        load_pretrained(build_for_fixture(family, fixture), str(path))

    torch.save({'conv1.weight': torch.zeros(1)}, path)
    with pytest.raises(
        CheckpointError, match=f'unrecognised {family.name} checkpoint'
    ):
        load_pretrained(build_for_fixture(family, fixture), str(path))


@by_family
def test_own_checkpoints_round_trip(tmp_path, family):
    """A saved mmmeta state dict (e.g. after fine-tuning) loads strictly
    through init_cfg and through a whole model's load_state_dict."""
    torch.manual_seed(0)
    model = family.build().eval()
    path = tmp_path / 'own.pth'
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v for k, v in model.state_dict().items()
            }
        },
        path,
    )
    loaded = family.build(
        init_cfg=dict(type='Pretrained', checkpoint=str(path))
    ).eval()
    loaded.init_weights()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(model(x), loaded(x)):
            assert torch.equal(a, b)
