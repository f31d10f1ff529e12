"""``forget``: a checkpoint and its data to a verified zoo entry, with no retrained model anywhere."""
import json
import os
import re
import shutil

import cv2
import pytest
import torch

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.runs import forget as forget_run, preflight
from basicsr_unlearn.runs.forget import forget_option, training_time
from basicsr_unlearn.runs.preflight import check_disjoint
from basicsr_unlearn.tasks import TASKS
from basicsr_unlearn.utils import ExistingFileError, UserError
from basicsr_unlearn.utils.hashing import sha256_file
from basicsr_unlearn.zoo import ORIGINAL, zoo_network_opt, zoo_weights
from conftest import PYTHON, run, write_pairs
from test_checkpoints import LIGHTNING, LIGHTNING_NET
from test_export_verify import BASICSR_TEST


def tiny_layout(root):
    for t, task in enumerate(TASKS):
        for s, split in enumerate(('train', 'val', 'test')):
            write_pairs(str(root / task / split), 'rain', 2, 16, seed=10 * s + t)
    return root


def test_forget_and_retain_sets_must_not_share_an_image(tmp_path):
    root = tiny_layout(tmp_path)
    train = forget_option('w.pth', 'rain', str(root), 'run', {'type': 'PromptIR'})['datasets']['train']
    check_disjoint(train)  # disjoint: passes
    shutil.copy(root / 'rain/train/gt/rain_001.png', root / 'haze/train/gt/copy.png')  # the same photograph, renamed
    shutil.copy(root / 'rain/train/lq/rain_001.png', root / 'haze/train/lq/copy.png')
    with pytest.raises(UserError, match=r'share 1 image\(s\), e\.g\. rain: .*rain_001\.png is haze: .*copy\.png'):
        check_disjoint(train)
    os.remove(root / 'haze/train/gt/copy.png')
    pixels = cv2.imread(str(root / 'rain/train/gt/rain_001.png'))  # the same photograph, saved again otherwise
    cv2.imwrite(str(root / 'haze/train/gt/copy.png'), pixels, [cv2.IMWRITE_PNG_COMPRESSION, 0])
    assert (root / 'haze/train/gt/copy.png').read_bytes() != (root / 'rain/train/gt/rain_001.png').read_bytes()
    with pytest.raises(UserError, match=r'share 1 image\(s\), e\.g\. rain: .*rain_001\.png is haze: .*copy\.png'):
        check_disjoint(train)


@pytest.mark.parametrize('split', ['val', 'test'])
def test_an_undecodable_val_or_test_image_is_named_before_any_work(tmp_path, monkeypatch, capsys, split):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    trained = []
    fake_forget_runs(monkeypatch, trained)
    (root / 'haze' / split / 'lq' / 'rain_001.png').write_bytes(b'not an image')
    assert cli(['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root), '--out',
                'entry']) == 2
    err = capsys.readouterr().err
    assert f'haze/{split}/lq/rain_001.png' in err and err.count('\n') == 1 and not trained, err


def test_a_resumed_run_costs_all_its_sessions(tmp_path):
    assert training_time(str(tmp_path), 'run', 50.04) == (50.0, 1)
    assert training_time(str(tmp_path), 'run', 7.0) == (57.0, 2)  # the resumed session's 7 s alone would hide 50


def fake_forget_runs(monkeypatch, trained, options=None):
    """``forget`` with its training, evaluation and export replaced by records of where they ran (and
    of each training's option dict, into ``options``)."""
    def run_training(opt, work, **_):
        trained.append(os.path.abspath(work))
        if options is not None:
            options.append(opt)
        os.makedirs(work, exist_ok=True)
        return dict(weights='w.pth', experiment=os.path.join(work, 'experiments', opt['name']), wall_time_s=1.0,
                    steps=1, option='o.yml')
    monkeypatch.setattr(forget_run, 'run_training', run_training)
    monkeypatch.setattr(forget_run, 'report_models', lambda *a, **k: ({}, None))
    monkeypatch.setattr(forget_run, 'export_entry', lambda *a, **k: {})
    monkeypatch.setattr(forget_run, 'network_from_weights', lambda *a, **k: (None, None))
    monkeypatch.setattr(preflight, 'network_from_weights', lambda *a, **k: (None, None))


