"""Write a small synthetic dataset in the real ADE20K or COCO layout, or
an ImageNet-like class-folder layout.

    python tools/misc/make_demo_data.py ade20k data/demo/ade
    python tools/misc/make_demo_data.py coco data/demo/coco --num-train 40
    python tools/misc/make_demo_data.py imagenet data/demo/imagenet
"""
import argparse

from mmmeta.utils.synthetic_data import make_ade20k, make_coco, make_imagenet


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=['ade20k', 'coco', 'imagenet'])
    parser.add_argument('root', help='output directory (the data_root)')
    parser.add_argument('--num-train', type=int, default=None)
    parser.add_argument('--num-val', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    make = dict(ade20k=make_ade20k, coco=make_coco,
                imagenet=make_imagenet)[args.kind]
    counts = {k: v for k, v in (('num_train', args.num_train),
                                ('num_val', args.num_val)) if v is not None}
    make(args.root, seed=args.seed, **counts)
    print(f'wrote a synthetic {args.kind} dataset to {args.root}')


if __name__ == '__main__':
    main()
