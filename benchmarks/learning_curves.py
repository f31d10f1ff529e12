"""Val PSNR of every task against iterations, for a training recipe of the real mini protocol.

Trains the recipe (optionally changed with ``--set key=value``, BasicSR option keys joined by
``:``) through BasicSR's loop in chunks (basicsr_unlearn/runs/chunked_training.py: stop at any
time, the same command continues from the last saved state), saves the weights every
``--every`` iterations, and scores each saved network on the val split of every task. The
schedule is the recipe's, stretched to ``--iters``. Points are added to
``benchmarks/results/real_mini/learning_curves.json`` under ``--label`` after every chunk.

    python benchmarks/learning_curves.py --label "tiny, dim 12" --iters 6000
    python benchmarks/learning_curves.py --label "dim 24" --set network_g:dim=24 --iters 6000
"""
import argparse
import glob
import json
import re
import shlex
import sys
import time
from collections import OrderedDict
from os import path as osp

import yaml

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.restoration_metrics import evaluate_network, paired_sources
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.chunked_training import train_in_chunks
from basicsr_unlearn.tasks import REAL_MINI_ROOT, TASKS
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.utils.options import rebase_dataroots, set_option_key, shipped_option

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_JSON = osp.join(REPO, 'benchmarks', 'results', 'real_mini', 'learning_curves.json')
DEFAULT_RECIPE = 'train/PromptIR/promptir_tiny_real_allinone.yml'
SAVED = re.compile(r'net_g_(\d+)\.pth$')


def curve_option(recipe, data_root, label, iters, every, sets):
    """The recipe on ``data_root``, changed by ``sets``, run for ``iters`` with its schedule stretched
    to them, saving every ``every`` iterations and validating nowhere (the curve scores the saves)."""
    opt = rebase_dataroots(shipped_option(recipe), osp.abspath(data_root), REAL_MINI_ROOT)
    for item in sets:
        key, _, value = item.partition('=')
        set_option_key(opt, key, yaml.safe_load(value), new_key=False, source=recipe)
    for source in opt['datasets']['train'].get('sources', []):  # paths given in --set: from here, not the run's folder
        for key in ('dataroot_gt', 'dataroot_lq'):
            source[key] = osp.abspath(source[key])
    opt['name'] = 'curve_' + re.sub(r'[^A-Za-z0-9]+', '_', label).strip('_').lower()
    opt['train']['total_iter'] = iters
    opt['train']['scheduler']['periods'] = [iters]
    opt.pop('val', None)
    opt['datasets'] = {phase: d for phase, d in opt['datasets'].items() if not phase.startswith('val')}
    opt['logger'].update(save_checkpoint_freq=every, print_freq=min(every, 100))
    return opt


def score_new_saves(curve, work_dir, opt, sources):
    """Score every saved network of the run not yet on the curve."""
    scored = {point['iter'] for point in curve['points']}
    for path in glob.glob(osp.join(work_dir, 'experiments', opt['name'], 'models', 'net_g_*.pth')):
        match = SAVED.search(path)
        if not match or int(match.group(1)) in scored:
            continue
        net, _ = network_from_weights(path, opt['network_g'])
        scores = evaluate_network(net, sources)
        curve['points'].append(dict(iter=int(match.group(1)),
                                    val={task: round(s['psnr'], 3) for task, s in scores.items()}))
        curve['input'] = {task: round(s['input_psnr'], 3) for task, s in scores.items()}
    curve['points'].sort(key=lambda point: point['iter'])


def read_results(path):
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=OrderedDict)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--label', required=True, help='name of the curve in the json (and of its run)')
    parser.add_argument('--recipe', default=DEFAULT_RECIPE, help='under options/ (default: %(default)s)')
    parser.add_argument('--set', nargs='*', default=[], metavar='KEY=VALUE', help='e.g. network_g:dim=24')
    parser.add_argument('--iters', type=int, default=6000)
    parser.add_argument('--every', type=int, default=500, help='iterations between scored saves')
    parser.add_argument('--chunk', type=int, default=1500, help='iterations per BasicSR run')
    parser.add_argument('--max-chunks', type=int, help='stop after this many chunks (run again to continue)')
    parser.add_argument('--data', default=REAL_MINI_ROOT)
    parser.add_argument('--work', default='curve_runs', help='training runs (default: %(default)s)')
    parser.add_argument('--json', default=DEFAULT_JSON)
    args = parser.parse_args()
    stamp = open_benchmark(args.data)
    opt = curve_option(args.recipe, args.data, args.label, args.iters, args.every, args.set)
    work_dir = osp.join(osp.abspath(args.work), opt['name'])
    sources = paired_sources(args.data, TASKS, 'val')
    results = read_results(args.json) or OrderedDict(
        command='python benchmarks/learning_curves.py', benchmark=stamp['name'],
        benchmark_file_hash=stamp['file_hash'], curves=OrderedDict())
    if results['benchmark_file_hash'] != stamp['file_hash']:
        sys.exit(f'{args.json} holds curves of another build of the benchmark; use another --json.')
    curve = results['curves'].setdefault(args.label, OrderedDict(points=[]))
    command = ' '.join(['python', 'benchmarks/learning_curves.py'] + [shlex.quote(a) for a in sys.argv[1:]])
    curve.update(command=command, recipe=f'options/{args.recipe}', sets=args.set, iters=args.iters, every=args.every,
                 network_g=opt['network_g'], trained_tasks=[s['tag'] for s in opt['datasets']['train']['sources']],
                 machine=machine())

    recorded = []

    def record(ledger):
        recorded.append(ledger['done'])
        started = time.perf_counter()
        score_new_saves(curve, work_dir, opt, sources)
        curve.update(done=ledger['done'], train_wall_time_s=ledger['wall_time_s'],
                     chunks=len(ledger['chunks']))
        write_json_atomic(results, args.json)
        last = curve['points'][-1]
        print(f"{args.label}: {ledger['done']} iterations, {ledger['wall_time_s'] / 60:.1f} min training; val at "
              f"{last['iter']}: " + ', '.join(f'{t} {p:.2f}' for t, p in last['val'].items()) +
              f' (scored in {time.perf_counter() - started:.0f} s)', flush=True)
    ledger = train_in_chunks(opt, work_dir, args.chunk, args.max_chunks, record)
    if ledger['chunks'] and not recorded:
        record(ledger)  # a finished run called again: its entry rewritten with this command's options
    return 0


if __name__ == '__main__':
    sys.exit(main())
