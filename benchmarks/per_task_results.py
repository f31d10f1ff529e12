"""What the benchmark scripts share: their command line, where they keep their results on a benchmark,
the loop that fills them task by task (written after each task, so that a stopped run keeps what it
finished), and the test numbers of variants run over seeds."""
import argparse
import json
import sys
import time
from collections import OrderedDict
from os import path as osp

from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.reporting import report_models
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.benchmark import seed_statistics
from basicsr_unlearn.tasks import FORGETTABLE, MINI_ROOT, TASKS
from basicsr_unlearn.utils.files import machine, write_json_atomic

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def results_path(benchmark, name):
    """benchmarks/results/<name> for the mini benchmark, benchmarks/results/<benchmark>/<name> else."""
    return osp.join(REPO, 'benchmarks', 'results', *([] if benchmark == 'mini_allinone' else [benchmark]), name)


def kept_results(path, **empty):
    """The results file at ``path`` as it is (what other commands measured stays), else ``empty``."""
    if not osp.isfile(path):
        return OrderedDict(empty)
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=OrderedDict)


def write_per_task(path, benchmark, seeds, tasks, measure):
    """Run ``measure(task)`` for each task into ``path``: machine, seeds, one entry a task and the
    command that wrote it (``commands``); the tasks of ``path`` that this command does not run are kept."""
    started = time.perf_counter()
    script = osp.relpath(osp.abspath(sys.argv[0]), REPO)
    command = ' '.join([f'python {script}'] + sys.argv[1:])
    results = kept_results(path, tasks=OrderedDict())
    earlier = results.pop('command', None)  # a file written before commands were kept per task
    results.setdefault('commands', OrderedDict((task, earlier) for task in results['tasks']))
    results.update(benchmark=benchmark, machine=machine(), seeds=list(seeds))
    for task in tasks:
        results['tasks'][task] = measure(task)
        results['commands'][task] = command
        results['wall_s'] = round(time.perf_counter() - started, 1)
        write_json_atomic(results, path)
    print(f'wrote {path}')


def parse_args(doc, default_out, tasks=None):
    """--data, --out and, with default ``tasks``, --tasks; returns (args, the benchmark's name)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', default=MINI_ROOT)
    if tasks:
        parser.add_argument('--tasks', nargs='+', default=list(tasks), choices=FORGETTABLE)
    parser.add_argument('--out', default=default_out, help='run folders and reports (default: %(default)s)')
    args = parser.parse_args()
    return args, open_benchmark(args.data)['name']


def seeded_variants(weights, group, data_root, network_opt, out, title, costs, runs_of):
    """Evaluate every model of ``weights`` ({label: path}, with the original and the retrained one) on
    test, then each variant ({variant: run labels}) over its seeds, with the steps each run took."""
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in weights.items())
    report, _ = report_models(networks, group, data_root, TASKS, out, title=title, costs=costs, weights=weights)
    stats = seed_statistics(report, runs_of)
    for variant, labels in runs_of.items():
        stats[variant]['steps'] = [costs[label]['steps'] for label in labels]
    return stats
