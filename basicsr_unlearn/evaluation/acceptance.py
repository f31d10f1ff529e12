"""Did the unlearning succeed? The checks a user reads off a forgetting report.

A table of numbers leaves the verdict to the reader; these checks state it: the
forgotten task restored as the retrained model restores it, the retained tasks as the
original restores them, the forget training images no more member-like than for the
retrained model, at a small cost. ``TARGETS`` is the one home of these thresholds; a zoo
entry's card claims the restoration ones (``EXPORT_TARGETS``) and ``export`` refuses a
model that misses them.
"""
from collections import OrderedDict

TARGETS = OrderedDict(
    forget_gap_db=0.5,  # |PSNR_F(unlearned) - PSNR_F(retrained)| per forgotten task, at most
    retain_drop_db=0.2,  # PSNR_R(original) - PSNR_R(unlearned) per retained task, at most
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


def acceptance_checks(gap, cost=None, targets=TARGETS):
    """One ``check_row`` per check. ``gap``: a ``gaps()`` entry; ``cost``: a cost entry."""
    rows = [check_row(f'forget gap {task}', f'{value:.2f} dB', f'<= {targets["forget_gap_db"]:.2f} dB',
                      value <= targets['forget_gap_db'], 'forget_gap_db') for task, value in gap['forget_gap'].items()]
    rows += [check_row(f'retain change {task}', f'{value:+.2f} dB', f'>= {-targets["retain_drop_db"]:+.2f} dB',
                       value >= -targets['retain_drop_db'], 'retain_drop_db')
             for task, value in gap['retain_change'].items()]
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
