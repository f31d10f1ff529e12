"""The peer methods run through the same BasicSR model interface and do what they say."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from basicsr.archs import build_network
from basicsr.data import build_dataset
from basicsr.models import build_model
from basicsr_unlearn.utils import OptionError
from basicsr_unlearn.utils.checkpoint import load_weights
from conftest import TINY_NET, unlearn_options

PEERS = {
    'NegGradModel': dict(forget_opt=dict(type='AscentLoss', bound='none'), adversarial_opt=None),
    'NegGradPlusModel': dict(forget_opt=dict(type='AscentLoss', bound='none'), adversarial_opt=None),
    'RetainFinetuneModel': dict(forget_opt=None, adversarial_opt=None),
    'SCRUBModel': dict(forget_opt=None, adversarial_opt=None, scrub_opt=dict(max_steps=2)),
    'SalUnModel': dict(forget_opt=None, adversarial_opt=None, salun_opt=dict(saliency_batches=2, mask_ratio=0.3)),
}
OURS = 'AdversarialRetainModel'
LOG_KEYS = {
    'NegGradModel': {'l_forget', 'l_total'},
    'NegGradPlusModel': {'l_forget', 'l_retain', 'l_total'},
    'RetainFinetuneModel': {'l_retain', 'l_total'},
    'SCRUBModel': {'l_min_distill', 'l_min_retain', 'l_total'},
    'SalUnModel': {'l_forget', 'l_retain', 'l_total'},
}


def make(model_type, tiny_data, tiny_pretrained, tmp_path, **train):
    """A model of ``model_type`` on the tiny data (ours: AdversarialRetainModel without the PGD term)."""
    opt = unlearn_options(tiny_data, tiny_pretrained, **PEERS.get(model_type, dict(adversarial_opt=None)))
    opt['train'] = {k: v for k, v in opt['train'].items() if v is not None}
    opt.update(model_type=model_type, is_train=True, dist=False, rank=0, world_size=1)
    opt['train']['optim_g']['lr'] = 1e-3
    opt['train'].update(train)
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
    masks = model.saliency.masks
    assert masks is not None
    kept = sum(m.sum().item() for m in masks) / sum(m.numel() for m in masks)
    assert kept == pytest.approx(0.3, abs=0.01)
    before = [p.detach().clone() for p in model.mask_params]
    steps(model, dataset, 3)
    for b, p, m in zip(before, model.mask_params, masks):
        assert torch.equal(b[m == 0], p.detach()[m == 0])  # Adam moves nothing without a gradient


def test_ours_with_a_saliency_map_spends_its_first_steps_on_it_then_moves_only_salient_weights(
        tiny_data, tiny_pretrained, tmp_path):
    saliency_opt = dict(mask_ratio=0.4, saliency_batches=2)
    model, dataset = make(OURS, tiny_data, tiny_pretrained, tmp_path, saliency_opt=saliency_opt)
    start = [p.detach().clone() for p in model.mask_params]
    steps(model, dataset, 2)
    assert all(torch.equal(b, p) for b, p in zip(start, model.mask_params))  # no update while the map is made
    assert model.get_current_log()['saliency_batches'] == 2
    steps(model, dataset, 3)
    masks = model.saliency.masks
    for b, p, m in zip(start, model.mask_params, masks):
        assert torch.equal(b[m == 0], p.detach()[m == 0])
    assert any(not torch.equal(b[m == 1], p.detach()[m == 1]) for b, p, m in zip(start, model.mask_params, masks))


@pytest.mark.parametrize('model_type', [OURS, *sorted(PEERS)])
def test_update_only_keeps_every_other_weight_the_originals(model_type, tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make(model_type, tiny_data, tiny_pretrained, tmp_path, update_only=[r'^body\.0\.'])
    named = list(model.net_g.named_parameters())
    start = {name: p.detach().clone() for name, p in named}
    steps(model, dataset, 4)  # SalUn: 2 saliency batches, then 2 updates
    for name, p in named:
        assert torch.equal(start[name], p.detach()) != name.startswith('body.0.'), name


def test_update_only_that_matches_nothing_names_the_key(tiny_data, tiny_pretrained, tmp_path):
    with pytest.raises(OptionError, match=r'train\.update_only.*matches no parameter'):
        make(OURS, tiny_data, tiny_pretrained, tmp_path, update_only=['prompt'])


def test_the_clean_content_term_holds_the_forget_scenes_to_the_original(tiny_data, tiny_pretrained, tmp_path):
    """With only the clean-content term and no ascent, the first step's term is 0: the network
    starts as the original, so its outputs on the clean forget images are the original's."""
    model, dataset = make(OURS, tiny_data, tiny_pretrained, tmp_path, forget_opt=dict(type='AscentLoss', loss_weight=0),
                          clean_opt=dict(type='L1Loss', loss_weight=1.0))
    steps(model, dataset, 1)
    assert model.get_current_log()['l_clean'] == 0
    steps(model, dataset, 2)
    assert model.get_current_log()['l_clean'] > 0  # the retain descent has moved the network since


