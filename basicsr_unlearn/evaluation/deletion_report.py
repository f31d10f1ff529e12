"""The proof of a deletion: some training images of a task go, the task stays.

A model retrained without the deleted images restores them like any unseen image of
their task, and a membership attack cannot tell them from unseen ones; that task and
the others keep their quality. Per model (original, retrained, unlearned), on three
groups of the task's images, the deleted training images, the retained training images
and the unseen test images:

  * PSNR and the gain over the degraded input of each group;
  * the membership attack's AUC (``membership.py``) of deleted vs unseen, with its
    bootstrap interval, beside retained vs unseen (the attack's power on images the model
    did keep: the level the deleted images start from);
  * every task's PSNR on the unseen split (``task_psnr``).

Checks of an unlearned model, with the thresholds of ``acceptance.TARGETS``: deleted
images restored like the retrained model restores them, every task's test PSNR within
``retain_drop_db`` of the original, the deleted-vs-unseen AUC within ``mia_gap`` of the
retrained model's. Without a retrained model: the AUC's interval holds chance (0.5), and
every task stays within ``retain_drop_db`` of the original.

A deletion's settings are chosen on the val split by ``deletion_gaps``: how far a model's
numbers are from the retrained model's, averaged (the Avg. Gap of deletion).
"""
from collections import OrderedDict

import numpy as np

from ..data.paired_source import PairedSource
from ..tasks import TASKS
from ..utils.hashing import sha256_file
from .acceptance import TARGETS, check_row, cost_rows
from .membership import calibrated_scores
from .reference_free import CHANCE_AUC, unseen_membership
from .restoration_metrics import image_scores, paired_sources, split_source_opt
from .unlearning_report import GENERATOR

GROUPS = ('deleted', 'retained', 'unseen')


def deletion_groups(data_root, task, names, unseen_split='test'):
    """{group: PairedSource} of ``task``'s images in the benchmark layout at ``data_root``."""
    return OrderedDict(
        deleted=PairedSource(split_source_opt(data_root, task, 'train', names=list(names)), f'{task}/train (deleted)'),
        retained=PairedSource(split_source_opt(data_root, task, 'train', exclude=list(names)),
                              f'{task}/train (retained)'),
        unseen=paired_sources(data_root, [task], unseen_split)[task])


def evaluate_deletion(networks, data_root, task, names, tasks=TASKS, unseen_split='test', device='cpu'):
    """{label: result} for ``networks`` ({label: net}); each image is restored once per model.
    The unseen group is ``task``'s ``unseen_split``, the split every task's PSNR is measured on."""
    groups = deletion_groups(data_root, task, names, unseen_split)
    tests = paired_sources(data_root, [t for t in tasks if t != task], unseen_split)
    results = OrderedDict()
    for label, net in networks.items():
        scores = {group: image_scores(net, source, device, with_ssim=False) for group, source in groups.items()}
        scores.update({t: image_scores(net, source, device, with_ssim=False) for t, source in tests.items()})
        attack = {group: calibrated_scores(scores[group]) for group in GROUPS}
        results[label] = OrderedDict(
            groups=OrderedDict((group, OrderedDict(
                psnr=float(np.mean([s['psnr'] for s in scores[group]])),
                gain=float(np.mean(attack[group])), count=len(scores[group]))) for group in GROUPS),
            membership=OrderedDict(
                deleted_vs_unseen=unseen_membership(attack['deleted'], attack['unseen'], unseen_split),
                retained_vs_unseen=unseen_membership(attack['retained'], attack['unseen'], unseen_split)),
            task_psnr=OrderedDict((t, float(np.mean([s['psnr'] for s in scores['unseen' if t == task else t]])))
                                  for t in tasks))
    return results


def deletion_gaps(results):
    """Per model of ``results`` (with 'retrained'): its distance to the retrained model on the
    deleted images' PSNR, on every task's PSNR and (x100) on the deleted-vs-unseen AUC, and
    the mean of these (``avg_gap``, units as in ``unlearning_report.gaps``). The deleted images
    are training images: the only place their forgetting shows; the tasks' PSNR and the AUC
    are measured on the split ``results`` was evaluated on (val, to choose settings)."""
    retrained = results['retrained']
    out = OrderedDict()
    for label, result in results.items():
        numbers = OrderedDict(deleted=abs(result['groups']['deleted']['psnr'] - retrained['groups']['deleted']['psnr']))
        numbers.update((t, abs(psnr - retrained['task_psnr'][t])) for t, psnr in result['task_psnr'].items())
        numbers['membership'] = 100 * abs(result['membership']['deleted_vs_unseen']['auc']
                                          - retrained['membership']['deleted_vs_unseen']['auc'])
        out[label] = OrderedDict(gaps=numbers, avg_gap=float(np.mean(list(numbers.values()))))
    return out


