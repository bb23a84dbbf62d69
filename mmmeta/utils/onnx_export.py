"""ONNX export of a backbone or a whole model, checked in onnxruntime.

Used by ``tools/deployment/pytorch2onnx.py``. onnx, onnxscript (torch's
exporter) and onnxruntime are optional: ``pip install -e ".[deploy]"`` in
the checkout; ``import mmmeta`` never needs them.
"""

import contextlib
import importlib
import statistics
import time
import types
from typing import Dict, Iterator, List, Sequence, Tuple

import torch
from torch import nn

#: input sizes must be multiples of this for a dynamic-shape export (the
#: backbones' total stride)
SIZE_MULTIPLE = 32
#: largest relative difference to PyTorch an exported graph may show
TOLERANCE = 1e-4


def _integer_upsample(self, x: torch.Tensor) -> torch.Tensor:
    """mmseg's ``Upsample.forward`` for an integer scale factor, with the
    output size kept as integer arithmetic on the input's size."""
    factor = int(self.scale_factor)
    size = [side * factor for side in x.shape[-2:]]
    return torch.nn.functional.interpolate(
        x, size, None, self.mode, self.align_corners
    )


@contextlib.contextmanager
def export_friendly(model: nn.Module) -> Iterator[nn.Module]:
    """Patch, while exporting, what traces into a graph with sizes frozen
    to the example input's.

    mmseg's ``Upsample`` (Semantic FPN's scale heads) computes its output
    size as ``int(side * 2.0)``; the exporter bakes the traced value in, so
    a dynamic graph upsampled every map to the example's size and was wrong
    at any other (3-13 % off). With an integer factor the size stays
    ``side * 2``: the same numbers, symbolic.
    """
    patched = []
    for module in model.modules():
        factor = getattr(module, 'scale_factor', None)
        if (
            type(module).__name__ == 'Upsample'
            and type(module).__module__.startswith('mmseg')
            and not module.size
            and isinstance(factor, float)
            and factor.is_integer()
        ):
            module.forward = types.MethodType(_integer_upsample, module)
            patched.append(module)
    try:
        yield model
    finally:
        for module in patched:
            del module.forward


