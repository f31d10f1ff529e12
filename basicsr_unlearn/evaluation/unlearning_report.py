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
  * checks: each unlearned model's numbers against the targets (``acceptance.py``), and the
    reference-free verdict that needs no retrained model (``reference_free.py``);
  * the sha256 of every weights file evaluated, so that the evidence stays bound to them.
"""
from collections import OrderedDict
from os import path as osp

import numpy as np

from ..tasks import task_split
from ..utils.hashing import sha256_file
from .acceptance import acceptance_checks, image_summary
from .membership import allowed_non_member_splits, auc, membership_scores
from .reference_free import UNSEEN_SPLIT, reference_free_checks, unseen_membership
from .restoration_metrics import evaluate_network, paired_sources

GENERATOR = 'basicsr_unlearn'  # marks the reports we wrote: only those are ever overwritten


def evaluate_models(models, data_root, tasks, forget, split='test', member_split='train',
                    non_member_splits=('test', 'val'), unseen_split=UNSEEN_SPLIT, device='cpu'):
    """``models``: ordered {label: network}. Each gets per-task scores on ``split``, the membership
    AUC of the forget training images against ``non_member_splits`` (those the benchmark allows per
    task: ``membership.allowed_non_member_splits``) and, when ``unseen_split`` exists for every forgotten
    task, against that split alone with its bootstrap interval (the reference-free check's number).
    Each image is restored once per model weights (``score_cache``): the split's scores are computed
    first, with SSIM, so that its forget-task images serve the membership attack too."""
    forget_tasks, _ = task_split(tasks, forget)
    if unseen_split and not all(osp.isdir(f'{data_root}/{t}/{unseen_split}') for t in forget_tasks):
        unseen_split = None  # the reference-free verdict then has no membership check
    non_members = OrderedDict((t, allowed_non_member_splits(data_root, t, non_member_splits)) for t in forget_tasks)
    groups = OrderedDict([('members', [(t, member_split) for t in forget_tasks]),
                          ('non_members', [(t, sp) for t, splits in non_members.items() for sp in splits])])
    if unseen_split:
        groups['unseen'] = [(t, unseen_split) for t in forget_tasks]
    sources = paired_sources(data_root, tasks, split)
    results = OrderedDict()
    for label, net in models.items():
        task_scores = evaluate_network(net, sources, device, per_image=True)
        scores = {group: membership_scores(net, [paired_sources(data_root, [t], sp)[t] for t, sp in pairs], device)
                  for group, pairs in groups.items()}
        results[label] = OrderedDict(tasks=task_scores, membership=OrderedDict(
            auc=auc(scores['members'], scores['non_members']), members=len(scores['members']),
            non_members=len(scores['non_members']), non_member_splits=non_members))
        if unseen_split:
            results[label]['membership_unseen'] = unseen_membership(scores['members'], scores['unseen'], unseen_split)
    return results


def gaps(results, tasks, forget):
    """Forget gap, retain change and Avg. Gap of every model against 'retrained'/'original'; per
    image, each forgotten task against the retrained model and each retained one against the
    original (``image_summary``: intervals over images, median, collapsed share)."""
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
            forget_images={t: image_summary(result, retrained, t) for t in forget_tasks},
            retain_images={t: image_summary(result, original, t) for t in retain_tasks},
            mia_gap=abs(result['membership']['auc'] - retrained['membership']['auc']),
            avg_gap=float(np.mean(numbers)))
    return out


def build_report(networks, forget, data_root, tasks, split='test', title='', costs=None,
                 non_member_splits=None, crop_border=0, weights=None, device='cpu'):
    """Evaluate ``networks`` ({label: net}, with 'original', and 'retrained' when there is one)
    into a report dict. Every unlearned model gets the reference-free verdict; with a retrained
    model also the gaps to it and the gold-standard checks. The membership attack's non-members
    are the evaluated split's forget-task images unless ``non_member_splits`` says otherwise."""
    results = evaluate_models(networks, data_root, tasks, forget, split,
                              non_member_splits=non_member_splits or (split,), device=device)
    forget_tasks, retain_tasks = task_split(tasks, forget)
    input_psnr = {t: next(iter(results.values()))['tasks'][t]['input_psnr'] for t in tasks}
    unlearned = [label for label in results if label not in ('original', 'retrained')]
    model_gaps = gaps(results, tasks, forget) if 'retrained' in results else OrderedDict()
    checks = OrderedDict((label, acceptance_checks(model_gaps[label], (costs or {}).get(label)))
                         for label in unlearned if model_gaps)
    reference_free = OrderedDict(
        (label, reference_free_checks(results[label], results['original'], input_psnr, forget_tasks, retain_tasks))
        for label in unlearned)
    weights = weights or {}
    report = OrderedDict(
        generator=GENERATOR, title=title, forget=forget, data_root=data_root, split=split, crop_border=crop_border,
        tasks=list(tasks), input_psnr=input_psnr, models=results, gaps=model_gaps, checks=checks,
        reference_free=reference_free, cost=costs or {}, weights=weights,
        weights_sha256={label: sha256_file(path) for label, path in weights.items()})
    return report