def deletion_checks(result, original, retrained=None, cost=None, targets=TARGETS):
    """Rows like ``acceptance_checks``' for one unlearned model: against the retrained model when
    there is one (the gold standard), else against chance and the original alone."""
    drop = targets['retain_drop_db']
    rows = [check_row(f'test change {t}', f'{result["task_psnr"][t] - psnr:+.2f} dB', f'>= {-drop:+.2f} dB',
                      result['task_psnr'][t] - psnr >= -drop, 'retain_drop_db')
            for t, psnr in original['task_psnr'].items()]
    auc = result['membership']['deleted_vs_unseen']
    if retrained is not None:
        gap = abs(result['groups']['deleted']['psnr'] - retrained['groups']['deleted']['psnr'])
        rows.insert(0, check_row('deleted vs retrained', f'{gap:.2f} dB', f'<= {targets["forget_gap_db"]:.2f} dB',
                                 gap <= targets['forget_gap_db'], 'forget_gap_db'))
        mia_gap = abs(auc['auc'] - retrained['membership']['deleted_vs_unseen']['auc'])
        rows.append(check_row('membership AUC gap', f'{mia_gap:.3f}', f'<= {targets["mia_gap"]:.3f}',
                              mia_gap <= targets['mia_gap'], 'mia_gap'))
    else:
        low, high = auc['interval']
        rows.append(check_row('deleted vs unseen AUC', f'{auc["auc"]:.3f} [{low:.2f}, {high:.2f}]',
                              f'holds {CHANCE_AUC}', low <= CHANCE_AUC <= high, 'mia_gap'))
    return rows + cost_rows(cost, targets)


def build_deletion_report(networks, data_root, request, task, names, title='', costs=None, weights=None):
    """Evaluate ``networks`` ({label: net} with 'original', and 'retrained' when there is one)."""
    results = evaluate_deletion(networks, data_root, task, names)
    unlearned = [label for label in results if label not in ('original', 'retrained')]
    costs, weights = costs or {}, weights or {}
    checks = OrderedDict((label, deletion_checks(results[label], results['original'], results.get('retrained'),
                                                 costs.get(label))) for label in unlearned)
    return OrderedDict(
        generator=GENERATOR, title=title, request=request, task=task, deleted=list(names), data_root=data_root,
        models=results, checks=checks, cost=costs, weights=weights,
        weights_sha256={label: sha256_file(p) for label, p in weights.items()})


def format_deletion_table(report):
    """The deleted / retained / unseen table: PSNR (gain over the input) per group, the two AUCs."""
    counts = next(iter(report['models'].values()))['groups']
    heads = [f'{group} ({counts[group]["count"]})' for group in GROUPS]
    others = [t for t in next(iter(report['models'].values()))['task_psnr'] if t != report['task']]
    width = max(len(label) for label in report['models']) + 2
    lines = [f'{report["task"]} images: PSNR dB (gain over input)  |  membership AUC vs unseen  |  test PSNR',
             f'{"":<{width}}' + ''.join(f'{h:>18}' for h in heads) + f'{"deleted":>15}{"retained":>10}'
             + ''.join(f'{t:>9}' for t in others)]
    for label, result in report['models'].items():
        groups, membership = result['groups'], result['membership']
        cells = [f'{label:<{width}}'] + [f'{groups[g]["psnr"]:>10.2f} ({groups[g]["gain"]:+.2f})' for g in GROUPS]
        cells += [f'{membership["deleted_vs_unseen"]["auc"]:>15.3f}',
                  f'{membership["retained_vs_unseen"]["auc"]:>10.3f}']
        lines.append(''.join(cells + [f'{result["task_psnr"][t]:>9.2f}' for t in others]))
    return '\n'.join(lines)
