"""Which memory layout the depthwise convolutions of ConvFormer/CAFormer
should run in on this device: channels-last (the stages' layout, no copy)
or NCHW-contiguous (a copy in and out).

    python dev/depthwise_layout.py
    python dev/depthwise_layout.py --device cuda --shape 512 512

For each stage of a ConvFormer-S18 at the given input size it times the
7x7 depthwise convolution of the SepConv mixer (2x expansion) on the
channels-last map as the stages hold it, on an NCHW-contiguous copy with
the copies in and out, and on an NCHW map alone (the layout copies not
counted: what a model kept in NCHW between blocks would pay).
"""

import argparse
import statistics
import time
from typing import Callable, Dict, List

import torch
import torch.nn.functional as F

STAGE_CHANNELS = (64, 128, 320, 512)  # ConvFormer-S18 / CAFormer-S18


def median_ms(
    fn: Callable[[], torch.Tensor], device: str, repeats: int
) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv=None) -> List[Dict]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512])
    parser.add_argument('--kernel', type=int, default=7)
    parser.add_argument('--expansion', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args(argv)
    rows = []
    print(
        f'{"stage":>5} {"C":>5} {"HxW":>9} {"channels-last":>14} '
        f'{"NCHW+copies":>12} {"NCHW alone":>11}  (ms)'
    )
    with torch.no_grad():
        for stage, dim in enumerate(STAGE_CHANNELS):
            channels = dim * args.expansion
            h, w = (s // 2 ** (stage + 2) for s in args.shape)
            weight = torch.randn(
                channels, 1, args.kernel, args.kernel, device=args.device
            )
            nhwc = torch.randn(1, h, w, channels, device=args.device)
            nchw = nhwc.permute(0, 3, 1, 2).contiguous()

            def conv(x, weight=weight, groups=channels):
                return F.conv2d(
                    x, weight, padding=args.kernel // 2, groups=groups
                )

            row = dict(
                stage=stage + 1,
                channels=channels,
                size=(h, w),
                channels_last=median_ms(
                    lambda nhwc=nhwc: conv(nhwc.permute(0, 3, 1, 2)),
                    args.device,
                    args.repeats,
                ),
                nchw_with_copies=median_ms(
                    lambda nhwc=nhwc: (
                        conv(nhwc.permute(0, 3, 1, 2).contiguous())
                        .permute(0, 2, 3, 1)
                        .contiguous()
                    ),
                    args.device,
                    args.repeats,
                ),
                nchw_alone=median_ms(
                    lambda nchw=nchw: conv(nchw), args.device, args.repeats
                ),
            )
            rows.append(row)
            print(
                f'{row["stage"]:>5} {channels:>5} {f"{h}x{w}":>9} '
                f'{row["channels_last"]:>14.2f} '
                f'{row["nchw_with_copies"]:>12.2f} '
                f'{row["nchw_alone"]:>11.2f}'
            )
    return rows


if __name__ == '__main__':
    main()
