"""The proof of forgetting: original vs retrained vs unlearned models, per task.

Numbers, on held-out test images (docs/Evaluation.md):
  * PSNR/SSIM per task (BasicSR's metrics, RGB, crop_border 0 unless set);
  * forget gap ``|PSNR_F(unlearned) - PSNR_F(retrained)|`` per forgotten task;
  * retain change ``PSNR_R(unlearned) - PSNR_R(original)`` per retained task;
  * membership-inference AUC on the forget training images vs unseen ones;
  * Avg. Gap: the mean absolute difference to the retrained model over all these
    numbers, with PSNR in dB, SSIM and AUC in percent (the literature's convention
    of averaging gaps of numbers in comparable units);
  * cost: unlearning wall time and steps against the retrained model's training;
  * checks: each unlearned model's numbers against the targets (``acceptance.py``);
  * the sha256 of every weights file evaluated, so that the evidence stays bound to them.
"""
from collections import OrderedDict

import numpy as np

from ..tasks import task_split
from ..utils.hashing import sha256_file
from .acceptance import acceptance_checks
from .membership import membership_auc
from .restoration_metrics import evaluate_network, paired_sources

GENERATOR = 'basicsr_unlearn'  # marks the reports we wrote: only those are ever overwritten


def evaluate_models(models, data_root, tasks, forget, split='test', member_split='train',
                    non_member_splits=('test', 'val'), device='cpu'):
    """``models``: ordered {label: network}, with labels 'original' and 'retrained' among them."""
    forget_tasks, _ = task_split(tasks, forget)
    sources = paired_sources(data_root, tasks, split)
    members = list(paired_sources(data_root, forget_tasks, member_split).values())
    non_members = [s for sp in non_member_splits for s in paired_sources(data_root, forget_tasks, sp).values()]
    results = OrderedDict()
    for label, net in models.items():
        results[label] = OrderedDict(tasks=evaluate_network(net, sources, device),
                                     membership=membership_auc(net, members, non_members, device))
    return results


def gaps(results, tasks, forget):
    """Forget gap, retain change and Avg. Gap of every model against 'retrained'/'original'."""
    forget_tasks, retain_tasks = task_split(tasks, forget)
    retrained, original = results['retrained'], results['original']
    out = OrderedDict()
    for label, result in results.items():
        psnr = {t: result['tasks'][t]['psnr'] for t in tasks}
        numbers = [abs(psnr[t] - retrained['tasks'][t]['psnr']) for t in tasks]
        numbers += [100 * abs(result['tasks'][t]['ssim'] - retrained['tasks'][t]['ssim']) for t in tasks]
        numbers.append(100 * abs(result['membership']['auc'] - retrained['membership']['auc']))
        out[label] = OrderedDict(
            forget_gap={t: abs(psnr[t] - retrained['tasks'][t]['psnr']) for t in forget_tasks},
            retain_change={t: psnr[t] - original['tasks'][t]['psnr'] for t in retain_tasks},
            mia_gap=abs(result['membership']['auc'] - retrained['membership']['auc']),
            avg_gap=float(np.mean(numbers)))
    return out


def build_report(networks, forget, data_root, tasks, split='test', title='', costs=None,
                 non_member_splits=('test',), crop_border=0, weights=None):
    """Evaluate ``networks`` ({label: net}, with 'original' and 'retrained') into a report dict."""
    results = evaluate_models(networks, data_root, tasks, forget, split, non_member_splits=non_member_splits)
    any_result = next(iter(results.values()))
    model_gaps = gaps(results, tasks, forget)
    checks = OrderedDict((label, acceptance_checks(gap, (costs or {}).get(label)))
                         for label, gap in model_gaps.items() if label not in ('original', 'retrained'))
    weights = weights or {}
    report = OrderedDict(
        generator=GENERATOR, title=title, forget=forget, data_root=data_root, split=split, crop_border=crop_border,
        tasks=list(tasks), input_psnr={t: any_result['tasks'][t]['input_psnr'] for t in tasks},
        models=results, gaps=model_gaps, checks=checks, cost=costs or {}, weights=weights,
        weights_sha256={label: sha256_file(path) for label, path in weights.items()})
    return report
