"""mmmeta's deploy protocol: re-parameterising a trained model for
inference.

Two kinds of parts take part:

* :class:`Fusable` units (a convolution with its BatchNorm, parallel
  depthwise branches) are *replaced* by the plain module :meth:`fuse`
  returns.
* :class:`Reparameterizable` parts rewrite themselves in place
  (:meth:`~Reparameterizable.switch_to_deploy`). A MetaFormer block then
  lets each of its mixers absorb the norm in front of it
  (:meth:`~Reparameterizable.absorb_preceding_norm`) and the layer scale
  behind it (:meth:`~Reparameterizable.absorb_output_scale`), and runs the
  residual branch through :meth:`~Reparameterizable.add_to`, which a mixer
  may fuse with the skip connection.

:func:`switch_to_deploy` walks any model (a backbone, a whole detector) and
applies both. Outputs stay the same up to float rounding; the model is for
inference only afterwards.
"""

from typing import Optional

import torch
from torch import nn


class Fusable(nn.Module):
    """A unit that :func:`switch_to_deploy` replaces by :meth:`fuse`."""

    def fuse(self) -> nn.Module:
        """The equivalent inference-only module (usually one conv)."""
        raise NotImplementedError


class Reparameterizable(nn.Module):
    """A part that can rewrite itself into a faster inference-only form.

    Every hook has a do-nothing default, so a part implements only what it
    can do.
    """

    def switch_to_deploy(self) -> None:
        """Fold this part's internals; by default, its children's."""
        deploy_children(self)

    def absorb_preceding_norm(self, norm: nn.Module) -> Optional[nn.Module]:
        """Take over what the norm in front of this part can hand over (its
        affine transform, or all of it).

        Returns:
            The norm that must still run in front (``norm`` itself if
            nothing was absorbed, None if all of it was).
        """
        return norm

    def absorb_output_scale(self, scale: torch.Tensor) -> bool:
        """Multiply this part's output by ``scale`` (per channel) internally.

        Returns:
            Whether it did; if not, the caller keeps applying the scale.
        """
        return False

    def add_to(
        self, skip: torch.Tensor, x: torch.Tensor, owned: bool = False
    ) -> torch.Tensor:
        """``skip + self(x)``; parts may fuse the addition into their last
        operation, and write it into ``skip`` when the caller ``owned`` it
        (a temporary nothing else reads; inference only)."""
        return skip + self(x)


def deploy_children(module: nn.Module) -> None:
    """Replace the :class:`Fusable` children of ``module`` by their fused
    form and re-parameterise all other descendants."""
    for name, child in module.named_children():
        if isinstance(child, Fusable):
            setattr(module, name, child.fuse())
        else:
            switch_to_deploy(child)


def switch_to_deploy(module: nn.Module) -> nn.Module:
    """Re-parameterise every part of ``module`` for inference, in place.

    Works on a backbone or on a whole detector/segmentor; parts that cannot
    be re-parameterised are left as they are.

    Returns:
        ``module``, in eval mode.
    """
    module.eval()
    if isinstance(module, Reparameterizable):
        module.switch_to_deploy()
    else:
        deploy_children(module)
    return module
