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
With ``retain_median_db``, ``retain_collapse_db`` and ``retain_collapsed_share`` too, a retained
val set is judged image by image as well (``utils/image_changes.py``): its median change within
``retain_median_db``, and at most that share of its images below the original by more than
``retain_collapse_db``, so that a few images that gain much cannot carry many that lose.
"""
from collections import OrderedDict

from ..utils import OptionError
from ..utils.image_changes import change_summary, describe_collapsed, paired_changes
from ..utils.numbers import is_finite_number

TOLERANCES = ('above_input_db', 'below_input_db', 'retain_drop_db')
PER_IMAGE = ('retain_median_db', 'retain_collapse_db', 'retain_collapsed_share')
FORGET_PREFIX, RETAIN_PREFIX = 'val_forget', 'val_retain'


class StopRule:
    """The tolerances of ``train.stop_rule`` and the val set names it judges."""

    def __init__(self, rule_opt, opt):
        if not isinstance(rule_opt, dict) or set(rule_opt) not in (set(TOLERANCES), set(TOLERANCES + PER_IMAGE)):
            raise OptionError('train.stop_rule', f'expected exactly the keys {list(TOLERANCES)} (dB), or those and '
                              f'{list(PER_IMAGE)}; got {rule_opt!r}.')
        for key in rule_opt:
            if not is_finite_number(rule_opt[key]) or rule_opt[key] < 0:
                raise OptionError(f'train.stop_rule.{key}',
                                  f'expected a finite number >= 0 (dB, or a share), got {rule_opt[key]!r}.')
        self.tolerances = {key: float(rule_opt[key]) for key in TOLERANCES + PER_IMAGE if key in rule_opt}
        self.per_image = PER_IMAGE[0] in rule_opt
        if 'psnr' not in ((opt.get('val') or {}).get('metrics') or {}):
            raise OptionError('val.metrics.psnr', 'train.stop_rule reads the val PSNR; add a psnr metric.')
        names = [d.get('name', key) for key, d in opt['datasets'].items() if key.startswith('val')]
        self.forget = [n for n in names if n.startswith(FORGET_PREFIX)]
        self.retain = [n for n in names if n.startswith(RETAIN_PREFIX)]
        if not self.forget or not self.retain:
            raise OptionError('datasets', f'train.stop_rule needs val sets named {FORGET_PREFIX}_* and '
                              f'{RETAIN_PREFIX}_*; found {names}.')
        self.names = self.forget + self.retain

    def judge(self, psnr, original, input_psnr, images=None, original_images=None):
        """(met, rows): each val set's PSNR now against its bound, from {name: dB} of the model now,
        the original model and the degraded input; with ``per_image``, ``images`` and
        ``original_images`` ({retained val set: {image: dB}}) judge the retained sets image by image."""
        t = self.tolerances
        rows = OrderedDict()
        for name in self.forget:
            low, high = input_psnr[name] - t['below_input_db'], input_psnr[name] + t['above_input_db']
            rows[name] = dict(psnr=float(psnr[name]), bound=f'input {input_psnr[name]:.2f} (-{t["below_input_db"]:g}, '
                              f'+{t["above_input_db"]:g})', met=bool(low <= psnr[name] <= high))
        for name in self.retain:
            rows[name] = dict(psnr=float(psnr[name]), bound=f'original {original[name]:.2f} - {t["retain_drop_db"]:g}',
                              met=bool(psnr[name] >= original[name] - t['retain_drop_db']))
            if self.per_image:
                summary = change_summary(paired_changes(images[name], original_images[name]), t['retain_collapse_db'])
                rows[name].update(
                    median_change=summary['median'], collapsed_share=summary['collapsed_share'],
                    met=rows[name]['met'] and summary['median'] >= -t['retain_median_db']
                    and summary['collapsed_share'] <= t['retain_collapsed_share'])
                rows[name]['bound'] += (f'; median change {summary["median"]:+.2f} >= -{t["retain_median_db"]:g}; '
                                        f'{describe_collapsed(summary["collapsed_share"])} of images lose > '
                                        f'{t["retain_collapse_db"]:g} dB (<= '
                                        f'{describe_collapsed(t["retain_collapsed_share"])})')
        return all(row['met'] for row in rows.values()), rows
