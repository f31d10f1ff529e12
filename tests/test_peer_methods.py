"""The peer methods run through the same BasicSR model interface and do what they say."""
import pytest
import torch
from torch.utils.data import DataLoader

from basicsr.data import build_dataset
from basicsr.models import build_model
from conftest import unlearn_options

PEERS = {
    'NegGradModel': dict(forget_opt=dict(type='AscentLoss', bound='none'), adversarial_opt=None),
    'NegGradPlusModel': dict(forget_opt=dict(type='AscentLoss', bound='none'), adversarial_opt=None),
    'RetainFinetuneModel': dict(forget_opt=None, adversarial_opt=None),
    'SCRUBModel': dict(forget_opt=None, adversarial_opt=None, scrub_opt=dict(max_steps=2)),
    'SalUnModel': dict(forget_opt=None, adversarial_opt=None, salun_opt=dict(saliency_batches=2, mask_ratio=0.3)),
}
LOG_KEYS = {
    'NegGradModel': {'l_forget', 'l_total'},
    'NegGradPlusModel': {'l_forget', 'l_retain', 'l_total'},
    'RetainFinetuneModel': {'l_retain', 'l_total'},
    'SCRUBModel': {'l_min_distill', 'l_min_retain', 'l_total'},
    'SalUnModel': {'l_forget', 'l_retain', 'l_total'},
}


def make(model_type, tiny_data, tiny_pretrained, tmp_path):
    opt = unlearn_options(tiny_data, tiny_pretrained, **PEERS[model_type])
    opt['train'] = {k: v for k, v in opt['train'].items() if v is not None}
    opt.update(model_type=model_type, is_train=True, dist=False, rank=0, world_size=1)
    opt['train']['optim_g']['lr'] = 1e-3
    opt['path'].update(models=str(tmp_path), training_states=str(tmp_path))
    return build_model(opt), build_dataset(dict(opt['datasets']['train'], phase='train', seed=0))


def steps(model, dataset, count):
    batches = iter(DataLoader(dataset, batch_size=4))
    for i in range(count):
        model.feed_data(next(batches, None) or next(iter(DataLoader(dataset, batch_size=4))))
        model.optimize_parameters(i + 1)


@pytest.mark.parametrize('model_type', sorted(PEERS))
def test_peer_runs_and_logs(model_type, tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make(model_type, tiny_data, tiny_pretrained, tmp_path)
    before = [p.detach().clone() for p in model.net_g.parameters()]
    steps(model, dataset, 4)
    assert LOG_KEYS[model_type] <= set(model.get_current_log())
    assert any(not torch.equal(b, p) for b, p in zip(before, model.net_g.parameters()))


def test_salun_changes_only_salient_weights(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make('SalUnModel', tiny_data, tiny_pretrained, tmp_path)
    steps(model, dataset, 2)  # the saliency batches: no update
    assert model.masks is not None
    kept = sum(m.sum().item() for m in model.masks) / sum(m.numel() for m in model.masks)
    assert kept == pytest.approx(0.3, abs=0.01)
    before = [p.detach().clone() for p in model.params]
    steps(model, dataset, 3)
    for b, p, m in zip(before, model.params, model.masks):
        assert torch.equal(b[m == 0], p.detach()[m == 0])  # Adam moves nothing without a gradient


def test_scrub_stops_max_steps(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make('SCRUBModel', tiny_data, tiny_pretrained, tmp_path)
    steps(model, dataset, 2)
    assert 'l_max' in model.get_current_log()
    model.feed_data(dataset[0] | {k: v[None] for k, v in dataset[0].items() if torch.is_tensor(v)})
    model.optimize_parameters(3)
    assert 'l_max' not in model.get_current_log()
