"""Line coverage of ``mmmeta/`` by ``make test`` next to ``make test-all``'s,
from one recorded run of every test.

Record the run with one coverage context per test, then read it::

    make test-all PYTEST_ARGS="--cov=mmmeta --cov-context=test --cov-report="
    python dev/subset_coverage.py .coverage

The lines of the subset are those some selected test ran, plus the lines
run outside any test (imports at collection). The subset is what
``pytest -m 'not slow'`` collects (``--marks`` changes the expression).
Code run in subprocesses (the tools' end-to-end runs) is not recorded by
either figure.
"""

import argparse
import os.path as osp
import subprocess
import sys
from typing import Iterable, Set, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def collected(marks: str) -> Set[str]:
    """The node ids ``pytest -m MARKS`` selects from ``tests/``."""
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', 'tests', '-m', marks]
        + ['--collect-only', '-q', '-p', 'no:cacheprovider'],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(
            f'pytest could not collect tests/ in {ROOT} (exit '
            f'{done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}'
        )
    return {line.strip() for line in done.stdout.splitlines() if '::' in line}


def line_counts(data_file: str, wanted: Iterable[str]) -> Tuple[int, ...]:
    """(statements, lines any test ran, lines the ``wanted`` tests ran)."""
    import coverage

    wanted = set(wanted)
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    data = cov.get_data()
    if len(data.measured_contexts()) < 2:
        raise SystemExit(
            f'{data_file} has no per-test contexts: record it with '
            '--cov-context=test'
        )
    total = hit_all = hit_subset = 0
    for path in data.measured_files():
        statements = set(cov.analysis2(path)[1])
        for line, contexts in data.contexts_by_lineno(path).items():
            if line not in statements:
                continue
            hit_all += 1
            # a context is 'NODEID|run' (or |setup, |teardown); '' is
            # code run outside a test
            hit_subset += any(
                not c or c.rsplit('|', 1)[0] in wanted for c in contexts
            )
        total += len(statements)
    return total, hit_all, hit_subset


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_file', help='.coverage of a make test-all run')
    parser.add_argument(
        '--marks',
        default='not slow',
        help='pytest -m expression of the subset',
    )
    args = parser.parse_args(argv)
    if not osp.exists(args.data_file):
        raise SystemExit(
            f'{args.data_file} not found: record it first (see --help)'
        )
    wanted = collected(args.marks)
    total, hit_all, hit_subset = line_counts(args.data_file, wanted)
    print(f'{total} statements of mmmeta/')
    print(f'every test:       {hit_all} lines, {100 * hit_all / total:.2f} %')
    print(
        f'-m {args.marks!r} ({len(wanted)} tests): {hit_subset} lines, '
        f'{100 * hit_subset / total:.2f} %'
    )


if __name__ == '__main__':
    main()