def test_a_run_of_another_command_is_never_resumed(tmp_path, monkeypatch):
    """Two entries named alike (A/entry, B/entry) from other weights: each its own run folder; an
    explicit --work holding another command's run is refused, not resumed."""
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    trained = []
    fake_forget_runs(monkeypatch, trained)
    first, other = zoo_weights(ORIGINAL), zoo_weights('no_haze')
    forget_run.forget_dataset(first, 'rain', str(root), 'A/entry')
    forget_run.forget_dataset(other, 'rain', str(root), 'B/entry')
    forget_run.forget_dataset(first, 'rain', str(root), 'C/entry', steps=3)  # same weights, another budget
    assert len(set(trained)) == 3 and all(os.path.basename(w).startswith('entry-') for w in trained)
    forget_run.forget_dataset(first, 'rain', str(root), 'A/entry')  # the first command again: its own run
    assert trained[3] == trained[0]
    forget_run.forget_dataset(first, 'rain', str(root), 'D/entry')  # another entry: another run, its own cost
    assert trained[4] not in trained[:4]
    trained.pop()

    forget_run.forget_dataset(first, 'rain', str(root), 'E/entry', work='shared')
    with pytest.raises(ExistingFileError, match=r'--work shared holds another forget run '
                       r'\(its starting weights, options and --out entry differ'):
        forget_run.forget_dataset(other, 'rain', str(root), 'F/entry', work='shared')
    (root / 'rain/train/lq/rain_000.png').write_bytes((root / 'rain/train/lq/rain_001.png').read_bytes())
    with pytest.raises(ExistingFileError, match=r'its training images differ'):
        forget_run.forget_dataset(first, 'rain', str(root), 'E/entry', work='shared')
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine/notes.txt').write_text('a user folder')
    with pytest.raises(ExistingFileError, match=r'--work mine exists and is not a forget run folder'):
        forget_run.forget_dataset(first, 'rain', str(root), 'G/entry', work='mine')
    assert len(trained) == 5 and (tmp_path / 'mine/notes.txt').read_text() == 'a user folder'


def test_the_run_identity_from_the_preflights_hashes_is_the_one_read_afresh(tmp_path):
    root = tiny_layout(tmp_path / 'data')
    opt = forget_option(zoo_weights(ORIGINAL), 'rain', str(root), 'run', {'type': 'PromptIR'}, steps=2)
    gt_hashes = check_disjoint(opt['datasets']['train'])
    assert forget_run.run_identity(opt, zoo_weights(ORIGINAL), gt_hashes) == \
        forget_run.run_identity(opt, zoo_weights(ORIGINAL))


def test_a_second_request_starts_from_the_entry_of_the_first(tmp_path, monkeypatch):
    """--weights <entry folder>: its weights file and its card's architecture, so that export's
    lineage finds the card beside the starting weights."""
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    options = []
    fake_forget_runs(monkeypatch, [], options)
    entry = tmp_path / 'zoo/no_haze'
    entry.mkdir(parents=True)
    shutil.copy(zoo_weights(ORIGINAL), entry / 'no_haze.pth')
    network = zoo_network_opt()
    (entry / 'model_card.yml').write_text(json.dumps(dict(name='no_haze', architecture=network,
                                                          weights=dict(file='no_haze.pth'))))
    verified = []
    monkeypatch.setattr(forget_run, 'verify_entry', lambda *a, **k: verified.append(a) or (True, []))
    forget_run.forget_dataset(str(entry), 'rain', str(root), 'zoo/no_haze_rain', steps=2)
    assert verified == [(str(entry), str(root))]  # verified first (test_export_verify.py: refused when it fails)
    assert options[0]['path']['pretrain_network_g'] == str(entry / 'no_haze.pth')
    assert options[0]['network_g'] == network


def test_a_joint_request_forgets_both_degradations_of_the_users_data(tmp_path, monkeypatch):
    """--task rain_haze: rain and haze training pairs of --data are the forget set, noise the retain set."""
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    options = []
    fake_forget_runs(monkeypatch, [], options)
    forget_run.forget_dataset(zoo_weights(ORIGINAL), 'rain_haze', str(root), 'entry', steps=2)
    train = options[0]['datasets']['train']
    assert [s['dataroot_gt'] for s in train['forget']] == [str(root / t / 'train' / 'gt') for t in ('rain', 'haze')]
    assert [s['tag'] for s in train['retain']] == ['noise15', 'noise25', 'noise50']


