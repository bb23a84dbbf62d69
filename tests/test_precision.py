"""bfloat16 outputs are right where oneDNN's are not: the guard of
:class:`mmmeta.models.layers.Conv2d` against the AMX bfloat16 convolution
defect (pytorch/pytorch#169688), and the canary that says when torch no
longer has it.

The defect shows only on CPUs whose oneDNN picks the AMX kernel
(``amx_bf16``); :class:`support.EmulatedAmxConvDefect` reproduces it on
every machine, so the guard is tested everywhere, and the real kernel is
tested too wherever it runs.
"""

import contextlib

import pytest
import torch
from families import FAMILIES
from support import EmulatedAmxConvDefect

from mmmeta.models import PoolFormerV2
from mmmeta.models.layers import Conv2d


def cpu_flags() -> set:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


#: oneDNN runs bfloat16 convolutions on AMX tiles only where the CPU has
#: them; elsewhere (AVX2, or AVX-512 bf16 without AMX: its
#: ``jit_bf16:avx512_core_bf16`` kernel is correct) there is no defect.
HAS_AMX_BF16 = 'amx_bf16' in cpu_flags()

#: Where the defect is: the real kernel, or the emulated one.
KERNELS = ['native', 'emulated-amx-defect']


def kernel(name):
    return (
        EmulatedAmxConvDefect()
        if name == 'emulated-amx-defect'
        else contextlib.nullcontext()
    )


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out.double() - ref.double()).norm() / ref.double().norm()).item()


def reduced_case(cls=Conv2d):
    """The issue's reduction: a 3x3 stride-2 convolution of a 10x2 map
    (5x1 output)."""
    torch.manual_seed(0)
    conv = cls(320, 512, 3, 2, 1)
    return conv, torch.randn(1, 320, 10, 2)


@pytest.mark.skipif(
    not HAS_AMX_BF16,
    reason='no amx_bf16: oneDNN does not use the defective AMX kernel here',
)
@pytest.mark.xfail(
    strict=True,
    reason='pytorch/pytorch#169688: oneDNN AMX bfloat16 convolution with a '
    'one-pixel-wide strided output. When this passes, torch is fixed: '
    'remove the guard of mmmeta.models.layers.Conv2d and this test.',
)
def test_canary_torch_bf16_strided_conv_one_pixel_wide():
    """Plain torch, nothing of ours: fails while torch has the defect."""
    conv, x = reduced_case(torch.nn.Conv2d)
    ref = conv.double()(x.double())
    conv.to(torch.bfloat16)
    errors = [relative_error(conv(x.bfloat16()), ref) for _ in range(10)]
    assert max(errors) < 0.02, errors


def test_emulated_defect_spoils_unguarded_convolutions():
    """The emulation bites where the real defect does (else the tests below
    could not fail) and nowhere else."""
    conv, x = reduced_case(torch.nn.Conv2d)
    conv.to(torch.bfloat16)
    with EmulatedAmxConvDefect() as defect:
        assert torch.isnan(conv(x.bfloat16())).all()
        wider = x.repeat(1, 1, 1, 2).bfloat16()  # 5x2 output
        assert torch.isfinite(conv(wider)).all()
        assert torch.isfinite(conv.float()(x)).all()
    assert defect.hits == 1


@pytest.mark.parametrize('where', KERNELS)
@pytest.mark.parametrize('mode', ['bf16-model', 'bf16-autocast'])
@pytest.mark.parametrize('shape', [(10, 2), (20, 2), (2, 10), (2, 2)])
def test_guarded_conv_one_pixel_outputs_are_right(where, mode, shape):
    conv, _ = reduced_case()
    x = torch.randn(1, 320, *shape)
    ref = torch.nn.functional.conv2d(
        x.double(), conv.weight.double(), conv.bias.double(), 2, 1
    )
    with kernel(where):
        if mode == 'bf16-model':
            out = conv.to(torch.bfloat16)(x.bfloat16())
        else:
            with torch.autocast('cpu', torch.bfloat16):
                out = conv(x)
    assert out.dtype == torch.bfloat16
    assert relative_error(out, ref) < 0.01


def test_guard_costs_nothing_on_other_maps():
    """Maps more than one pixel across, stride-1 convolutions and float32
    run the plain convolution: one ``aten.convolution``, in the input's
    dtype, and no cast."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Record(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.append((func, args[0].dtype))
            return func(*args, **(kwargs or {}))

    torch.manual_seed(0)
    cases = [
        (Conv2d(8, 16, 3, 2, 1), torch.randn(1, 8, 10, 4)),  # 5x2 output
        (Conv2d(8, 16, 3, 1, 1), torch.randn(1, 8, 10, 1)),  # stride 1
    ]
    for conv, x in cases:
        for dtype in (torch.bfloat16, torch.float32):
            conv, x = conv.to(dtype), x.to(dtype)
            with Record() as record:
                conv(x)
            assert record.ops == [(torch.ops.aten.convolution.default, dtype)]
    conv, x = Conv2d(8, 16, 3, 2, 1), torch.randn(1, 8, 10, 2)
    with Record() as record:
        conv(x)  # float32, one pixel wide: still the plain convolution
    assert record.ops == [(torch.ops.aten.convolution.default, torch.float32)]


@pytest.mark.parametrize('where', KERNELS)
def test_poolformerv2_156x32_bfloat16(where):
    """The case CI drew: PoolFormerV2 (one block a stage), bfloat16, batch
    1, 156x32 (stage 4 is 5x1)."""
    torch.manual_seed(0)
    model = FAMILIES[1].shallow().eval()
    assert isinstance(model, PoolFormerV2)
    x = torch.randn(1, 3, 156, 32)
    with torch.no_grad():
        refs = model(x)
        with kernel(where):
            outs = model.to(torch.bfloat16)(x.bfloat16())
    assert outs[3].shape[-2:] == (5, 1)
    for out, ref in zip(outs, refs):
        assert relative_error(out, ref) < 0.05


@pytest.mark.parametrize('family', FAMILIES, ids=lambda f: f.name)
def test_every_strided_part_is_guarded(family):
    """Every family under the emulated defect, at its narrowest input
    (one pixel wide at stride 32): no convolution meets the defect, and
    bfloat16 outputs stay close to float32."""
    torch.manual_seed(0)
    model = family.shallow().eval()
    x = torch.randn(1, 3, family.min_input + 17, family.min_input)
    with torch.no_grad():
        refs = model(x)
        with EmulatedAmxConvDefect() as defect:
            outs = model.to(torch.bfloat16)(x.bfloat16())
    assert outs[-1].shape[-1] == 1
    assert defect.hits == 0
    for out, ref in zip(outs, refs):
        assert relative_error(out, ref) < 0.05