def require(module: str, purpose: str):
    """Import an optional dependency, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = {
            'onnxruntime': 'onnxruntime',
            'onnx': 'onnx',
            'onnxscript': 'onnxscript',
        }.get(module, module)
        raise ImportError(
            f'{purpose} needs the optional package {package!r}, which is '
            f'not installed: pip install {package}, or pip install -e '
            f'".[deploy]" in the mmmeta checkout (not "pip install mmmeta":'
            f' that PyPI name is an unrelated project).'
        ) from error


class TensorOutputs(nn.Module):
    """A backbone or an OpenMMLab model (``mode='tensor'``) as a function of
    one image batch returning a flat tuple of tensors."""

    def __init__(self, model: nn.Module, whole_model: bool):
        super().__init__()
        self.model = model
        self.whole_model = whole_model

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = (
            self.model(inputs, mode='tensor')
            if self.whole_model
            else self.model(inputs)
        )
        return tuple(flatten(outs))


def flatten(outs) -> List[torch.Tensor]:
    """The tensors of nested tuples / lists / dicts, in order."""
    if isinstance(outs, torch.Tensor):
        return [outs]
    if isinstance(outs, dict):
        outs = list(outs.values())
    return [t for out in outs for t in flatten(out)]


def export(
    model: nn.Module,
    path: str,
    shape: Sequence[int],
    whole_model: bool = False,
    dynamic: bool = False,
    opset: int = 18,
) -> TensorOutputs:
    """Export ``model`` (already in its deploy form, eval mode) to ``path``.

    Args:
        model (nn.Module): A backbone, or a detector / segmentor when
            ``whole_model``.
        path (str): The ``.onnx`` file to write.
        shape (Sequence[int]): ``(H, W)`` of the example input.
        whole_model (bool): Call ``model(x, mode='tensor')``.
        dynamic (bool): Height and width dynamic (multiples of 32); the
            batch stays that of the example (1).
        opset (int): ONNX opset, 17 or newer. Defaults to 18.

    Returns:
        TensorOutputs: The exported function, for comparisons.
    """
    require('onnxscript', 'ONNX export (torch.onnx.export, dynamo=True)')
    require('onnx', 'ONNX export')
    if opset < 17:
        raise ValueError(
            f'opset {opset} is too old: LayerNormalization '
            f'needs opset 17 or newer'
        )
    height, width = shape
    if dynamic and (height % SIZE_MULTIPLE or width % SIZE_MULTIPLE):
        raise ValueError(
            f'a dynamic export traces with an example input whose sides are '
            f'multiples of {SIZE_MULTIPLE}, got {height}x{width}: use e.g. '
            f'--shape {round_up(height)} {round_up(width)}'
        )
    wrapper = TensorOutputs(model, whole_model).eval()
    example = torch.randn(1, 3, height, width)
    dynamic_shapes = None
    if dynamic:
        side = torch.export.Dim
        dynamic_shapes = {
            'inputs': {
                2: SIZE_MULTIPLE * side('height_32', min=1, max=256),
                3: SIZE_MULTIPLE * side('width_32', min=1, max=256),
            }
        }
    name = type(model).__name__
    try:
        with torch.no_grad(), export_friendly(model):
            torch.onnx.export(
                wrapper,
                (example,),
                path,
                dynamo=True,
                opset_version=opset,
                input_names=['inputs'],
                dynamic_shapes=dynamic_shapes,
                external_data=False,
                verbose=False,
            )
    except Exception as error:  # the exporter raises many kinds
        hint = (
            '; try without --dynamic (a fixed input size)' if dynamic else ''
        )
        raise RuntimeError(
            f'{name} could not be exported to ONNX (opset {opset}): '
            f'{type(error).__name__}: {str(error).strip()[:2000]}{hint}'
        ) from error
    return wrapper


def check_sizes(shape: Sequence[int], dynamic: bool) -> List[Tuple[int, int]]:
    """The input sizes an export is checked at: the traced one, and for a
    dynamic graph two others (larger, one of them with a new aspect)."""
    height, width = shape
    sizes = [(height, width)]
    if dynamic:
        sizes += [
            (height + SIZE_MULTIPLE, width + SIZE_MULTIPLE),
            (height + 2 * SIZE_MULTIPLE, width),
        ]
    return sizes


def round_up(size: int, multiple: int = SIZE_MULTIPLE) -> int:
    return -(-size // multiple) * multiple


def check(path: str) -> None:
    """``onnx.checker`` on the exported file (full check with shape
    inference)."""
    onnx = require('onnx', 'Checking the exported graph')
    onnx.checker.check_model(path, full_check=True)


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def example_input(shape: Sequence[int], batch: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch, 3, *shape, generator=generator)


def time_torch(
    function: nn.Module, shape: Sequence[int], repeats: int = 5
) -> float:
    """Median PyTorch time (ms) of ``function`` on one input. Take it
    before exporting: after torch.onnx.export the eager model of some
    families runs several times slower in the same process."""
    inputs = example_input(shape)
    with torch.no_grad():
        return _median_ms(lambda: function(inputs), repeats)


def compare(
    function: nn.Module, path: str, shape: Sequence[int], repeats: int = 5
) -> Dict[str, float]:
    """Run the exported graph in onnxruntime and ``function`` in PyTorch on
    the same input.

    Returns:
        dict: ``max_rel_error`` (the largest ``max|a - b| / max|b|`` over
        the outputs) and ``onnxruntime_ms`` (median).
    """
    ort = require('onnxruntime', 'Running the exported graph')
    inputs = example_input(shape)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = {session.get_inputs()[0].name: inputs.numpy()}
    with torch.no_grad():
        expected = function(inputs)
        got = session.run(None, feed)
        if len(got) != len(expected):
            raise RuntimeError(
                f'the ONNX graph returns {len(got)} outputs, '
                f'PyTorch {len(expected)}'
            )
        for index, (g, e) in enumerate(zip(got, expected)):
            if tuple(g.shape) != tuple(e.shape):
                raise RuntimeError(
                    f'output {index} of the ONNX graph has shape '
                    f'{tuple(g.shape)} at input {shape[0]}x{shape[1]}, '
                    f'PyTorch {tuple(e.shape)}'
                )
        error = max(
            float(
                (torch.from_numpy(g) - e).abs().max()
                / e.abs().max().clamp_min(1e-12)
            )
            for g, e in zip(got, expected)
        )
    ort_ms = _median_ms(lambda: session.run(None, feed), repeats)
    return dict(max_rel_error=error, onnxruntime_ms=ort_ms)
