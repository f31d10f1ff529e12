"""The published-size path, minus the GPU: the authors' Lightning checkpoint of a PromptIR or AdaIR
at their default size -> ``convert-checkpoint`` -> data in the authors' layout through
``prepare-real --lmdb`` -> every published-size training and unlearning option file for one
iteration through BasicSR's own train.py (batch 1, 32 px crops forced from the command line)
-> ``evaluate`` of the unlearned model. The weights are random: this proves that weights, data,
option files and architectures fit together, not what the model restores."""
import glob
import importlib.util
import json
import os
import re

import pytest
import torch

from basicsr.archs import build_network
from basicsr_unlearn.utils.options import options_dir
from conftest import BASICSR_TRAIN, PYTHON, run
from test_data_preparation import fake_authors_layout

ARCHS = {'PromptIR': 'promptir', 'AdaIR': 'adair'}
#: what a user with one small CPU would force on the published files (BasicSR's --force_yml)
SMALL_RUN = ['datasets:train:batch_size_per_gpu=1', 'datasets:train:gt_size=32', 'datasets:train:num_worker_per_gpu=0',
             'train:total_iter=1', 'logger:use_tb_logger=false', 'logger:print_freq=1']


def lightning_checkpoint(arch, path):
    """A randomly initialised ``arch`` at the authors' default size, saved as their released
    checkpoints are: PyTorch Lightning's dict with the network under ``state_dict`` as ``net.*``."""
    torch.manual_seed(0)
    net = build_network({'type': arch})
    torch.save({'epoch': 0, 'global_step': 0, 'pytorch-lightning_version': '2.4.0',
                'state_dict': {f'net.{k}': v for k, v in net.state_dict().items()},
                'loops': {}, 'callbacks': {}, 'optimizer_states': [], 'lr_schedulers': []}, path)


@pytest.fixture(scope='module')
def published_root(tmp_path_factory):
    """A folder holding ``datasets/allinone`` (the authors' layout prepared) and, under
    ``experiments/pretrained``, both architectures converted from their Lightning checkpoints."""
    root = tmp_path_factory.mktemp('published')
    fake_authors_layout(root / 'authors')
    run([PYTHON, '-m', 'basicsr_unlearn', 'prepare-real', '--train', 'authors/Train', '--test', 'authors/test',
         '--out', 'datasets/allinone', '--lmdb'], cwd=root)
    os.makedirs(root / 'experiments' / 'pretrained')
    for arch, short in ARCHS.items():
        lightning_checkpoint(arch, root / f'{short}.ckpt')
        run([PYTHON, '-m', 'basicsr_unlearn', 'convert-checkpoint', f'{short}.ckpt',
             f'experiments/pretrained/{short}_allinone.pth', '--arch', arch], cwd=root)
    return root


def published_files(arch):
    """Every option file of ``arch`` at its published size (the tiny ones are tested elsewhere)."""
    files = sorted(glob.glob(os.path.join(options_dir(), '*', arch, f'*{ARCHS[arch]}*.yml')))
    return [f for f in files if 'tiny' not in os.path.basename(f)]


@pytest.mark.slow
@pytest.mark.parametrize('arch', list(ARCHS))
def test_the_published_chain_runs_on_cpu(published_root, arch):
    files = published_files(arch)
    assert {os.path.basename(f).split('_')[0] for f in files} == {'unlearn', ARCHS[arch]}  # both kinds found
    assert len(files) == 7, files  # four trainings (all-in-one and three references), three unlearnings
    for option_file in files:
        name = os.path.splitext(os.path.basename(option_file))[0]
        run([PYTHON, BASICSR_TRAIN, '-opt', option_file, '--force_yml', *SMALL_RUN, f'name={name}_cpu'],
            cwd=published_root, timeout=600)
        log = open(glob.glob(str(published_root / 'experiments' / f'{name}_cpu' / 'train_*.log'))[0]).read()
        assert re.search(r'iter: +1, .* l_\w+: ', log) and '# psnr:' in log, name  # a step, then the closing validation

    short = ARCHS[arch]
    weights = published_root / 'experiments' / f'unlearn_rain_{short}_cpu' / 'models' / 'net_g_latest.pth'
    option_file = os.path.join(options_dir(), 'unlearn', arch, f'unlearn_rain_{short}.yml')
    run([PYTHON, '-m', 'basicsr_unlearn', 'evaluate', '--forget', 'rain', '--original',
         f'experiments/pretrained/{short}_allinone.pth', '--unlearned', f'ours={weights}', '--opt', option_file,
         '--data', 'datasets/allinone', '--split', 'test', '--out', f'reports/{short}'], cwd=published_root)
    report = json.load(open(published_root / 'reports' / short / 'report.json'))
    assert set(report['models']) == {'original', 'ours'} and set(report['tasks']) >= {'rain', 'haze', 'noise50'}
    assert report['models']['ours']['tasks']['rain']['psnr'] != report['models']['original']['tasks']['rain']['psnr']


def test_the_device_summary_reads_the_logged_steps_and_skips_the_evaluation_logs(tmp_path):
    """benchmarks/device_summary.py on logs shaped like BasicSR's and nvidia-smi's."""
    spec = importlib.util.spec_from_file_location('device_summary', os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'benchmarks', 'device_summary.py'))
    summary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(summary)
    lines = ['Distributed: backend nccl, world size 2.'] + [
        f'[epoch:  0, iter: {i:8,d}, lr:(2.000e-05,)] [eta: 0:01:00, time (data): {t} (0.002)] l_forget: -1.0e-02'
        for i, t in ((10, 0.9), (20, 0.30), (30, 0.20), (40, 0.25))] + ['End of training. Time consumed: 0:00:30']
    (tmp_path / 'device_rain_promptir_x2.log').write_text('\n'.join(lines))
    (tmp_path / 'device_rain_promptir_x2.evaluate.log').write_text('not a training log')
    (tmp_path / 'device_rain_promptir_x2.gpu_memory.csv').write_text('0, 1200\n0, 35000\n1, 34000\n')
    runs = summary.summarise(str(tmp_path), 40, 'random')['runs']
    assert len(runs) == 1 and runs[0]['processes'] == 2 and runs[0]['finished']
    assert runs[0]['seconds_per_step'] == 0.25  # the median after the first logged step, which warms up
    assert runs[0]['peak_gpu_memory_mib'] == 35000 and runs[0]['distributed'] == 'backend nccl, world size 2'
    assert runs[0]['test_psnr'] is None  # no report: its evaluation did not run
