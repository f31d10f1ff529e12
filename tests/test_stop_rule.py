"""The stop rule: unlearning stops at the first validation where the val split says the task is
forgotten (near its degraded input) and the others kept (near the original); total_iter is the cap."""
import glob
import json
import os

import pytest
import torch

from basicsr_unlearn.models.stop_rule import StopRule
from basicsr_unlearn.models.unlearning_base import STOP_RECORD
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.runs.forget import add_stop_rule, describe_stop, steps_taken
from basicsr_unlearn.runs.launch import write_option_file
from basicsr_unlearn.utils import OptionError
from conftest import PYTHON, TORCHRUN, run


def rain_with_rule(**kwargs):
    return add_stop_rule(compose_option('rain', keep_val=True, **kwargs))


def test_forgotten_means_near_the_input_and_kept_means_near_the_original():
    opt = rain_with_rule()
    rule = StopRule(opt['train']['stop_rule'], opt)
    assert rule.forget == ['val_forget_rain'] and len(rule.retain) == 4
    inputs, original = {n: 20.0 for n in rule.names}, {n: 30.0 for n in rule.names}
    same = {n: {f'{i:03d}': 30.0 for i in range(10)} for n in rule.retain}
    now = dict(original, val_forget_rain=20.4)
    assert rule.judge(now, original, inputs, same, same)[0]
    assert not rule.judge(dict(now, val_forget_rain=20.6), original, inputs, same, same)[0]  # still restores rain
    assert not rule.judge(dict(now, val_forget_rain=17.9), original, inputs, same, same)[0]  # damage
    met, rows = rule.judge(dict(now, val_retain_haze=29.7), original, inputs, same, same)
    assert not met and [n for n, r in rows.items() if not r['met']] == ['val_retain_haze']


def test_a_kept_mean_does_not_hide_collapsed_images():
    """Haze's mean unchanged, but 6 of 10 images lose 2 dB while 4 gain 3: the median and the
    collapsed share say it is not kept; one image in ten that collapses is tolerated."""
    opt = rain_with_rule()
    rule = StopRule(opt['train']['stop_rule'], opt)
    assert rule.per_image
    inputs, original = {n: 20.0 for n in rule.names}, {n: 30.0 for n in rule.names}
    now = dict(original, val_forget_rain=20.4)
    same = {n: {f'{i:03d}': 30.0 for i in range(10)} for n in rule.retain}
    swings = dict(same, val_retain_haze={f'{i:03d}': 28.0 if i < 6 else 33.0 for i in range(10)})
    met, rows = rule.judge(now, original, inputs, swings, same)
    assert not met and rows['val_retain_haze']['median_change'] == pytest.approx(-2.0)
    assert rows['val_retain_haze']['collapsed_share'] == pytest.approx(0.6)
    one = dict(same, val_retain_haze={f'{i:03d}': 25.0 if i == 0 else 30.6 for i in range(10)})
    assert rule.judge(now, original, inputs, one, same)[0]
    mean_only = StopRule({k: v for k, v in opt['train']['stop_rule'].items() if not k.startswith('retain_') or
                          k == 'retain_drop_db'}, opt)
    assert not mean_only.per_image and mean_only.judge(now, original, inputs)[0]


def test_forget_without_steps_checks_on_val_up_to_a_cap():
    opt = rain_with_rule()
    recipe = compose_option('rain')['train']['total_iter']
    assert opt['train']['total_iter'] > recipe and opt['val']['val_freq'] < recipe
    assert opt['datasets']['val_forget_rain']['dataroot_gt'].endswith('rain/val/gt')  # never the test split


def test_forget_says_where_the_rule_stopped_or_what_it_missed_at_the_cap():
    met = dict(stopped_at=30, cap=200, checks=[])
    assert 'met on val at step 30' in describe_stop(met) and steps_taken(met, dict(steps=200)) == 30
    never = dict(stopped_at=None, cap=200, checks=[dict(iter=200, met=False, val={
        'val_forget_rain': dict(psnr=24.1, bound='input 22.91 (-2, +0.5)', met=False),
        'val_retain_haze': dict(psnr=18.9, bound='original 18.87 - 0.2', met=True)})])
    line = describe_stop(never)
    assert 'not met within the cap of 200 steps' in line and 'val_forget_rain 24.10 dB' in line
    assert 'val_retain_haze' not in line and steps_taken(never, dict(steps=200)) == 200


