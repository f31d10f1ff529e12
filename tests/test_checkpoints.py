"""Weights files: the authors' Lightning checkpoints, BasicSR params/params_ema, plain state
dicts; clear mismatch reports; hostile pickles run nothing; the converter command."""
import os
import pickle

import pytest
import torch

from basicsr.archs import build_network
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.utils.checkpoint import load_weights, read_state_dict
from conftest import DATA

LIGHTNING = str(DATA / 'promptir_tiny_lightning.ckpt')
# the network inside that file (see tools/make_lightning_checkpoint.py)
LIGHTNING_NET = dict(type='PromptIR', dim=4, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 1, 1],
                     ffn_expansion_factor=1, prompt_sizes=[8, 4, 2], prompt_dims=[4, 4, 8, 8])


def test_lightning_checkpoint_loads_strictly():
    raw = torch.load(LIGHTNING, weights_only=True)
    assert {'state_dict', 'optimizer_states', 'lr_schedulers', 'callbacks'} <= set(raw)  # a real Lightning file
    net = build_network(dict(LIGHTNING_NET))
    assert load_weights(net, LIGHTNING) == ''
    assert torch.equal(net.output.weight, raw['state_dict']['net.output.weight'])


def test_basicsr_and_plain_files(tmp_path):
    net = build_network(dict(LIGHTNING_NET))
    state = {k: torch.randn_like(v) for k, v in net.state_dict().items()}
    torch.save({'params': state, 'params_ema': {k: v + 1 for k, v in state.items()}}, tmp_path / 'both.pth')
    torch.save({f'module.{k}': v for k, v in state.items()}, tmp_path / 'plain.pth')
    assert torch.equal(read_state_dict(tmp_path / 'both.pth', 'params_ema')[0]['output.weight'],
                       state['output.weight'] + 1)
    assert read_state_dict(tmp_path / 'both.pth')[1] == 'params'
    loaded, key = read_state_dict(tmp_path / 'plain.pth')
    assert key is None and torch.equal(loaded['output.weight'], state['output.weight'])


def test_mismatch_is_reported_by_key_and_shape():
    bigger = build_network(dict(LIGHTNING_NET, dim=8))
    with pytest.raises(ValueError) as error:
        load_weights(bigger, LIGHTNING)
    message = str(error.value)
    assert 'does not match the network' in message and 'shape of decoder_level1.0.attn.project_out.weight' in message
    assert 'more shape differences' in message
    no_prompts = build_network(dict(LIGHTNING_NET, decoder=False))
    with pytest.raises(ValueError, match=r'key\(s\) in the file unknown to PromptIR.*prompt1'):
        load_weights(no_prompts, LIGHTNING)


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_hostile_pickle_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'evil.pth', 'wb') as f:
        pickle.dump({'params': Hostile(str(marker))}, f)
    torch.save({'params': {'w': torch.ones(1)}, 'extra': Hostile(str(marker))}, tmp_path / 'evil_zip.pth')
    for name in ('evil.pth', 'evil_zip.pth'):
        with pytest.raises(ValueError, match='weights-only'):
            read_state_dict(tmp_path / name)
    assert not marker.exists()


def test_no_weights_in_file(tmp_path):
    torch.save({'epoch': 3, 'notes': 'x'}, tmp_path / 'empty.pth')
    with pytest.raises(ValueError, match=r"no network weights found.*\['epoch', 'notes'\]"):
        read_state_dict(tmp_path / 'empty.pth')


def test_convert_command(tmp_path, capsys):
    dst = tmp_path / 'promptir_tiny.pth'
    opt = tmp_path / 'net.yml'
    opt.write_text('network_g: ' + str(LIGHTNING_NET).replace("'", ''))
    assert cli(['convert-checkpoint', LIGHTNING, str(dst), '--opt', str(opt)]) == 0
    assert 'matches PromptIR exactly' in capsys.readouterr().out
    converted = torch.load(dst, weights_only=True)
    assert set(converted) == {'params'} and 'output.weight' in converted['params']
    before = dst.read_bytes()
    assert cli(['convert-checkpoint', LIGHTNING, str(dst)]) == 2  # never overwrites
    assert 'exists; not overwriting' in capsys.readouterr().err and dst.read_bytes() == before
    assert cli(['convert-checkpoint', LIGHTNING, str(tmp_path / 'x.pth'), '--arch', 'PromptIR']) == 2
    assert 'does not match the network' in capsys.readouterr().err
