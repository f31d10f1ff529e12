"""Which benchmark a data root holds, recognised by its ``benchmark.json``.

Commands take ``--data``: the embedded mini benchmark is built there when the folder is
missing (seconds); the real mini protocol needs its sources and is built only by
``prepare-real --preset allinone-mini``.
"""
from os import path as osp

from ..tasks import BENCHMARK_ROOTS, MINI_BENCHMARK, REAL_MINI_ROOT
from ..utils import MissingFileError, UserError
from .mini_benchmark import build_mini_benchmark
from .stamped_folder import read_stamp

PREPARE_REAL = f'basicsr-unlearn prepare-real --preset allinone-mini --src DIR --out {REAL_MINI_ROOT}'


def open_benchmark(data_root, quiet=True):
    """The stamp (``benchmark.json`` as a dict) of the benchmark at ``data_root``."""
    stamp = read_stamp(data_root)
    if stamp is None and not osp.exists(data_root) and osp.basename(osp.normpath(data_root)) == 'real_mini':
        raise MissingFileError(f'{data_root} does not exist; build the real mini protocol first: {PREPARE_REAL}')
    if stamp is None or stamp.get('name') == MINI_BENCHMARK:
        return build_mini_benchmark(data_root, quiet=quiet)  # builds, checks, or refuses a foreign folder
    if stamp.get('name') not in BENCHMARK_ROOTS:
        raise UserError(f'{data_root}/benchmark.json names benchmark {stamp.get("name")!r}; expected one of '
                        f'{list(BENCHMARK_ROOTS)}.')
    return stamp
