"""Evaluation, training steps and one benchmark run, timed on two versions of this project in one
sitting on the same machine: what a speed-up changed, measured rather than assumed.

    python benchmarks/speedup.py --before <commit> --mini datasets/mini_allinone --real datasets/real_mini

Each version runs from a git worktree (the working tree is "after"), one measurement at a time, in
fresh processes, with the score cache cold unless said otherwise:
  * eval: images/s of one network (the real-data zoo's all-in-one PromptIR) on the real mini test split;
  * report: the evaluation a demo does (original, retrained and one unlearned network on the mini
    test split, with the membership attack), cold, then again with a newly unlearned network (what
    every later run of a benchmark or a demo pays once the fixed models are scored);
  * step: one AdversarialRetainModel step of the shipped batch (8 forget + 8 retain pairs, 48 px),
    and one SRModel step of the same size (``benchmarks/step_cost.py``);
  * benchmark: the wall time of one benchmark run (``benchmark --task rain --methods ours`` at one
    rate on the mini benchmark) and where it goes: start-up (imports), training (BasicSR's
    subprocess), val and test evaluation, membership scoring within them; twice, the second time
    with the scores the first one kept.
Writes ``benchmarks/results/speedup.json``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from os import path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def measure(args):
    """Inside one version: the numbers of that version (run as ``--measure``)."""
    import torch

    import basicsr_unlearn  # noqa: F401
    from basicsr_unlearn.evaluation import restoration_metrics as metrics
    from basicsr_unlearn.evaluation.networks import network_from_weights as load
    from basicsr_unlearn.evaluation.unlearning_report import build_report
    from basicsr_unlearn.zoo import zoo_network_opt, zoo_weights
    out = {}
    net = load(zoo_weights('allinone', 'real_mini'), zoo_network_opt('allinone', 'real_mini'))[0]
    sources = metrics.paired_sources(args.real, ['noise15', 'noise25', 'noise50', 'rain', 'haze'], 'test')
    images = sum(len(s) for s in sources.values())
    start = time.perf_counter()
    metrics.evaluate_network(net, sources)
    out['eval_images_per_s'] = images / (time.perf_counter() - start)
    out['eval_images'] = images

    networks = {label: load(zoo_weights(name), zoo_network_opt())[0]
                for label, name in (('original', 'allinone'), ('retrained', 'no_rain'), ('unlearned', 'allinone'))}
    for run in ('report_cold_s', 'report_warm_s'):
        with torch.no_grad():  # a newly unlearned network each time
            next(networks['unlearned'].parameters()).add_(1e-3)
        start = time.perf_counter()
        build_report(networks, 'rain', args.mini, ['noise15', 'noise25', 'noise50', 'rain', 'haze'])
        out[run] = time.perf_counter() - start
    return out


def measure_benchmark(args):
    """Inside one version: one benchmark run (ours, one rate, the mini benchmark), its wall time split
    into training (BasicSR's subprocess, its start-up included), val and test evaluation (each
    with its membership scoring, also given alone)."""
    from collections import defaultdict

    from basicsr_unlearn.evaluation import unlearning_report
    from basicsr_unlearn.runs import benchmark
    spent = defaultdict(float)

    def timed(module, name, phase):
        function = getattr(module, name)

        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[phase] += time.perf_counter() - start
        setattr(module, name, wrapper)
    timed(benchmark, 'run_training', 'training_s')
    timed(benchmark, 'evaluate_models', 'val_evaluation_s')
    timed(benchmark, 'report_models', 'test_evaluation_s')
    timed(unlearning_report, 'membership_scores', 'membership_s')
    start = time.perf_counter()
    benchmark.run_benchmark('rain', args.mini, args.out, ['ours'], [1e-3])
    return dict(spent, run_benchmark_s=time.perf_counter() - start)


def in_version(tree, cmd, cache):
    env = dict(os.environ, PYTHONPATH=tree, BASICSR_UNLEARN_SCORE_CACHE=cache)
    return subprocess.run(cmd, cwd=tree, env=env, check=True, capture_output=True, text=True)


def version_numbers(tree, args, work):
    cache = osp.join(work, 'cache')
    result = json.loads(in_version(tree, [sys.executable, osp.abspath(__file__), '--measure', '--mini',
                                          osp.abspath(args.mini), '--real', osp.abspath(args.real)],
                                   cache).stdout.strip().splitlines()[-1])
    steps = osp.join(work, 'steps.json')
    in_version(tree, [sys.executable, 'benchmarks/step_cost.py', '--batch', '8', '--size', '48', '--json', steps],
               'off')
    with open(steps, encoding='utf-8') as f:
        seconds = json.load(f)['seconds']
    result['step_s'] = dict(SRModel=seconds['SRModel'],
                            AdversarialRetainModel=seconds['AdversarialRetainModel, no PGD'])
    bench_cache = osp.join(work, 'bench_cache')
    for run in ('benchmark_cold', 'benchmark_warm'):
        start = time.perf_counter()
        phases = in_version(tree, [sys.executable, osp.abspath(__file__), '--measure-benchmark', '--mini',
                                   osp.abspath(args.mini), '--real', osp.abspath(args.real), '--out',
                                   osp.join(work, run)], bench_cache).stdout.strip().splitlines()[-1]
        result[run] = dict(json.loads(phases), wall_s=time.perf_counter() - start)
        result[run]['start_up_s'] = result[run]['wall_s'] - result[run]['run_benchmark_s']
    return result


def worktree(revision, folder):
    subprocess.run(['git', 'worktree', 'add', '--detach', folder, revision], cwd=REPO, check=True,
                   capture_output=True)
    # the installed package maps basicsr_unlearn.options to this checkout's options/: point it at the worktree's
    os.symlink(osp.join(folder, 'options'), osp.join(folder, 'basicsr_unlearn', 'options'))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--before', help='the commit before the change')
    parser.add_argument('--mini', required=True, help='the mini benchmark (basicsr-unlearn prepare-data)')
    parser.add_argument('--real', required=True, help='the real mini protocol (prepare-real --preset ...)')
    parser.add_argument('--measure', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--measure-benchmark', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    parser.add_argument('--json', default=osp.join(REPO, 'benchmarks', 'results', 'speedup.json'))
    args = parser.parse_args()
    if args.measure or args.measure_benchmark:
        print(json.dumps(measure(args) if args.measure else measure_benchmark(args)))
        return
    import torch
    from basicsr_unlearn.utils.files import machine, write_json_atomic
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    results = dict(command=' '.join(['python', 'benchmarks/speedup.py'] + sys.argv[1:]), machine=machine(),
                   threads=torch.get_num_threads(), versions={})
    with tempfile.TemporaryDirectory() as work:
        before = osp.join(work, 'before')
        worktree(args.before, before)
        try:
            for label, tree in ((f'before ({args.before})', before), (f'after ({commit} + working tree)', REPO)):
                os.makedirs(osp.join(work, label))
                results['versions'][label] = version_numbers(tree, args, osp.join(work, label))
                print(label, json.dumps(results['versions'][label]), flush=True)
        finally:
            subprocess.run(['git', 'worktree', 'remove', '--force', before], cwd=REPO, capture_output=True)
    write_json_atomic(results, args.json)


if __name__ == '__main__':
    main()
