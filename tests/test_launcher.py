"""The distributed backend follows the option file: gloo for ``num_gpu: 0`` even on a GPU host."""
import sys

import pytest
import torch

from basicsr_unlearn.compat import launcher


@pytest.fixture
def gpu_host(monkeypatch):
    """CUDA available with two GPUs, and no backend forced by the environment."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.delenv(launcher.BACKEND_ENV, raising=False)


def test_choose_backend_follows_num_gpu(gpu_host, monkeypatch):
    assert launcher.choose_backend('nccl', num_gpu=0) == 'gloo'
    assert launcher.choose_backend('nccl', num_gpu='auto') == 'nccl'
    assert launcher.choose_backend('nccl', num_gpu=2) == 'nccl'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert launcher.choose_backend('nccl', num_gpu='auto') == 'gloo'
    monkeypatch.setenv(launcher.BACKEND_ENV, 'nccl')
    assert launcher.choose_backend('nccl', num_gpu=0) == 'nccl'  # the environment overrides both


@pytest.mark.parametrize('num_gpu, backend', [(0, 'gloo'), ('auto', 'nccl')])
def test_torchrun_on_a_gpu_host_takes_the_backend_of_the_option_file(gpu_host, monkeypatch, tmp_path, num_gpu,
                                                                     backend):
    option = tmp_path / 'run.yml'
    option.write_text(f'name: run\nnum_gpu: {num_gpu}\n')
    monkeypatch.setattr(sys, 'argv', ['train.py', '-opt', str(option), '--launcher', 'pytorch'])
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '1')
    monkeypatch.setattr(launcher.mp, 'get_start_method', lambda allow_none=False: 'spawn')
    devices, groups = [], []
    monkeypatch.setattr(torch.cuda, 'set_device', devices.append)
    monkeypatch.setattr(launcher.dist, 'init_process_group', lambda backend, **kwargs: groups.append(backend))
    monkeypatch.setattr(launcher.dist, 'get_rank', lambda: 0)
    monkeypatch.setattr(launcher.dist, 'get_world_size', lambda: 2)
    launcher.init_dist('pytorch')
    assert groups == [backend]
    assert devices == ([] if backend == 'gloo' else [1])  # a CPU run never picks a GPU