def test_a_rule_missing_what_it_reads_names_the_key():
    opt = rain_with_rule()
    with pytest.raises(OptionError, match='train.stop_rule'):
        StopRule({'above_input_db': 0.5}, opt)
    rule_opt = opt['train']['stop_rule']
    for bad in (-1, float('nan'), float('inf'), 'abc', None, True):
        with pytest.raises(OptionError, match='train.stop_rule.above_input_db`: expected a finite number >= 0'):
            StopRule(dict(rule_opt, above_input_db=bad), opt)
    no_psnr = dict(opt, val=dict(opt['val'], metrics={}))
    with pytest.raises(OptionError, match='val.metrics.psnr'):
        StopRule(rule_opt, no_psnr)
    no_forget_set = dict(opt, datasets={k: v for k, v in opt['datasets'].items() if 'forget' not in k})
    with pytest.raises(OptionError, match=r'datasets.*val_forget_\*'):
        StopRule(rule_opt, no_forget_set)


def small_run(data, tmp_path, name, tolerances, processes=1, extra_args=()):
    """A rain unlearning through BasicSR's loop: val every 2 steps, cap 6, the given tolerances, a log
    line every step."""
    opt = rain_with_rule(data_root=str(data), name=name)
    opt['train'].update(total_iter=6, stop_rule=tolerances)
    opt['val']['val_freq'] = opt['logger']['save_checkpoint_freq'] = 2
    opt['logger']['print_freq'] = 1
    opt['datasets']['train'].update(batch_size_per_gpu=2 // processes, gt_size=32)
    option_file = write_option_file(opt, str(tmp_path / f'{name}.yml'))
    launch = [PYTHON] if processes == 1 else TORCHRUN
    launcher = [] if processes == 1 else ['--launcher', 'pytorch']
    run(launch + ['-m', 'basicsr_unlearn.train', '-opt', option_file] + launcher + list(extra_args), cwd=tmp_path)
    models = tmp_path / 'experiments' / name / 'models'
    record = json.load(open(tmp_path / 'experiments' / name / STOP_RECORD))
    return record, {os.path.basename(p): torch.load(p)['params'] for p in glob.glob(str(models / '*.pth'))}


@pytest.mark.slow
def test_updates_stop_where_the_rule_is_met_and_run_to_the_cap_where_it_is_not(mini_benchmark, tmp_path):
    data = mini_benchmark / 'datasets' / 'mini_allinone'
    lenient = dict(above_input_db=100, below_input_db=100, retain_drop_db=100)
    record, weights = small_run(data, tmp_path, 'met', lenient)
    assert record['stopped_at'] == 2 and [c['iter'] for c in record['checks']] == [2]
    assert all(torch.equal(weights['net_g_latest.pth'][k], v) for k, v in weights['net_g_2.pth'].items())
    assert set(record['references']) == {'val_forget_rain', 'val_retain_noise15', 'val_retain_noise25',
                                         'val_retain_noise50', 'val_retain_haze'}

    record, weights = small_run(data, tmp_path, 'never', dict(lenient, above_input_db=0, below_input_db=0))  # exact
    assert record['stopped_at'] is None and [c['iter'] for c in record['checks']] == [2, 4, 6]
    assert not all(torch.equal(weights['net_g_latest.pth'][k], v) for k, v in weights['net_g_2.pth'].items())


@pytest.mark.slow
def test_a_run_killed_after_the_rule_stopped_it_finishes_with_the_same_command(mini_benchmark, tmp_path):
    """Resumed from a state saved after the stop, the loop logs steps that update nothing."""
    data = mini_benchmark / 'datasets' / 'mini_allinone'
    lenient = dict(above_input_db=100, below_input_db=100, retain_drop_db=100)
    small_run(data, tmp_path, 'killed', lenient)
    states = tmp_path / 'experiments' / 'killed' / 'training_states'
    for later in ('6.state', '4.state'):  # as if killed at step 5, after the stop at 2
        os.remove(states / later)
    record, weights = small_run(data, tmp_path, 'killed', lenient, extra_args=['--auto_resume'])
    assert record['stopped_at'] == 2
    assert all(torch.equal(weights['net_g_latest.pth'][k], v) for k, v in weights['net_g_2.pth'].items())


@pytest.mark.slow
def test_under_torchrun_every_process_stops_where_rank_0_decided(mini_benchmark, tmp_path):
    """Only rank 0 validates; the other process learns the decision at the next step (else it would
    go on updating, and wait forever for rank 0 in DDP's gradient all-reduce)."""
    lenient = dict(above_input_db=100, below_input_db=100, retain_drop_db=100)
    record, weights = small_run(mini_benchmark / 'datasets' / 'mini_allinone', tmp_path, 'two', lenient, processes=2)
    assert record['stopped_at'] == 2
    assert all(torch.equal(weights['net_g_latest.pth'][k], v) for k, v in weights['net_g_2.pth'].items())
