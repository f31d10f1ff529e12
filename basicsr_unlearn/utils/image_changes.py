"""Per-image PSNR changes between two models, summarised so that a mean cannot hide them.

A retained task's mean change over a few dozen images can sit near zero while single images
move by 10 dB either way (some stop being restored, others gain). The summary keeps the mean
with its bootstrap interval over images, the median, the worst image, and the share of
images that lost more than ``collapse_db``. The checks that read them (a retained task is kept
when its mean and median stay within the tolerance and few images collapse) are
``evaluation/acceptance.py``'s and the stop rule's.
"""
from collections import OrderedDict

import numpy as np

INTERVAL_LEVEL = 0.95
RESAMPLES = 2000


def paired_changes(after, before):
    """``after - before`` per image, paired by name (``{name: psnr}`` each); the names must agree."""
    if set(after) != set(before):
        raise ValueError(f'per-image scores of different images: {sorted(set(after) ^ set(before))[:3]}...')
    return np.array([after[name] - before[name] for name in sorted(after)], float)


def mean_interval(changes, level=INTERVAL_LEVEL, resamples=RESAMPLES, seed=0):
    """Percentile bootstrap interval of the mean over images, seeded so that a report is reproducible."""
    changes = np.asarray(changes, float)
    counts = np.random.default_rng(seed).multinomial(len(changes), np.full(len(changes), 1 / len(changes)),
                                                     size=resamples)
    means = counts @ changes / len(changes)
    tail = 100 * (1 - level) / 2
    return [float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))]


def change_summary(changes, collapse_db):
    """Mean (with interval), median, worst image and share of images below ``-collapse_db``."""
    changes = np.asarray(changes, float)
    if not len(changes):
        raise ValueError('no images to summarise.')
    return OrderedDict(mean=float(changes.mean()), interval=mean_interval(changes), median=float(np.median(changes)),
                       worst=float(changes.min()), collapsed_share=float(np.mean(changes < -collapse_db)),
                       count=len(changes))


def describe_collapsed(share):
    """A collapsed share as checks show it (one decimal of a percent: 1 of 17 images is 5.9%)."""
    return f'{100 * share:.1f}%'
