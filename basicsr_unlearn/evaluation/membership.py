"""Loss-based membership inference on restoration models.

The attack scores an image by how much the model improves it, calibrated by how
degraded that image was: ``score = PSNR(output) - PSNR(input)`` (a per-image
difficulty calibration of the restoration error). Members (training images) tend to
be restored better than unseen images of the same degradation. The AUC of telling
the forget *training* images from unseen ones is reported; a model retrained without
them is the reference (near 0.5 if the attack cannot tell). Without such a model, the
AUC's bootstrap interval says how far from chance it is (``reference_free.py``).

Non-members must be made as the members were: a split whose images come from another source
or another degradation process lets the attack measure that shift instead of membership. A
benchmark whose splits differ so says which splits may serve, per task (``non_member_splits``
in its ``benchmark.json``; the real mini protocol's haze test pairs are real, its training
pairs synthetic).
"""
import json
from os import path as osp

import numpy as np

from ..tasks import BENCHMARK_STAMP
from .restoration_metrics import image_scores


def calibrated_scores(scores):
    return np.array([s['psnr'] - s['input_psnr'] for s in scores])


def _wins(members, non_members):
    """Pairwise win matrix: 1 where a member outscores a non-member, 0.5 on ties."""
    members, non_members = np.asarray(members, float), np.asarray(non_members, float)
    if not len(members) or not len(non_members):
        raise ValueError('membership AUC needs members and non-members.')
    return (members[:, None] > non_members[None, :]) + 0.5 * (members[:, None] == non_members[None, :])


def auc(members, non_members):
    """Area under the ROC curve of "higher score means member" (Mann-Whitney U, ties count half)."""
    return float(_wins(members, non_members).mean())


def auc_interval(members, non_members, level=0.95, resamples=2000, seed=0):
    """Percentile bootstrap interval of ``auc``: members and non-members resampled separately
    (the two samples are drawn independently), seeded so that a report is reproducible."""
    wins = _wins(members, non_members)
    rng = np.random.default_rng(seed)
    n_members, n_non = wins.shape
    member_counts = rng.multinomial(n_members, np.full(n_members, 1 / n_members), size=resamples)
    non_counts = rng.multinomial(n_non, np.full(n_non, 1 / n_non), size=resamples)
    aucs = ((member_counts @ wins) * non_counts).sum(1) / (n_members * n_non)
    tail = 100 * (1 - level) / 2
    return [float(np.percentile(aucs, tail)), float(np.percentile(aucs, 100 - tail))]


def allowed_non_member_splits(data_root, task, requested):
    """The splits of ``task`` whose pairs serve as non-members: those of ``requested`` that the
    benchmark at ``data_root`` lists as made like its training pairs, else the first it lists (all
    of ``requested`` when its ``benchmark.json`` lists none)."""
    stamp = osp.join(data_root, BENCHMARK_STAMP)
    like_training = None
    if osp.isfile(stamp):
        with open(stamp, encoding='utf-8') as f:
            like_training = (json.load(f).get('non_member_splits') or {}).get(task)
    if not like_training:
        return list(requested)
    return [split for split in requested if split in like_training] or list(like_training[:1])


def membership_scores(net, sources, device='cpu'):
    """Calibrated attack scores of every image of the given PairedSources, concatenated."""
    return np.concatenate([calibrated_scores(image_scores(net, s, device, with_ssim=False)) for s in sources])
