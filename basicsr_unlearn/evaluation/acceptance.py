"""Did the unlearning succeed? The checks a user reads off a forgetting report.

A table of numbers leaves the verdict to the reader; these checks state it: the
forgotten task restored as the retrained model restores it, the retained tasks as the
original restores them, the forget training images no more member-like than for the
retrained model, at a small cost. ``TARGETS`` is the one home of these thresholds; a zoo
entry's card claims the restoration ones (``EXPORT_TARGETS``) and ``export`` refuses a
model that misses them.

A retained task is judged image by image too (``utils/image_changes.py``): its median change
must meet the same tolerance as its mean, and few images may collapse, so that a handful of
images that gain 10 dB cannot hide many that lose 5.
"""
from collections import OrderedDict

from ..utils.image_changes import change_summary, describe_collapsed, paired_changes

TARGETS = OrderedDict(
    forget_gap_db=0.5,  # |PSNR_F(unlearned) - PSNR_F(retrained)| per forgotten task, at most
    retain_drop_db=0.2,  # PSNR_R(original) - PSNR_R(unlearned) per retained task, at most
    retain_median_db=0.2,  # the median over a retained task's images of that drop, at most
    retain_collapse_db=1.0,  # an image of a retained task that loses more than this has collapsed
    retain_collapsed_share=0.1,  # the share of a retained task's images that collapsed, at most
    mia_gap=0.05,  # |AUC(unlearned) - AUC(retrained)|, at most
    time_fraction=0.05)  # unlearning wall time / retraining wall time, at most
EXPORT_TARGETS = ('forget_gap_db', 'retain_drop_db')


def check_row(check, measured, target, met, target_key):
    """One check as reports keep it: what, measured, target, met and the ``TARGETS`` key it is held to."""
    return OrderedDict(check=check, measured=measured, target=target, met=bool(met), target_key=target_key)


def cost_rows(cost, targets=TARGETS):
    """The time-vs-retraining check of a cost entry: one row, none when the entry has no fraction."""
    if not cost or cost.get('time_fraction') is None:
        return []
    return [check_row('time vs retraining', f'{100 * cost["time_fraction"]:.1f}%',
                      f'<= {100 * targets["time_fraction"]:.1f}%', cost['time_fraction'] <= targets['time_fraction'],
                      'time_fraction')]


def image_summary(result, reference, task, targets=TARGETS):
    """``image_changes.change_summary`` of ``result``'s per-image PSNR on ``task`` minus
    ``reference``'s (``evaluate_models`` results); None when either lacks per-image scores."""
    images, reference_images = result['tasks'][task].get('images'), reference['tasks'][task].get('images')
    if images is None or reference_images is None:
        return None
    return change_summary(paired_changes(images, reference_images), targets['retain_collapse_db'])


def retain_rows(task, change, images, targets=TARGETS):
    """The checks of one retained task: its mean change, and from ``images`` (a
    ``image_changes.change_summary`` against the original) its median and collapsed share."""
    rows = [check_row(f'retain change {task}', f'{change:+.2f} dB', f'>= {-targets["retain_drop_db"]:+.2f} dB',
                      change >= -targets['retain_drop_db'], 'retain_drop_db')]
    if images is not None:
        median, share = images['median'], images['collapsed_share']
        rows.append(check_row(f'retain median {task}', f'{median:+.2f} dB',
                              f'>= {-targets["retain_median_db"]:+.2f} dB', median >= -targets['retain_median_db'],
                              'retain_median_db'))
        rows.append(check_row(f'retain collapsed {task}', describe_collapsed(share),
                              f'<= {describe_collapsed(targets["retain_collapsed_share"])} lose > '
                              f'{targets["retain_collapse_db"]:g} dB',
                              share <= targets['retain_collapsed_share'], 'retain_collapsed_share'))
    return rows


def acceptance_checks(gap, cost=None, targets=TARGETS):
    """One ``check_row`` per check. ``gap``: a ``gaps()`` entry; ``cost``: a cost entry."""
    rows = [check_row(f'forget gap {task}', f'{value:.2f} dB', f'<= {targets["forget_gap_db"]:.2f} dB',
                      value <= targets['forget_gap_db'], 'forget_gap_db') for task, value in gap['forget_gap'].items()]
    for task, value in gap['retain_change'].items():
        rows += retain_rows(task, value, (gap.get('retain_images') or {}).get(task), targets)
    rows.append(check_row('membership AUC gap', f'{gap["mia_gap"]:.3f}', f'<= {targets["mia_gap"]:.3f}',
                          gap['mia_gap'] <= targets['mia_gap'], 'mia_gap'))
    return rows + cost_rows(cost, targets)


def missed(checks, target_keys=None):
    """'what measured (target ...)' of each check that missed one of ``target_keys``."""
    return [f"{c['check']} {c['measured']} (target {c['target']})" for c in checks
            if not c['met'] and (target_keys is None or c['target_key'] in target_keys)]


def format_checks(checks):
    """Aligned lines, one per check, ending in met/MISSED, and a count."""
    width = max(len(c['check']) for c in checks)
    lines = [f"  {c['check']:<{width}}  {c['measured']:>9}  target {c['target']:<11}  "
             f"{'met' if c['met'] else 'MISSED'}" for c in checks]
    met = sum(c['met'] for c in checks)
    return '\n'.join(lines + [f'  {met} of {len(checks)} targets met'])
