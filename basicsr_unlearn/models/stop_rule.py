"""When to stop unlearning, read off BasicSR's own validation instead of a fixed step count.

A model of another size, architecture or data needs another number of steps and rate; the
question the run must answer is the same: is the forgotten task restored no better than its
degraded input, and is every retained task still as good as the original's? ``train.stop_rule``
asks it of the val sets after every BasicSR validation (``val.val_freq``) and stops the updates
at the first validation where the answer is yes; ``train.total_iter`` is the cap.

    train:
      total_iter: 200                   # the cap
      stop_rule: {above_input_db: 0.5, below_input_db: 2.0, retain_drop_db: 0.2}
    val: {val_freq: 10, metrics: {psnr: {type: calculate_psnr, crop_border: 0}}}

Val sets named ``val_forget_*`` are the forgotten tasks, ``val_retain_*`` the retained ones. The
tolerances are the reference-free verdict's (docs/Evaluation.md); ``forget`` fills them in.
"""
from collections import OrderedDict

from ..utils import OptionError
from ..utils.numbers import is_finite_number

TOLERANCES = ('above_input_db', 'below_input_db', 'retain_drop_db')
FORGET_PREFIX, RETAIN_PREFIX = 'val_forget', 'val_retain'


class StopRule:
    """The tolerances of ``train.stop_rule`` and the val set names it judges."""

    def __init__(self, rule_opt, opt):
        if not isinstance(rule_opt, dict) or set(rule_opt) != set(TOLERANCES):
            raise OptionError('train.stop_rule', f'expected exactly the keys {list(TOLERANCES)} (dB), '
                              f'got {rule_opt!r}.')
        for key in TOLERANCES:
            if not is_finite_number(rule_opt[key]) or rule_opt[key] < 0:
                raise OptionError(f'train.stop_rule.{key}',
                                  f'expected a finite number of dB >= 0, got {rule_opt[key]!r}.')
        self.tolerances = {key: float(rule_opt[key]) for key in TOLERANCES}
        if 'psnr' not in ((opt.get('val') or {}).get('metrics') or {}):
            raise OptionError('val.metrics.psnr', 'train.stop_rule reads the val PSNR; add a psnr metric.')
        names = [d.get('name', key) for key, d in opt['datasets'].items() if key.startswith('val')]
        self.forget = [n for n in names if n.startswith(FORGET_PREFIX)]
        self.retain = [n for n in names if n.startswith(RETAIN_PREFIX)]
        if not self.forget or not self.retain:
            raise OptionError('datasets', f'train.stop_rule needs val sets named {FORGET_PREFIX}_* and '
                              f'{RETAIN_PREFIX}_*; found {names}.')
        self.names = self.forget + self.retain

    def judge(self, psnr, original, input_psnr):
        """(met, rows): each val set's PSNR now against its bound, from {name: dB} of the model now,
        the original model and the degraded input."""
        t = self.tolerances
        rows = OrderedDict()
        for name in self.forget:
            low, high = input_psnr[name] - t['below_input_db'], input_psnr[name] + t['above_input_db']
            rows[name] = dict(psnr=float(psnr[name]), bound=f'input {input_psnr[name]:.2f} (-{t["below_input_db"]:g}, '
                              f'+{t["above_input_db"]:g})', met=bool(low <= psnr[name] <= high))
        for name in self.retain:
            rows[name] = dict(psnr=float(psnr[name]), bound=f'original {original[name]:.2f} - {t["retain_drop_db"]:g}',
                              met=bool(psnr[name] >= original[name] - t['retain_drop_db']))
        return all(row['met'] for row in rows.values()), rows
