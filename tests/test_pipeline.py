"""End to end through BasicSR's train loop: its own train.py via the start-up hook, our
module entry point, torchrun with 2 CPU processes (same model as 1 process) and resume."""
import os
import shutil

import pytest
import torch

import basicsr
from conftest import BASICSR_TRAIN, PYTHON, TORCHRUN, run, unlearn_options, write_options
from conftest import trained_weights as weights

pytestmark = pytest.mark.slow  # trains through BasicSR in subprocesses


@pytest.fixture(scope='module')
def runs(tmp_path_factory, tiny_data, tiny_pretrained):
    """The same unlearning job three ways: 1 process (BasicSR's script), and 2 processes with
    half the batch each (our module under torchrun; BasicSR's script under torchrun)."""
    cwd = tmp_path_factory.mktemp('runs')
    jobs = {
        'one_basicsr_script': ([PYTHON, BASICSR_TRAIN], 4),
        'two_module': (TORCHRUN + ['-m', 'basicsr_unlearn.train'], 2),
        'two_basicsr_script': (TORCHRUN + [BASICSR_TRAIN], 2),
    }
    logs = {}
    for name, (cmd, batch) in jobs.items():
        opt = write_options(cwd / f'{name}.yml', unlearn_options(tiny_data, tiny_pretrained, name=name, total_iter=6,
                                                                 batch=batch))
        launcher = ['--launcher', 'pytorch'] if cmd[0:2] == TORCHRUN[0:2] else []
        logs[name] = run(cmd + ['-opt', str(opt)] + launcher, cwd=cwd).stderr
    return cwd, logs


def test_basicsr_script_trains_with_our_classes_under_the_cwd(runs):
    cwd, logs = runs
    assert (cwd / 'experiments/one_basicsr_script/models/net_g_latest.pth').is_file()
    assert (cwd / 'experiments/one_basicsr_script/training_states/6.state').is_file()
    log = logs['one_basicsr_script']
    assert 'Model [AdversarialRetainModel] is created.' in log
    assert 'Dataset [ForgetRetainPairedDataset]' in log and 'Loss [AscentLoss] is created.' in log
    for term in ('l_forget:', 'l_retain:', 'l_adv:', 'l_total:'):
        assert log.count(term) == 6, term
    assert 'Validation val_forget_rain' in log and 'Validation val_retain_noise25' in log
    site_packages = os.path.dirname(os.path.dirname(basicsr.__file__))
    assert not os.path.exists(os.path.join(site_packages, 'experiments', 'one_basicsr_script'))


@pytest.mark.parametrize('name', ['two_module', 'two_basicsr_script'])
def test_two_cpu_processes_train_the_same_model_as_one(runs, name):
    cwd, logs = runs
    assert 'world_size: 2' in logs[name]
    one, two = weights(cwd, 'one_basicsr_script'), weights(cwd, name)
    assert one.keys() == two.keys()
    assert max((one[k] - two[k]).abs().max().item() for k in one) < 1e-5

    def losses(log):
        return [line.split('] ', 2)[-1] for line in log.splitlines() if 'l_total:' in line]
    assert losses(logs['one_basicsr_script']) == losses(logs[name])  # printed with 4 digits


def test_auto_resume_on_cpu_continues_the_run(runs, tiny_data, tiny_pretrained):
    cwd, _ = runs
    name = 'one_basicsr_script'
    before = weights(cwd, name, 6)
    log = run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(cwd / f'{name}.yml'), '--auto_resume',
               '--force_yml', 'train:total_iter=8', 'logger:save_checkpoint_freq=8'], cwd=cwd).stderr
    assert 'Resuming training from epoch: 2, iter: 6.' in log
    assert log.count('l_forget:') == 2
    after = weights(cwd, name, 8)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(weights(cwd, name, 6)['body.0.weight'], before['body.0.weight'])  # kept, not overwritten


def test_new_run_archives_an_existing_experiment(runs, tiny_data, tiny_pretrained, tmp_path):
    cwd, _ = runs
    shutil.copytree(cwd / 'experiments' / 'two_module', tmp_path / 'experiments' / 'two_module')
    opt = write_options(tmp_path / 'two_module.yml',
                        unlearn_options(tiny_data, tiny_pretrained, name='two_module', total_iter=1))
    run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(opt)], cwd=tmp_path)
    archived = [p for p in os.listdir(tmp_path / 'experiments') if p.startswith('two_module_archived_')]
    assert len(archived) == 1
    assert (tmp_path / 'experiments' / archived[0] / 'models' / 'net_g_latest.pth').is_file()


@pytest.mark.slow
def test_the_readmes_promised_command_runs_from_a_checkout(mini_benchmark, tmp_path):
    """The README's torchrun line, as written, in a folder laid out like a checkout (options/, the
    shipped weights, datasets/ from prepare-data); only the budget is shortened for the test."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    readme = open(os.path.join(repo, 'README.md'), encoding='utf-8').read()
    promised = next(line for line in readme.splitlines() if line.startswith('torchrun --nproc_per_node=2'))
    assert promised == ('torchrun --nproc_per_node=2 <site-packages>/basicsr/train.py -opt options/unlearn_rain.yml '
                        '--launcher pytorch')
    checkout = tmp_path
    for name, target in (('options', os.path.join(repo, 'options')),
                         ('basicsr_unlearn', os.path.join(repo, 'basicsr_unlearn')),
                         ('datasets', mini_benchmark / 'datasets')):
        os.symlink(target, checkout / name)
    site_packages = os.path.dirname(os.path.dirname(basicsr.__file__))
    args = promised.replace('<site-packages>', site_packages).split()[2:]  # after torchrun --nproc_per_node=2
    run(TORCHRUN + args + ['--force_yml', 'train:total_iter=2', 'logger:save_checkpoint_freq=2'], cwd=checkout)
    assert (checkout / 'experiments/unlearn_rain/models/net_g_latest.pth').is_file()
