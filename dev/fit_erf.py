"""Fit the rational erf that mmmeta's compiled CPU GELU uses.

    python dev/fit_erf.py

``erf(z) ~ z * P(z^2) / Q(z^2)`` on ``0 <= z <= 4`` with ``Q(0) = 1``
(erf is odd, and ``erf(4)`` rounds to 1 in float32, so inputs are clamped
there). The coefficients solve the linearised problem
``z * P(s) - erf(z) * Q(s) = 0`` by least squares, re-weighted by
``1 / |Q|`` from the previous solution (Sanathanan-Koerner) so that the
weighted residual becomes the true error, and in later rounds towards the
largest errors (Lawson). The script prints the coefficients and the errors
of the float32 evaluation (erf, and GELU built on it) next to ATen's.
"""

import argparse
import os
import sys

import torch
import torch.nn.functional as F


def fit(
    numerator_terms: int,
    denominator_terms: int,
    rounds: int = 30,
    points: int = 20001,
    limit: float = 4.0,
):
    """Coefficients ``(P, Q)`` (lowest order first, ``Q[0] == 1``)."""
    z = torch.linspace(0, limit, points, dtype=torch.float64)
    s, target = z * z, torch.special.erf(z)
    p_powers = s[:, None] ** torch.arange(numerator_terms)
    q_powers = s[:, None] ** torch.arange(1, denominator_terms + 1)
    system = torch.cat([z[:, None] * p_powers, -target[:, None] * q_powers], 1)
    weight = torch.ones_like(z)
    for index in range(rounds):
        weighted = system * weight[:, None]
        solution = torch.linalg.lstsq(
            weighted, (target * weight)[:, None]
        ).solution
        solution = solution[:, 0]
        p = solution[:numerator_terms]
        q = torch.cat([solution.new_ones(1), solution[numerator_terms:]])
        denominator = q_powers @ q[1:] + 1
        error = (z * (p_powers @ p) / denominator - target).abs()
        weight = 1 / denominator.abs()
        if index >= rounds // 3:
            weight = weight * (error / error.max() + 0.05).sqrt()
    return p.tolist(), q.tolist()


def float32_errors(p, q, limit: float = 4.0) -> dict:
    """Largest float32 errors against float64 on a dense grid: of erf
    (absolute), of the GELU built on it (relative to ``|x|``) and of
    ATen's float32 erf and GELU."""
    from mmmeta.models.layers.activations import rational_erf, rational_gelu

    z = torch.linspace(-6, 6, 600001)
    x = torch.linspace(-10, 10, 2000001)
    exact = F.gelu(x.double())
    ours = rational_gelu(x, p, q, limit)

    def gelu_error(got):
        return (
            ((got.double() - exact).abs() / x.double().abs().clamp_min(1e-3))
            .max()
            .item()
        )

    def erf_error(got):
        return (
            (got.double() - torch.special.erf(z.double())).abs().max().item()
        )

    return dict(
        erf=erf_error(rational_erf(z, p, q, limit)),
        aten_erf=erf_error(torch.erf(z)),
        gelu=gelu_error(ours),
        aten_gelu=gelu_error(F.gelu(x)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--terms',
        type=int,
        nargs=2,
        default=(6, 6),
        metavar=('P', 'Q'),
        help='coefficients of P and Q (Q includes its 1)',
    )
    args = parser.parse_args()
    p, q = fit(args.terms[0], args.terms[1] - 1)
    print('P =', tuple(p))
    print('Q =', tuple(q))
    errors = float32_errors(p, q)
    print(
        f'float32 erf, max abs error: rational {errors["erf"]:.2e}, '
        f'ATen {errors["aten_erf"]:.2e}'
    )
    print(
        f'float32 GELU, max error / |x|: with the rational erf '
        f'{errors["gelu"]:.2e}, ATen {errors["aten_gelu"]:.2e}'
    )


if __name__ == '__main__':
    sys.path.insert(
        0, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    )
    main()
