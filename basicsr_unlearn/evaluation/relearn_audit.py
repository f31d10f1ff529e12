"""Is the task gone, or hidden? The relearning audit.

In other fields, models that only suppress a behaviour relearn it from a handful of examples
far faster than a model that never learned it. The audit fine-tunes a copy of every model with
one fixed small budget (``BUDGET``: a few forget training pairs, a few steps, one rate and seed)
and records the forgotten tasks' val PSNR along the way. Its number is the steps a model needs
to regain ``REGAIN_FRACTION`` of the original's gain over the degraded input; None means not
within the budget.

Read it against the retrained model's figure when there is one (the unlearned model should not
need fewer steps). Without one, the original is at the target from step 0, and a model that
reaches it within a step or two of the budget holds the task back rather than lacking it; one
that does not reach it in the budget is as slow to relearn as the budget can tell.
"""
from collections import OrderedDict
from copy import deepcopy

import numpy as np
import torch
import torch.nn.functional as F

from basicsr.utils import img2tensor

from ..data.paired_source import random_crop_and_augment
from ..tasks import task_split
from .restoration_metrics import compute_image_scores, image_scores, paired_sources

#: one fixed budget for every model: pairs of the forget training set (spread over its tasks),
#: one random crop of each, Adam steps on batches of ``batch``, val PSNR every ``every`` steps
BUDGET = OrderedDict(pairs=8, crop=48, batch=4, steps=20, lr=1e-3, seed=0, every=2)
REGAIN_FRACTION = 0.5


def relearn_pairs(data_root, forget_tasks, budget):
    """((lq, gt) tensors of ``budget['pairs']`` crops from the forget tasks' train split, drawn
    with ``budget['seed']``: the same pairs for every model; how many training pairs they came from)."""
    rng = np.random.default_rng(budget['seed'])
    sources = list(paired_sources(data_root, forget_tasks, 'train').values())
    lqs, gts, drawn = [], [], set()
    for i in range(budget['pairs']):
        source = sources[i % len(sources)]
        index = int(rng.integers(len(source)))
        drawn.add((source.key, index))
        img_lq, img_gt, _, _ = source.read(index)
        img_lq, img_gt = random_crop_and_augment([img_lq, img_gt], budget['crop'], rng, False, False,
                                                 f'{source.key} (the relearning audit crop)')
        lqs.append(img2tensor(img_lq, bgr2rgb=True, float32=True))
        gts.append(img2tensor(img_gt, bgr2rgb=True, float32=True))
    return (torch.stack(lqs), torch.stack(gts)), len(drawn)


def budget_words(audit):
    """What the models were fine-tuned on, in words: crops, and how many training pairs they came from
    (a small forget set gives fewer pairs than crops; audits made before it was recorded say pairs)."""
    crops, pairs = audit['budget']['pairs'], audit.get('training_pairs', audit['budget']['pairs'])
    return f'{crops} forget training pairs' if pairs == crops else f'{crops} crops of {pairs} forget training pairs'


def check_audit_data(data_root, forget_tasks):
    """The forgotten tasks' train and val splits the audit reads exist: checked before an evaluation's
    minutes, not after them."""
    for split in ('train', 'val'):
        paired_sources(data_root, forget_tasks, split)


def forget_val_mean(net, sources, device, cached=False, key='psnr'):
    """Mean over the forgotten tasks of their mean val ``key`` (``psnr``, or ``input_psnr`` of the
    degraded input). Through the score cache only where ``cached``: weights not yet fine-tuned, whose
    scores the audit reads twice; fine-tuned ones change every step."""
    net.eval()

    def scores(source):
        if cached:
            return image_scores(net, source, device, with_ssim=False)
        return compute_image_scores(net, source, device, 0, False, False)
    return float(np.mean([np.mean([s[key] for s in scores(source)]) for source in sources.values()]))


def relearn_curve(net, pairs, sources, budget, device='cpu'):
    """[[step, forgotten tasks' val PSNR]] of a copy of ``net`` fine-tuned on ``pairs`` with L1."""
    net = deepcopy(net).to(device)
    for p in net.parameters():
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(net.parameters(), lr=budget['lr'])
    generator = torch.Generator().manual_seed(budget['seed'])
    lq, gt = (x.to(device) for x in pairs)
    curve = [[0, forget_val_mean(net, sources, device, cached=True)]]
    for step in range(1, budget['steps'] + 1):
        net.train()
        batch = torch.randperm(len(lq), generator=generator)[:budget['batch']]
        optimizer.zero_grad()
        F.l1_loss(net(lq[batch]), gt[batch]).backward()
        optimizer.step()
        if step % budget['every'] == 0 or step == budget['steps']:
            curve.append([step, forget_val_mean(net, sources, device)])
    return curve


def describe_steps(label, steps, budget_steps):
    """A model's steps to the target in words: a model other than the original that is there before
    any fine-tuning has not forgotten the task on this split at all."""
    if steps is None:
        return f'not within {budget_steps}'
    return '0 (there before fine-tuning: not forgotten)' if steps == 0 and label != 'original' else str(steps)


def steps_to_regain(curve, target):
    """The first recorded step whose PSNR reaches ``target``, else None (not within the budget)."""
    return next((step for step, psnr in curve if psnr >= target), None)


def relearn_audit(networks, data_root, forget, tasks, budget=BUDGET, device='cpu'):
    """The audit of every network ({label: net}, with 'original'), for forgetting ``forget``."""
    forget_tasks, _ = task_split(tasks, forget)
    sources = paired_sources(data_root, forget_tasks, 'val')
    input_psnr = forget_val_mean(networks['original'], sources, device, cached=True, key='input_psnr')
    pairs, training_pairs = relearn_pairs(data_root, forget_tasks, budget)
    models = OrderedDict((label, OrderedDict(curve=relearn_curve(net, pairs, sources, budget, device)))
                         for label, net in networks.items())
    original = models['original']['curve'][0][1]
    target = input_psnr + REGAIN_FRACTION * (original - input_psnr)
    for entry in models.values():
        entry['steps_to_regain'] = steps_to_regain(entry['curve'], target)
    return OrderedDict(budget=dict(budget), training_pairs=training_pairs, split='val', forget_tasks=forget_tasks,
                       input_psnr=input_psnr,
                       original_psnr=original, regain_fraction=REGAIN_FRACTION, target_psnr=target, models=models)
