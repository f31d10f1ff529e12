"""Where in the network an unlearning run breaks a retained task: put the original's weights back
into one part of the unlearned network at a time and measure, on val, how much of the retained
task comes back and how much of the forgotten one returns with it.

A part whose reversal restores the retained task without restoring the forgotten one is where the
two tasks' updates can be told apart; one that restores both is where they share weights.

    python benchmarks/where_retain_breaks.py --data datasets/real_mini --zoo real_mini --task noise \
        --retained haze --weights <run>/models/net_g_10.pth [<more runs' weights>]
        # writes benchmarks/results/<benchmark>/where_retain_breaks.json
"""
import argparse
import sys
from collections import OrderedDict

import numpy as np
import torch

import basicsr_unlearn  # noqa: F401  (registers the networks)
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.restoration_metrics import image_scores, paired_sources
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.tasks import DEGRADATIONS, TASKS
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.zoo import ORIGINAL, ZOOS, zoo_network_opt, zoo_weights
# benchmarks/ is on the path of a script run from it
from per_task_results import results_path

#: the modules that carry the degradation cue (PromptIR's prompt path, AdaIR's frequency path)
CUE_PREFIXES = ('prompt', 'noise_level', 'reduce_noise', 'chnl_reduce', 'fre')


def part_of(module_name):
    """The part a top-level module belongs to: the cue path, or the restoration backbone's stage."""
    if module_name.startswith(CUE_PREFIXES):
        return 'cue path'
    for stage in ('encoder', 'latent', 'decoder', 'refinement'):
        if module_name.startswith(stage) or (stage == 'encoder' and module_name.startswith('down')):
            return stage
    if module_name.startswith(('up', 'reduce_chan')):
        return 'decoder'
    return 'input/output'


def psnrs(net, sources, key='psnr'):
    """{task: per-image PSNR} of ``net`` (``key='input_psnr'``: of the degraded inputs)."""
    return {task: np.array([s[key] for s in image_scores(net, source, with_ssim=False, cache=False)])
            for task, source in sources.items()}


def measure_run(weights, original, network_opt, sources, retained, forgotten, base):
    """For the unlearned ``weights``: each part reverted to the original's, the retained task's mean and
    median change against the original, and the forgotten tasks' mean PSNR."""
    unlearned = network_from_weights(weights, network_opt)[0].eval()
    parts = OrderedDict()
    for name, _ in unlearned.named_children():
        parts.setdefault(part_of(name), []).append(name)
    reference = original.state_dict()

    def row(net):
        now = psnrs(net, sources)
        change = now[retained] - base[retained]
        return OrderedDict(retained_mean_change=float(change.mean()), retained_median_change=float(np.median(change)),
                           collapsed_share=float((change < -1.0).mean()),
                           forgotten_psnr={t: float(now[t].mean()) for t in forgotten})

    rows = OrderedDict(unlearned=row(unlearned))
    for part, names in parts.items():
        net = network_from_weights(weights, network_opt)[0].eval()
        with torch.no_grad():
            state = net.state_dict()
            for key in state:
                if key.split('.')[0] in names:
                    state[key].copy_(reference[key])
        rows[f'{part} reverted'] = row(net)
        rows[f'{part} reverted']['modules'] = names
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True)
    parser.add_argument('--zoo', required=True, choices=list(ZOOS))
    parser.add_argument('--task', required=True, choices=list(DEGRADATIONS), help='the forgotten degradation')
    parser.add_argument('--retained', required=True, choices=TASKS)
    parser.add_argument('--weights', nargs='+', required=True, help='unlearned weights (e.g. a run after 10 steps)')
    args = parser.parse_args()
    benchmark = open_benchmark(args.data)['name']
    network_opt = zoo_network_opt(ORIGINAL, args.zoo)
    original = network_from_weights(zoo_weights(ORIGINAL, args.zoo), network_opt)[0].eval()
    forgotten = list(DEGRADATIONS[args.task])
    sources = paired_sources(args.data, [args.retained] + forgotten, 'val')
    base = psnrs(original, sources)
    results = OrderedDict(command=' '.join(['python benchmarks/where_retain_breaks.py'] + sys.argv[1:]),
                          benchmark=benchmark, machine=machine(), zoo=args.zoo, task=args.task, retained=args.retained,
                          original=OrderedDict(forgotten_psnr={t: float(base[t].mean()) for t in forgotten}),
                          input_psnr={t: float(v.mean()) for t, v in psnrs(original, sources, 'input_psnr').items()},
                          runs=OrderedDict())
    for weights in args.weights:
        results['runs'][weights] = measure_run(weights, original, network_opt, sources, args.retained, forgotten, base)
        for label, row in results['runs'][weights].items():
            print(f"{label:24s} {args.retained} mean {row['retained_mean_change']:+.2f} median "
                  f"{row['retained_median_change']:+.2f} collapsed {row['collapsed_share']:.0%}  forgotten "
                  + ' '.join(f'{t} {v:.2f}' for t, v in row['forgotten_psnr'].items()), flush=True)
    path = results_path(benchmark, 'where_retain_breaks.json')
    write_json_atomic(results, path)
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
