"""Is the membership attack's yardstick fair? The AUC of every shipped zoo's original and retrained
models, per forgettable degradation, against two sets of non-members: the test split (what every
report used before the benchmark said which splits are made like the training pairs) and the
non-members the benchmark allows (``membership.allowed_non_member_splits``). A model retrained
without a degradation never saw its training images, so a fair yardstick puts its AUC near 0.5.
How near, with this many images, is measured too: the retrained model's AUC over random re-splits
of members and non-members pooled (an image's versions, its noise levels or hazy draws, stay
together, as in the real split), the range a split drawn at random gives a model that saw neither.

    python benchmarks/membership_yardstick.py --data datasets/real_mini
        # writes benchmarks/results/real_mini/membership_yardstick.json
"""
import re
import time
from collections import OrderedDict, defaultdict
from os import path as osp

import numpy as np

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.evaluation.membership import (allowed_non_member_splits, auc, auc_interval,
                                                   membership_scores)
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.restoration_metrics import image_scores, paired_sources
from basicsr_unlearn.tasks import TASK_GROUPS
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.zoo import MODELS, ORIGINAL, ZOOS, load_manifest, zoo_benchmark, zoo_models, zoo_weights
# benchmarks/ is on the path of a script run from it
from per_task_results import parse_args, results_path

YARDSTICKS = OrderedDict([('test', "the test split (the yardstick before)"),
                          ('allowed', "the splits made like the training pairs (benchmark.json)")])
RESPLITS = 2000
VERSION = re.compile(r'_h\d+$')  # the real protocol's hazy versions of one scene: <scene>_h<k>


def scores_of(net, data_root, pairs):
    return membership_scores(net, [paired_sources(data_root, [task], split)[task] for task, split in pairs])


def by_image(net, data_root, pairs):
    """{clean image: [attack scores]}: an image's noise levels or hazy versions under one key."""
    grouped = defaultdict(list)
    for task, split in pairs:
        for score in image_scores(net, paired_sources(data_root, [task], split)[task], with_ssim=False):
            stem = osp.splitext(osp.basename(score['name']))[0]
            grouped[(split, VERSION.sub('', stem))].append(score['psnr'] - score['input_psnr'])
    return grouped


def resplit_null(net, data_root, members, non_members, seed=0):
    """Percentiles (2.5, 50, 97.5) of the AUC over ``RESPLITS`` random splits of the pooled images
    into as many members and non-members as the real split has, and the share at or above ``actual``."""
    pool_members, pool_others = by_image(net, data_root, members), by_image(net, data_root, non_members)
    pooled = list(pool_members.values()) + list(pool_others.values())
    actual = auc(np.concatenate(list(pool_members.values())), np.concatenate(list(pool_others.values())))
    rng, aucs = np.random.default_rng(seed), []
    for _ in range(RESPLITS):
        order = rng.permutation(len(pooled))
        chosen = [pooled[i] for i in order[:len(pool_members)]], [pooled[i] for i in order[len(pool_members):]]
        aucs.append(auc(np.concatenate(chosen[0]), np.concatenate(chosen[1])))
    return OrderedDict(images=[len(pool_members), len(pool_others)], resplits=RESPLITS,
                       percentiles=[float(v) for v in np.percentile(aucs, [2.5, 50, 97.5])],
                       share_at_or_above=float(np.mean(np.array(aucs) >= actual - 1e-12)))


def measure(zoo, group, data_root):
    """Per model (original, retrained) and yardstick: AUC, interval and the non-member splits."""
    tasks = TASK_GROUPS[group]
    non_members = OrderedDict([('test', [(t, 'test') for t in tasks]),
                               ('allowed', [(t, s) for t in tasks
                                            for s in allowed_non_member_splits(data_root, t, ('test',))])])
    retrained = next(name for name, never_saw in zoo_models(zoo).items() if never_saw == group)
    entry = OrderedDict()
    for label, name in (('original', ORIGINAL), ('retrained', retrained)):
        net = network_from_weights(zoo_weights(name, zoo), load_manifest(zoo)['models'][name]['network_g'])[0]
        members = scores_of(net, data_root, [(t, 'train') for t in tasks])
        entry[label] = OrderedDict()
        for yardstick, pairs in non_members.items():
            others = scores_of(net, data_root, pairs)
            entry[label][yardstick] = OrderedDict(
                auc=auc(members, others), interval=auc_interval(members, others), members=len(members),
                non_members=len(others), splits=sorted({f'{t}/{s}' for t, s in pairs}))
            if label == 'retrained':
                entry[label][yardstick]['resplit'] = resplit_null(net, data_root, [(t, 'train') for t in tasks],
                                                                  pairs)
    return entry


def main():
    args, benchmark = parse_args(__doc__, 'yardstick_runs')
    started = time.perf_counter()
    results = OrderedDict(command=f'python benchmarks/membership_yardstick.py --data {args.data}',
                          benchmark=benchmark, machine=machine(), yardsticks=YARDSTICKS, zoos=OrderedDict())
    for zoo in (z for z in ZOOS if zoo_benchmark(z) == benchmark):
        groups = [never_saw for name, never_saw in zoo_models(zoo).items() if name in MODELS and never_saw]
        results['zoos'][zoo] = OrderedDict((group, measure(zoo, group, args.data)) for group in groups)
        results['wall_s'] = round(time.perf_counter() - started, 1)
        print(f'{zoo}: done ({results["wall_s"]:.0f} s)', flush=True)
    path = results_path(benchmark, 'membership_yardstick.json')
    write_json_atomic(results, path)
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
