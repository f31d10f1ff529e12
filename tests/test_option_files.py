"""Every shipped option file loads with the safe loader, names registered classes, sits where
BasicSR users look for it (``options/{train,test,unlearn}/<Arch>/``) and reads without scrolling."""
import glob
import os

import pytest

from basicsr.archs import build_network
from basicsr.utils.registry import ARCH_REGISTRY, DATASET_REGISTRY, LOSS_REGISTRY, MODEL_REGISTRY
from basicsr_unlearn.tasks import DEGRADATIONS
from basicsr_unlearn.utils.options import load_option_file, options_dir

FILES = sorted(glob.glob(os.path.join(options_dir(), '**', '*.yml'), recursive=True))


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
    if 'tiny' in path:  # the CPU-sized ones: build them
        assert sum(p.numel() for p in build_network(dict(opt['network_g'])).parameters()) < 2_000_000
    parts = os.path.relpath(path, options_dir()).split(os.sep)
    if len(parts) == 1:  # the embedded defaults of the main job, one per degradation, at the top
        assert parts[0] in [f'unlearn_{d}.yml' for d in DEGRADATIONS] and opt['network_g']['type'] == 'PromptIR'
    else:
        kind, arch, _ = parts
        assert kind in ('train', 'test', 'unlearn') and arch == opt['network_g']['type']
    long_lines = [n for n, line in enumerate(open(path, encoding='utf-8'), 1) if len(line.rstrip('\n')) > 120]
    assert long_lines == [], f'lines over 120 characters: {long_lines}'


def test_the_tiny_unlearning_files_start_from_the_shipped_zoo():
    """Hand-edited, the files must still agree with the models they unlearn (what a generator used
    to guarantee): the mini zoo's all-in-one weights and its architecture."""
    from basicsr_unlearn.zoo import ORIGINAL, zoo_network_opt, zoo_weights
    tiny = [p for p in FILES if os.path.dirname(p) == options_dir() or
            (os.sep + 'unlearn' + os.sep in p and p.endswith('_promptir_tiny.yml'))]
    assert len(tiny) == 5  # rain, haze, noise, the joint request rain_haze and the deletion request rain20
    for path in tiny:
        opt = load_option_file(path)
        assert dict(opt['network_g']) == zoo_network_opt(), path
        assert opt['path']['pretrain_network_g'] == f'basicsr_unlearn/zoo/{os.path.basename(zoo_weights(ORIGINAL))}'


def test_options_folder_is_installed_with_the_package():
    assert os.path.isfile(os.path.join(options_dir(), 'unlearn_rain.yml'))
    assert len(FILES) >= 4 + 17 + 10  # test, train and unlearning files


def test_methods_catalogue():
    from basicsr_unlearn.runs.compose import methods
    methods = methods()
    assert set(methods) == {'ours', 'paper', 'neggrad', 'neggrad_plus', 'finetune', 'scrub', 'salun'}
    for spec in methods.values():
        assert registered(MODEL_REGISTRY, spec['model_type']) and len(spec['lrs']) >= 2


def test_peers_get_the_forget_pairs_as_they_are():
    """The catalogue's `dataset` block reaches datasets.train: forget_mix is ours only."""
    from basicsr_unlearn.runs.compose import compose_option
    shipped = load_option_file(os.path.join(options_dir(), 'unlearn_rain.yml'))
    shipped = shipped['datasets']['train']
    ours = compose_option('rain', 'ours')['datasets']['train']
    assert ours.get('forget_mix', 0) == shipped.get('forget_mix', 0)
    for peer in ('neggrad', 'neggrad_plus', 'finetune', 'scrub', 'salun'):
        train = compose_option('rain', peer)['datasets']['train']
        assert train['forget_mix'] == 0 and train['retain'] == ours['retain']
        assert train['batch_size_per_gpu'] == ours['batch_size_per_gpu']  # the same budget for every method


def test_peers_keep_their_published_retain_loss_whatever_our_file_sets():
    """The noise file weights the retain descent for ours (0.5, with distillation); a peer's retain
    loss is the catalogue's, so SalUn's relabelled forget term and fine-tuning still descend at 1."""
    from basicsr_unlearn.runs.compose import compose_option
    ours = compose_option('noise', 'ours')['train']
    assert ours['pixel_opt']['loss_weight'] == 0.5 and ours['distill_opt'] is not None
    for peer in ('paper', 'neggrad_plus', 'finetune', 'scrub', 'salun'):
        train = compose_option('noise', peer)['train']
        assert train['pixel_opt'] == {'type': 'L1Loss', 'loss_weight': 1.0}, peer
        assert train.get('distill_opt') is None, peer


def test_a_joint_request_forgets_its_degradations_and_keeps_only_the_others():
    """rain_haze: rain and haze pairs are the forget set and the val sets the stop rule reads as forgotten;
    noise is all that is retained; the reference it is judged against never saw either."""
    from basicsr_unlearn.runs.compose import compose_option
    from basicsr_unlearn.tasks import TASKS, task_split
    from basicsr_unlearn.zoo import retrained_for, zoo_models
    assert task_split(TASKS, 'rain_haze') == (['rain', 'haze'], ['noise15', 'noise25', 'noise50'])
    opt = compose_option('rain_haze', 'ours', keep_val=True)
    train = opt['datasets']['train']
    assert sorted(s['tag'] for s in train['forget']) == ['haze', 'rain']
    assert sorted(s['tag'] for s in train['retain']) == ['noise15', 'noise25', 'noise50']
    assert sorted(k for k in opt['datasets'] if k.startswith('val_forget_')) == ['val_forget_haze', 'val_forget_rain']
    assert zoo_models()[retrained_for('rain_haze')] == 'rain_haze'
