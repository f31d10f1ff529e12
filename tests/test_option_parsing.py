"""Option files: safe YAML with 1e-4 floats, BasicSR's parse_options on CPU, rooted at the cwd."""
import os
import sys

import pytest
import yaml

import basicsr
from basicsr.utils import options as basicsr_options
from basicsr_unlearn.compat.option_yaml import OptionLoader, load_option_file
from basicsr_unlearn.utils import OptionError


def test_floats_written_the_usual_way():
    opt = yaml.load('lr: 1e-4\nb: 2E3\nc: .5\nd: 1.0e-4\ne: 10\nf: v1e4\n', Loader=OptionLoader)
    assert opt == {'lr': 1e-4, 'b': 2000.0, 'c': 0.5, 'd': 1e-4, 'e': 10, 'f': 'v1e4'}
    assert isinstance(opt['e'], int)


def test_python_tags_and_duplicate_keys_refused(tmp_path):
    hostile = tmp_path / 'hostile.yml'
    hostile.write_text(f'name: !!python/object/apply:os.mkdir ["{tmp_path}/pwned"]\n')
    with pytest.raises(ValueError, match='hostile.yml'):
        load_option_file(hostile)
    assert not (tmp_path / 'pwned').exists()
    with pytest.raises(yaml.YAMLError, match='duplicate option key `lr`'):
        yaml.load('lr: 1\nlr: 2\n', Loader=OptionLoader)


def test_basicsr_uses_the_safe_loader():
    assert basicsr_options.ordered_yaml()[0] is OptionLoader


def parse(monkeypatch, tmp_path, opt, root):
    path = tmp_path / 'opt.yml'
    path.write_text(yaml.safe_dump(opt))
    monkeypatch.setattr(sys, 'argv', ['train.py', '-opt', str(path)])
    monkeypatch.chdir(tmp_path)
    return basicsr_options.parse_options(root, is_train=True)[0]


def minimal(**extra):
    return dict(name='t', model_type='SRModel', num_gpu=0, manual_seed=7,
                datasets=dict(train=dict(name='a', type='PairedImageDataset')), path={}, **extra)


def test_site_packages_root_becomes_the_cwd(monkeypatch, tmp_path):
    site_packages = os.path.dirname(os.path.dirname(basicsr.__file__))
    opt = parse(monkeypatch, tmp_path, minimal(), site_packages)
    assert opt['path']['experiments_root'] == os.path.join(str(tmp_path), 'experiments', 't')
    checkout = str(tmp_path / 'BasicSR')
    assert parse(monkeypatch, tmp_path, minimal(), checkout)['path']['experiments_root'].startswith(checkout)


def test_datasets_get_the_manual_seed(monkeypatch, tmp_path):
    assert parse(monkeypatch, tmp_path, minimal(), str(tmp_path))['datasets']['train']['seed'] == 7


def test_gpu_request_without_cuda(monkeypatch, tmp_path):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(OptionError, match='num_gpu'):
        parse(monkeypatch, tmp_path, dict(minimal(), num_gpu=1), str(tmp_path))


def test_command_line_option_values_are_yaml_with_exponent_numbers():
    from basicsr_unlearn.cli import option_value
    assert option_value('1e-3') == pytest.approx(1e-3)  # YAML 1.1 alone reads this as a string
    assert option_value('l2') == 'l2'
    assert option_value('{loss_weight: 0.5, norm: linf}') == {'loss_weight': 0.5, 'norm': 'linf'}
    assert option_value('~') is None
