"""The fastest inference path a user can reach in one call.

    import mmmeta
    model = mmmeta.optimize_for_inference(model)   # backbone or whole model

``switch_to_deploy()`` folds norms' affines, layer scales, BatchNorms and
parallel branches into the projections; ``torch.compile`` with inductor's
*freezing* then treats the weights as constants (pre-packed GEMM weights,
fused elementwise kernels). Outputs equal the eager model's up to float
rounding. The result is for inference only (call it under
``torch.no_grad()``; freezing applies there).
"""
import platform
from typing import Dict

import torch
from torch import nn

from .layers import switch_to_deploy

#: inductor options of the compiled inference path
COMPILE_OPTIONS = dict(freezing=True)


def optimize_for_inference(model: nn.Module, compile: bool = True,
                           part: str = 'backbone') -> nn.Module:
    """Re-parameterise ``model`` for inference and compile its heavy part.

    Args:
        model (nn.Module): An mmmeta backbone, or a detector / segmentor /
            classifier holding one (an mmengine model wrapper is unwrapped).
        compile (bool): Compile with ``torch.compile`` and inductor
            freezing. Compiling takes seconds to minutes once per input
            shape (dynamic after the second shape). Defaults to True.
        part (str): Which child of a whole model is compiled; the data
            preprocessor and heads' post-processing stay eager. Defaults to
            ``'backbone'``. A model without that child is compiled whole.

    Returns:
        nn.Module: ``model`` itself, in eval mode, with ``part`` replaced by
        its compiled form (or the compiled ``model`` when it has no such
        child).
    """
    model = getattr(model, 'module', model)  # DDP / MMDistributedDataParallel
    switch_to_deploy(model)
    if not compile:
        return model
    target = getattr(model, part, None)
    if isinstance(target, nn.Module):
        setattr(model, part, torch.compile(target, options=COMPILE_OPTIONS))
        return model
    return torch.compile(model, options=COMPILE_OPTIONS)


def _processor_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_capability() -> Dict[str, object]:
    """What this CPU offers torch: its vector ISA and native bfloat16."""
    try:
        bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        bf16 = bool(getattr(torch.cpu, '_is_avx512_bf16_supported',
                            lambda: False)())
    return dict(processor=_processor_name(),
                capability=torch.backends.cpu.get_cpu_capability(),
                native_bf16=bf16, threads=torch.get_num_threads())
