"""Where a benchmark script keeps its results on a benchmark, and the loop that fills them task by
task, written after each task so that a stopped run keeps what it finished."""
import sys
import time
from collections import OrderedDict
from os import path as osp

from basicsr_unlearn.utils.files import machine, write_json_atomic

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def results_path(benchmark, name):
    """benchmarks/results/<name> for the mini benchmark, benchmarks/results/<benchmark>/<name> else."""
    return osp.join(REPO, 'benchmarks', 'results', *([] if benchmark == 'mini_allinone' else [benchmark]), name)


def write_per_task(path, benchmark, seeds, tasks, measure):
    """Run ``measure(task)`` for each task into ``path``: the command, machine, seeds and one entry a task."""
    started = time.perf_counter()
    script = osp.relpath(osp.abspath(sys.argv[0]), REPO)
    results = OrderedDict(command=' '.join([f'python {script}'] + sys.argv[1:]), benchmark=benchmark,
                          machine=machine(), seeds=list(seeds), tasks=OrderedDict())
    for task in tasks:
        results['tasks'][task] = measure(task)
        results['wall_s'] = round(time.perf_counter() - started, 1)
        write_json_atomic(results, path)
    print(f'wrote {path}')