def test_forget_refuses_an_out_it_could_not_write_before_any_work(tmp_path, monkeypatch, capsys):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    trained = []
    fake_forget_runs(monkeypatch, trained)
    (tmp_path / 'a_file').write_text('')
    command = ['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root)]
    assert cli(command + ['--out', 'a_file/entry']) == 2
    err = capsys.readouterr().err
    assert 'a_file/entry' in err and 'is a file, not a folder' in err and not trained
    os.symlink(tmp_path / 'nowhere', tmp_path / 'dangling')
    assert cli(command + ['--out', 'dangling']) == 2
    assert 'dangling exists (a link to' in capsys.readouterr().err and not trained
    assert cli(command + ['--out', 'dangling/entry']) == 2
    assert 'dangling is a symbolic link to nothing' in capsys.readouterr().err and not trained


def test_ctrl_c_in_forget_is_one_line_that_says_how_to_continue(tmp_path, monkeypatch, capsys):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    fake_forget_runs(monkeypatch, [])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(forget_run, 'run_training', interrupted)
    assert cli(['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root), '--out',
                'entry']) == 130
    err = capsys.readouterr().err
    assert 'interrupted (the same command continues' in err and 'Traceback' not in err


def test_a_users_option_file_as_the_recipe(tmp_path):
    """--recipe: the user's model_type and train block; data, network and paths stay ours."""
    recipe = tmp_path / 'mine.yml'
    recipe.write_text('model_type: NegGradPlusModel\ntrain:\n  optim_g: {type: Adam, lr: 3e-4}\n  total_iter: 7\n'
                      '  pixel_opt: {type: L1Loss}\n  forget_opt: {type: AscentLoss, bound: input}\n')
    net = {'type': 'PromptIR', 'dim': 12}
    opt = forget_option('w.pth', 'rain', str(tmp_path / 'data'), 'run', net, recipe=str(recipe), steps=5)
    assert opt['model_type'] == 'NegGradPlusModel' and opt['train']['optim_g']['lr'] == 3e-4
    assert opt['train']['total_iter'] == 5 and opt['network_g'] == net
    assert opt['datasets']['train']['forget'][0]['dataroot_gt'] == str(tmp_path / 'data/rain/train/gt')  # --data's
    assert opt['path']['pretrain_network_g'] == os.path.abspath('w.pth')
    # with its own sources (here a meta_info list and LMDB would do as well): relative paths made absolute
    recipe.write_text(recipe.read_text() + 'datasets:\n  train:\n    type: ForgetRetainPairedDataset\n'
                      '    forget: {tag: rain, dataroot_gt: mine/gt, dataroot_lq: mine/lq, names: deleted.txt}\n'
                      '    retain: [{tag: rain, dataroot_gt: mine/gt, dataroot_lq: mine/lq, exclude: deleted.txt}]\n')
    train = forget_option('w.pth', 'rain', str(tmp_path), 'run', net, recipe=str(recipe))['datasets']['train']
    assert train['forget']['dataroot_gt'] == os.path.abspath('mine/gt')
    assert train['retain'][0]['exclude'] == os.path.abspath('deleted.txt')
    recipe.write_text(recipe.read_text().replace('ForgetRetainPairedDataset', 'PairedImageDataset'))
    with pytest.raises(UserError, match=r'mine\.yml: datasets\.train must be a ForgetRetainPairedDataset'):
        forget_option('w.pth', 'rain', str(tmp_path), 'run', net, recipe=str(recipe))
    recipe.write_text('model_type: NoSuchModel\ntrain: {total_iter: 3}\n')
    with pytest.raises(UserError, match=r'--recipe .*mine\.yml: model_type .NoSuchModel. is not a registered'):
        forget_option('w.pth', 'rain', str(tmp_path), 'run', net, recipe=str(recipe))
    recipe.write_text('model_type: NegGradPlusModel\n')
    with pytest.raises(UserError, match=r'mine\.yml: `train` is missing'):
        forget_option('w.pth', 'rain', str(tmp_path), 'run', net, recipe=str(recipe))


@pytest.mark.slow  # trains through BasicSR's loop, evaluates, runs BasicSR's test.py
def test_forget_from_a_checkpoint_to_a_verified_entry(mini_benchmark, monkeypatch, capsys):
    monkeypatch.chdir(mini_benchmark)
    weights = zoo_weights(ORIGINAL)
    command = ['forget', '--weights', weights, '--task', 'rain', '--data', 'datasets/mini_allinone', '--steps', '3',
               '--work', 'work', '--force']
    assert cli(command + ['--out', 'zoo/no_rain']) == 0
    out = capsys.readouterr().out
    assert 'Reference-free verdict for unlearned' in out and 'Targets for' not in out  # no retrained model
    assert '(reference-free verdict): zoo/no_rain' in out
    option = mini_benchmark / 'work' / 'forget_rain_no_rain.yml'  # written first: a complete BasicSR option file
    text = option.read_text()
    assert 'model_type: AdversarialRetainModel' in text and weights in text and 'network_g:' in text
    report = json.loads((mini_benchmark / 'work/report/report.json').read_text())
    assert list(report['models']) == ['original', 'unlearned'] and not report['checks']
    card = (mini_benchmark / 'zoo/no_rain/model_card.md').read_text()
    assert 'Verdict: reference-free' in card and '| task | role | original | this model |' in card

    assert cli(['verify', 'zoo/no_rain']) == 0
    log = run([PYTHON, BASICSR_TEST, '-opt', 'zoo/no_rain/test_options.yml'], cwd=mini_benchmark).stderr
    for task in TASKS:
        psnr = float(re.search(rf'Validation {task}\n\s+# psnr: ([\d.]+)', log).group(1))
        assert abs(psnr - report['models']['unlearned']['tasks'][task]['psnr']) < 0.01, task

    card_hash = sha256_file(mini_benchmark / 'zoo/no_rain/model_card.yml')
    assert cli(command + ['--out', 'zoo/no_rain']) == 2  # the entry exists: refused before training, untouched
    assert 'exists; not overwriting' in capsys.readouterr().err
    assert sha256_file(mini_benchmark / 'zoo/no_rain/model_card.yml') == card_hash

    # after an interruption (here: the entry moved away as if export never ran), the same command
    # continues the run from its last state instead of starting over
    os.rename(mini_benchmark / 'zoo/no_rain', mini_benchmark / 'zoo/first')
    assert cli(command + ['--out', 'zoo/no_rain']) == 0
    assert 'Resuming training from' in (mini_benchmark / 'work/forget_rain_no_rain.out').read_text()
    first_cost = report['cost']['unlearned']['wall_time_s']
    resumed = json.loads((mini_benchmark / 'work/report/report.json').read_text())['cost']['unlearned']
    assert resumed['sessions'] == 2 and resumed['wall_time_s'] > first_cost  # both sessions' time, not the last's
    again, first = (torch.load(mini_benchmark / f'zoo/{entry}/no_rain.pth', weights_only=True)['params']
                    for entry in ('no_rain', 'first'))
    assert all(torch.equal(again[k], first[k]) for k in first)


def test_forget_refuses_an_architecture_that_does_not_fit(mini_benchmark, monkeypatch, capsys):
    monkeypatch.chdir(mini_benchmark)
    code = cli(['forget', '--weights', zoo_weights(ORIGINAL), '--arch', 'SRVGGNetCompact_basicsr', '--task', 'rain',
                '--data', 'datasets/mini_allinone', '--out', 'zoo/never'])
    assert code == 2 and not os.path.exists('zoo/never') and not os.path.exists('forget_runs/never')
    assert zoo_weights(ORIGINAL) in capsys.readouterr().err


def test_a_dry_run_checks_and_times_a_step_and_writes_nothing(mini_benchmark, monkeypatch, capsys):
    monkeypatch.chdir(mini_benchmark)
    before = sorted(os.listdir(mini_benchmark))
    command = ['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', 'datasets/mini_allinone',
               '--out', 'zoo/dry', '--dry-run']
    assert cli(command) == 0
    out = capsys.readouterr().out
    assert 'model_type: AdversarialRetainModel' in out and 'every forget and retain image decodes' in out
    assert re.search(r'forget +rain: \d+ pairs', out) and re.search(r'retain +noise15: \d+ pairs.*haze: \d+', out)
    step = re.search(r'one AdversarialRetainModel step on cpu \(batch \d+, crop \d+\): ([\d.]+) s, (\d+) MiB', out)
    assert step and float(step.group(1)) > 0 and int(step.group(2)) > 100
    assert sorted(os.listdir(mini_benchmark)) == before  # no entry, no run folder

    (mini_benchmark / 'datasets/mini_allinone/haze/train/lq/0_spare.png').write_bytes(b'not an image')
    (mini_benchmark / 'datasets/mini_allinone/haze/train/gt/0_spare.png').write_bytes(b'not an image')
    try:
        assert cli(command) == 2
    finally:
        for side in ('lq', 'gt'):
            os.remove(mini_benchmark / f'datasets/mini_allinone/haze/train/{side}/0_spare.png')
    assert "0_spare.png" in capsys.readouterr().err


@pytest.mark.slow
def test_forget_starts_from_the_authors_lightning_checkpoint(mini_benchmark, monkeypatch, tmp_path):
    monkeypatch.chdir(mini_benchmark)
    opt = tmp_path / 'net.yml'
    opt.write_text(json.dumps({'network_g': LIGHTNING_NET}))
    assert cli(['forget', '--weights', LIGHTNING, '--opt', str(opt), '--task', 'haze', '--data',
                'datasets/mini_allinone', '--steps', '2', '--out', 'zoo/lightning', '--work', 'work_lightning',
                '--force']) == 0
    card = (mini_benchmark / 'zoo/lightning/model_card.yml').read_text()
    assert sha256_file(LIGHTNING) in card and 'type: PromptIR' in card and 'dim: 4' in card
    assert cli(['verify', 'zoo/lightning']) == 0


@pytest.mark.parametrize('args, named', [
    (['--steps', '0'], "argument --steps: expected an integer > 0, got '0'"),
    (['--steps', '-5'], "argument --steps: expected an integer > 0, got '-5'"),
    (['--lr', '-1'], "argument --lr: expected a finite number > 0, got '-1'"),
    (['--lr', 'nan'], "argument --lr: expected a finite number > 0, got 'nan'"),
    (['--arch', 'NoSuchArch'], "architecture 'NoSuchArch' (--arch NoSuchArch (its default arguments)) is not a "
                               'registered architecture; expected one of'),
    (['--out', ''], '--out: expected the new entry folder, got an empty path'),
    (['--out', 'zoo/..'], "--out: the entry name '.' is not a plain file name")])
def test_forget_refuses_bad_arguments_in_one_line_before_any_work(tmp_path, monkeypatch, capsys, args, named):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    command = ['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root), '--out', 'entry']
    try:
        status = cli(command + args)
    except SystemExit as parser_exit:  # argparse's refusal: usage, then the one line that names the value
        status = parser_exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert named in err and [line for line in err.splitlines() if 'error' in line] == [err.splitlines()[-1]], err
    assert not (tmp_path / 'forget_runs').exists()


def test_forget_loads_the_retrained_model_before_any_work(tmp_path, monkeypatch, capsys):
    """--retrained zoo:<name> is the shipped file; a spec that names nothing fails before the training."""
    from basicsr_unlearn.evaluation.networks import network_from_weights, resolve_weights
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    trained = []
    fake_forget_runs(monkeypatch, trained)
    monkeypatch.setattr(forget_run, 'network_from_weights', network_from_weights)
    command = ['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root), '--out', 'entry']
    for spec, named in (('zoo:no_such', "unknown zoo model 'no_such'"), ('gone.pth', 'gone.pth')):
        assert cli(command + ['--retrained', spec]) == 2
        err = capsys.readouterr().err
        assert named in err and err.count('\n') == 1 and not trained, err
    loaded = []
    monkeypatch.setattr(forget_run, 'network_from_weights',
                        lambda spec, *a, **k: loaded.append(spec) or (None, resolve_weights(spec)))
    forget_run.forget_dataset(zoo_weights(ORIGINAL), 'rain', str(root), 'entry', retrained='zoo:no_rain')
    assert loaded[0] == 'zoo:no_rain' and loaded.count(zoo_weights('no_rain')) == 1  # checked, then evaluated


def test_two_identical_forget_commands_never_train_in_one_folder(tmp_path, monkeypatch):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    fake_forget_runs(monkeypatch, [])
    fake_training, refused = forget_run.run_training, []

    def training_while_the_same_command_starts(opt, work, **kwargs):
        with pytest.raises(ExistingFileError, match='another forget command is running there') as error:
            forget_run.forget_dataset(zoo_weights(ORIGINAL), 'rain', str(root), 'entry', steps=2)
        refused.append(str(error.value))
        return fake_training(opt, work, **kwargs)
    monkeypatch.setattr(forget_run, 'run_training', training_while_the_same_command_starts)
    forget_run.forget_dataset(zoo_weights(ORIGINAL), 'rain', str(root), 'entry', steps=2)
    assert len(refused) == 1
    monkeypatch.setattr(forget_run, 'run_training', fake_training)
    forget_run.forget_dataset(zoo_weights(ORIGINAL), 'rain', str(root), 'entry', steps=2)  # the lock was let go


def test_signing_options_are_checked_before_any_work(tmp_path, monkeypatch, capsys):
    root = tiny_layout(tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    trained = []
    fake_forget_runs(monkeypatch, trained)
    command = ['forget', '--weights', zoo_weights(ORIGINAL), '--task', 'rain', '--data', str(root), '--out', 'entry']
    (tmp_path / 'public.pem').write_text('a key')
    for extra, named in ((['--sign-key', 'missing.pem'], '--sign-key missing.pem: no such key file'),
                         (['--public-key', 'public.pem'], "--public-key checks a starting entry's signature")):
        assert cli(command + extra) == 2
        err = capsys.readouterr().err
        assert named in err and err.count('\n') == 1 and not trained, err