def test_scrub_stops_max_steps(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make('SCRUBModel', tiny_data, tiny_pretrained, tmp_path)
    steps(model, dataset, 2)
    assert 'l_max' in model.get_current_log()
    model.feed_data(dataset[0] | {k: v[None] for k, v in dataset[0].items() if torch.is_tensor(v)})
    model.optimize_parameters(3)
    assert 'l_max' not in model.get_current_log()


def flat(tensors):
    return torch.cat([t.detach().flatten() for t in tensors])


def l1_and_gradient(net, lq, gt):
    """Mean L1 of ``net`` on (lq, gt) and its gradient over the weights, flattened."""
    net.zero_grad()
    loss = F.l1_loss(net(lq), gt)
    loss.backward()
    return loss.item(), flat(p.grad for p in net.parameters())


def test_neggrad_ascends_on_forget_and_neggrad_plus_also_descends_on_retain(tiny_data, tiny_pretrained, tmp_path):
    """One plain SGD step of each from the same weights and batch: NegGrad moves the weights by
    +lr * (gradient of the forget L1), NegGrad+ by that minus lr * (gradient of the retain L1), and
    the losses move by what that predicts to first order. In float64, for a step small enough
    that the first order holds (on this tiny network the ascent's curvature wins from lr 1e-2)."""
    lr = 1e-4
    reference = build_network(dict(TINY_NET)).double()
    load_weights(reference, str(tiny_pretrained))
    batch = None
    moved, losses = {}, {}
    for model_type in ('NegGradModel', 'NegGradPlusModel'):
        model, dataset = make(model_type, tiny_data, tiny_pretrained, tmp_path / model_type, ema_decay=0,
                              optim_g=dict(type='SGD', lr=lr))
        model.net_g.double()
        batch = batch or {k: v.double() for k, v in next(iter(DataLoader(dataset, batch_size=4))).items()
                          if torch.is_tensor(v)}
        start = flat(model.net_g.parameters())
        assert torch.equal(start, flat(reference.parameters()))
        model.feed_data(batch)
        model.optimize_parameters(1)
        moved[model_type] = flat(model.net_g.parameters()) - start
        with torch.no_grad():
            losses[model_type] = [F.l1_loss(model.net_g(batch[f'lq_{part}']), batch[f'gt_{part}']).item()
                                  for part in ('forget', 'retain')]
    forget_before, forget_grad = l1_and_gradient(reference, batch['lq_forget'], batch['gt_forget'])
    _, retain_grad = l1_and_gradient(reference, batch['lq_retain'], batch['gt_retain'])
    close = dict(rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(moved['NegGradModel'], lr * forget_grad, **close)  # ascent, of size lr * gradient
    torch.testing.assert_close(moved['NegGradPlusModel'] - moved['NegGradModel'], -lr * retain_grad, **close)
    rise = losses['NegGradModel'][0] - forget_before
    assert rise == pytest.approx(lr * forget_grad.square().sum().item(), rel=0.25)
    retain_gain = losses['NegGradModel'][1] - losses['NegGradPlusModel'][1]
    assert retain_gain == pytest.approx(lr * retain_grad.square().sum().item(), rel=0.25)
