"""The verdict without a retrained model: forgetting judged against doing nothing and chance.

Model-zoo publishers hold the trained model and its data, not a model retrained without
the forget set (that model is the cost unlearning avoids), so ``acceptance.py``'s checks,
which compare with it, are out of their reach. These need no such model:

* **forgotten**: each forgotten task restored no better than its degraded input (at most
  ``ABOVE_INPUT_DB`` above the input's PSNR) and not far below it (at most
  ``BELOW_INPUT_DB``): a model that never learned a degradation leaves it roughly in place,
  while far below is damage (over-forgetting, itself a sign that something was removed);
* **retained**: every other task within ``TARGETS['retain_drop_db']`` of the original, in the
  mean and image by image, the same checks as the gold standard's;
* **membership**: the attack's AUC on the forget *training* images against the forget
  task's *held-out* split (``UNSEEN_SPLIT``). The never-saw level is ``CHANCE_AUC`` (0.5),
  which assumes the held-out images were drawn at random from the same source and
  degraded the same way as the training images: to a model that never saw either, the two
  are then exchangeable. Met when 0.5 lies inside the unlearned model's bootstrap interval.
  The original model's AUC on the same images says whether there was a signal to remove;
  when its interval holds 0.5 too, the check passes but cannot tell (the row says so).

How often this verdict agrees with the gold standard is measured, not assumed:
``benchmarks/reference_free_agreement.py`` and docs/Evaluation.md.
"""
from collections import OrderedDict

from .acceptance import TARGETS, check_row, image_summary, retain_rows
from .membership import auc, auc_interval

ABOVE_INPUT_DB = 0.5  # as the gold standard's forget gap
# models that never learned a degradation pass its input on imperfectly: the shipped mini
# zoo's retrained models land 0.2 to 1.6 dB below the input on the task they never saw
BELOW_INPUT_DB = 2.0
UNSEEN_SPLIT = 'val'
CHANCE_AUC = 0.5
INTERVAL_LEVEL = 0.95
#: reference-free check -> the gold-standard check (``acceptance.TARGETS``) it stands in for
STANDS_IN_FOR = OrderedDict(forget_vs_input='forget_gap_db', retain_drop_db='retain_drop_db',
                            retain_median_db='retain_median_db', retain_collapsed_share='retain_collapsed_share',
                            membership_vs_chance='mia_gap')
#: the checks a zoo entry's card claims without a retrained model (the restoration ones, as
#: ``acceptance.EXPORT_TARGETS``); ``export`` refuses a model that misses them
EXPORT_CHECKS = ('forget_vs_input', 'retain_drop_db')
#: the thresholds such a card states (``verify`` accepts none looser)
EXPORT_THRESHOLDS = OrderedDict(forget_below_input_db=BELOW_INPUT_DB, forget_above_input_db=ABOVE_INPUT_DB,
                                retain_drop_db=TARGETS['retain_drop_db'])


def unseen_membership(member_scores, unseen_scores, split=UNSEEN_SPLIT):
    """The attack's AUC of training vs held-out images of the forget task, with its interval."""
    return OrderedDict(auc=auc(member_scores, unseen_scores),
                       interval=auc_interval(member_scores, unseen_scores, INTERVAL_LEVEL),
                       members=len(member_scores), non_members=len(unseen_scores), split=split)


def _holds_chance(membership):
    low, high = membership['interval']
    return low <= CHANCE_AUC <= high


def reference_free_checks(result, original, input_psnr, forget_tasks, retain_tasks):
    """Rows like ``acceptance_checks``' (check, measured, target, met, target_key) for one
    unlearned model's ``evaluate_models`` result against the original's."""
    rows = []
    for task in forget_tasks:
        value = result['tasks'][task]['psnr'] - input_psnr[task]
        rows.append(check_row(f'forgotten {task} vs input', f'{value:+.2f} dB',
                              f'{-BELOW_INPUT_DB:+.1f}..{ABOVE_INPUT_DB:+.1f} dB',
                              -BELOW_INPUT_DB <= value <= ABOVE_INPUT_DB, 'forget_vs_input'))
    for task in retain_tasks:
        rows += retain_rows(task, result['tasks'][task]['psnr'] - original['tasks'][task]['psnr'],
                            image_summary(result, original, task))
    membership = result.get('membership_unseen')
    if membership:
        low, high = membership['interval']
        target = f'{CHANCE_AUC} in interval'
        if not _holds_chance(original['membership_unseen']):
            target += ' (original: outside)'
        else:
            target += ' (original: inside too, cannot tell)'
        rows.append(check_row(f"membership AUC vs {membership['split']}",
                              f"{membership['auc']:.3f} [{low:.2f}, {high:.2f}]", target, _holds_chance(membership),
                              'membership_vs_chance'))
    return rows


def agreement_rows(report):
    """Per unlearned model and check: the reference-free and the gold-standard verdicts side by
    side, from a report holding both (``build_report`` with a retrained model); last per model,
    the overall verdict (all its checks met; the gold standard's time check left out)."""
    rows = []
    for label, free in report.get('reference_free', {}).items():
        gold = report['checks'][label]
        for key, gold_key in STANDS_IN_FOR.items():
            free_rows = [c for c in free if c['target_key'] == key]
            gold_rows = [c for c in gold if c['target_key'] == gold_key]
            for free_row, gold_row in zip(free_rows, gold_rows):
                rows.append(OrderedDict(model=label, check=key, gold_check=gold_row['check'],
                                        reference_free=free_row['met'], gold=gold_row['met'],
                                        free_measured=free_row['measured'], gold_measured=gold_row['measured']))
        rows.append(OrderedDict(model=label, check='verdict', gold_check='verdict',
                                reference_free=all(c['met'] for c in free),
                                gold=all(c['met'] for c in gold if c['target_key'] in STANDS_IN_FOR.values()),
                                free_measured='', gold_measured=''))
    return rows
