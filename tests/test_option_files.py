"""Every shipped option file loads with the safe loader and names registered classes."""
import glob
import os

import pytest

from basicsr.archs import build_network
from basicsr.utils.registry import ARCH_REGISTRY, DATASET_REGISTRY, LOSS_REGISTRY, MODEL_REGISTRY
from basicsr_unlearn.compat.option_yaml import load_option_file
from basicsr_unlearn.utils.options_files import options_dir

FILES = sorted(p for p in glob.glob(os.path.join(options_dir(), '**', '*.yml'), recursive=True)
               if not p.endswith('methods.yml'))


def registered(registry, name):
    return name in registry or f'{name}_basicsr' in registry


@pytest.mark.parametrize('path', FILES, ids=lambda p: os.path.relpath(p, options_dir()))
def test_option_file(path):
    opt = load_option_file(path)
    assert registered(MODEL_REGISTRY, opt['model_type'])
    assert registered(ARCH_REGISTRY, opt['network_g']['type'])
    for block in opt['datasets'].values():
        assert registered(DATASET_REGISTRY, block['type'])
    for key in ('pixel_opt', 'forget_opt'):
        if key in opt.get('train', {}):
            assert registered(LOSS_REGISTRY, opt['train'][key]['type'])
    if 'tiny' in path or os.path.dirname(path) == options_dir():  # the CPU-sized ones: build them
        assert sum(p.numel() for p in build_network(dict(opt['network_g'])).parameters()) < 2_000_000


def test_options_folder_is_installed_with_the_package():
    assert os.path.isfile(os.path.join(options_dir(), 'unlearn_rain.yml'))
    assert len(FILES) >= 3 + 12 + 6


def test_methods_catalogue():
    methods = load_option_file(os.path.join(options_dir(), 'unlearn', 'methods.yml'))
    assert set(methods) == {'ours', 'paper', 'neggrad', 'neggrad_plus', 'finetune', 'scrub', 'salun'}
    for spec in methods.values():
        assert registered(MODEL_REGISTRY, spec['model_type']) and len(spec['lrs']) >= 2


def test_peers_get_the_forget_pairs_as_they_are():
    """The catalogue's `dataset` block reaches datasets.train: forget_mix is ours only."""
    from basicsr_unlearn.runs.compose import compose_option
    shipped = load_option_file(os.path.join(options_dir(), 'unlearn_rain.yml'))['datasets']['train']
    ours = compose_option('rain', 'ours')['datasets']['train']
    assert ours.get('forget_mix', 0) == shipped.get('forget_mix', 0)
    for peer in ('neggrad', 'neggrad_plus', 'finetune', 'scrub', 'salun'):
        train = compose_option('rain', peer)['datasets']['train']
        assert train['forget_mix'] == 0 and train['retain'] == ours['retain']
        assert train['batch_size_per_gpu'] == ours['batch_size_per_gpu']  # the same budget for every method
