"""What only InceptionNeXt and MambaOut have: timm's ``.safetensors``
files, timm's MambaOut renaming (the ``*_rw`` norm position), the family a
wrong file belongs to, and their own argument errors."""

import pytest
import torch
from families import BY_NAME, build_for_fixture
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)

from mmmeta.models import ConvFormer, InceptionNeXt, MambaOut
from mmmeta.models.backbones.mambaout import GatedCNNBlock
from mmmeta.models.utils import CheckpointError, detect_layout, load_pretrained

pytest.importorskip('safetensors')
from safetensors.torch import save_file  # noqa: E402

TIMM_FIXTURES = [
    ('InceptionNeXt', 'inceptionnext_tiny_timm_67x97'),
    ('MambaOut', 'mambaout_kobe_timm_67x97'),
    ('MambaOut', 'mambaout_base_wide_rw_timm_33x47'),
]


@pytest.mark.parametrize(
    'family,name', TIMM_FIXTURES, ids=[n for _, n in TIMM_FIXTURES]
)
def test_timm_safetensors_file_gives_timm_outputs(tmp_path, family, name):
    """timm's hub weights (a .safetensors file, head included) load
    strictly through init_cfg and give timm's own stage outputs."""
    fixture = load_fixture(name)
    path = tmp_path / 'model.safetensors'
    save_file(fixture_state_dict(fixture['keys']), str(path))
    model = build_for_fixture(
        BY_NAME[family],
        fixture,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)),
    )
    model.init_weights()
    model.eval()
    with torch.no_grad():
        outs = model(fixture_input(fixture['batch'], *fixture['input_hw']))
    for out, ref in zip(outs, fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4


def test_timm_mambaout_norm_position_is_read_from_its_width():
    """timm calls the downsampling norm ``norm`` before (``*_rw``) and after
    the convolution; the converted names say which, by the norm's width."""
    official = load_fixture('mambaout_kobe_timm_67x97')
    rw = load_fixture('mambaout_base_wide_rw_timm_33x47')
    for fixture, part in ((official, 'post_norm'), (rw, 'norm')):
        state = fixture_state_dict(fixture['keys'])
        assert detect_layout(state) == 'timm-mambaout'
        converted = MambaOut(fixture['arch']).convert_checkpoint(state)
        assert f'stages.1.downsample.{part}.weight' in converted


@pytest.mark.parametrize(
    'name,layout,owner',
    [
        ('mambaout_femto_61x75', 'yuweihao/MambaOut', 'MambaOut'),
        ('inceptionnext_atto_61x75', 'sail-sg/inceptionnext', 'InceptionNeXt'),
    ],
)
def test_file_of_another_family_names_its_family(
    tmp_path, name, layout, owner
):
    fixture = load_fixture(name)
    path = tmp_path / 'other.pth'
    torch.save(fixture_state_dict(fixture['keys']), path)
    with pytest.raises(
        CheckpointError, match=f'{layout}.*which {owner} reads'
    ):
        load_pretrained(ConvFormer('s18'), str(path))


def test_wrong_size_of_the_family_is_refused(tmp_path):
    fixture = load_fixture('inceptionnext_atto_61x75')
    path = tmp_path / 'atto.pth'
    torch.save(fixture_state_dict(fixture['keys']), path)
    with pytest.raises(CheckpointError, match='does not fit'):
        load_pretrained(InceptionNeXt('tiny'), str(path))


def test_gated_block_refuses_more_convolved_than_hidden_channels():
    with pytest.raises(ValueError, match='conv_ratio'):
        GatedCNNBlock(16, expansion_ratio=1.0, conv_ratio=1.5)


def test_mambaout_takes_any_input_size():
    model = MambaOut('femto').eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 1, 5))
    assert [tuple(o.shape[2:]) for o in outs] == [
        (1, 2),
        (1, 1),
        (1, 1),
        (1, 1),
    ]


@pytest.mark.parametrize(
    'options',
    [
        dict(layer_scale_init_value=0.5, drop_path=0.4),  # timm's *_rw
        dict(conv_ratio=0.5, act_cfg=dict(type='StarReLU')),
    ],
    ids=['layer-scale-drop-path', 'partial-conv-star-relu'],
)
def test_lean_gated_block_equals_autograd(options):
    """Under ``lean``'s checkpoint (the block's own policy: fc1's output
    kept, fc2's recomputed) the Gated CNN block gives autograd's outputs
    and gradients in float64 for the settings the contract table's archs
    do not use, and holds less."""
    from steps import held_bytes

    from mmmeta.models.layers.checkpointing import run_block

    block = GatedCNNBlock(24, **options).double().train()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p), alpha=0.1)
    x = torch.randn(2, 32, 32, 24, dtype=torch.float64)
    grad_out = torch.randn(2, 32, 32, 24, dtype=torch.float64)
    results = {}
    for lean in (False, True):
        inputs = x.clone().requires_grad_()
        torch.manual_seed(1)  # the same drop-path draw
        out = []

        def forward(out=out, inputs=inputs, lean=lean):
            out.append(
                run_block(block, inputs, selective=True)
                if lean
                else block(inputs)
            )

        held = held_bytes(forward)
        grads = torch.autograd.grad(
            out[0], [inputs, *block.parameters()], grad_out
        )
        results[lean] = out[0], grads, held
    (out, grads, held), (lean_out, lean_grads, lean_held) = results.values()
    assert torch.allclose(lean_out, out, rtol=1e-12, atol=1e-12)
    for lean_grad, grad in zip(lean_grads, grads):
        assert torch.allclose(lean_grad, grad, rtol=1e-10, atol=1e-12)
    assert lean_held < 0.6 * held, (lean_held, held)
