"""What every unlearning method shares: forget/retain batches, the frozen original
network, one forward and one backward per step, and BasicSR's logging/EMA."""
import json
from collections import OrderedDict
from copy import deepcopy
from os import path as osp
from statistics import fmean

import torch
import torch.distributed as dist
import torch.nn.functional as F

from basicsr.archs import build_network
from basicsr.losses import build_loss
from basicsr.metrics import calculate_metric
from basicsr.models.sr_model import SRModel
from basicsr.utils import get_root_logger, tensor2img

from ..utils import OptionError
from ..utils.files import write_json_atomic
from .gradient_masks import SaliencyMap, masks_by_name
from .stop_rule import StopRule

#: what the stop rule decided, beside the run's models (read back when the run resumes)
STOP_RECORD = 'stop_rule.json'


def build_loss_at(loss_opt, key):
    """``build_loss`` whose errors name the option key."""
    if not isinstance(loss_opt, dict) or 'type' not in loss_opt:
        raise OptionError(key, f'expected a loss block with a `type`, got {loss_opt!r}.')
    try:
        return build_loss(loss_opt)
    except (KeyError, TypeError, ValueError) as error:
        raise OptionError(key, str(error)) from error


def check_finite(loss_dict, current_iter):
    """Stop before an update that would write non-finite weights, naming the iteration and the term.

    One check of the sum per step (a sum is finite only if every term is); the terms are only
    looked at one by one to name the culprit."""
    if torch.isfinite(sum(value.detach() for value in loss_dict.values())).all():
        return
    for name, value in loss_dict.items():
        if not torch.isfinite(value.detach()).all():
            raise FloatingPointError(f'iteration {current_iter}: loss term {name} is {value.item()}; training '
                                     'stopped before the update (the weights saved so far are finite). Lower '
                                     'train.optim_g.lr, or check the data.')


class UnlearningModel(SRModel):
    """Base of the unlearning models (not registered itself).

    Training batches come from ``ForgetRetainPairedDataset``; validation batches
    from BasicSR's paired datasets, as for SRModel. ``pixel_opt`` is the retain
    restoration loss (its weight may be 0 for methods without retain descent).

    Which weights may change, for every method (``gradient_masks.py``): ``train.update_only``, a
    list of parameter-name patterns (e.g. ``[prompt]``: PromptIR's prompt blocks); and
    ``train.saliency_opt`` (``mask_ratio``, ``saliency_batches``): SalUn's saliency map, made in
    the first ``saliency_batches`` iterations (no update happens in them; they count in the budget).
    """

    def init_training_settings(self):
        super().init_training_settings()
        self.net_original = None
        self.forget_log = {}  # what the forget term reports beside the losses
        train_opt, bare = self.opt['train'], self.get_bare_model(self.net_g)
        self.mask_params = list(bare.parameters())
        self.update_masks = None
        if train_opt.get('update_only') is not None:
            self.update_masks = masks_by_name(bare.named_parameters(), train_opt['update_only'], 'train.update_only')
            kept = sum(int(m.sum()) for m in self.update_masks)
            get_root_logger().info(f'train.update_only: {kept} of {sum(p.numel() for p in self.mask_params)} '
                                   'weights may change.')
        self.saliency = None
        saliency_opt = dict(train_opt.get('saliency_opt') or {})
        if saliency_opt:
            self.saliency = SaliencyMap.from_options(self.mask_params, saliency_opt, 'train.saliency_opt')
            if saliency_opt:
                raise OptionError('train.saliency_opt', f'unknown keys {sorted(saliency_opt)}; expected mask_ratio '
                                  'and saliency_batches.')
        rule_opt = train_opt.get('stop_rule')
        self.stop_rule = StopRule(rule_opt, self.opt) if rule_opt is not None else None
        if self.stop_rule is not None:
            self.stop_record_path = osp.join(self.opt['path']['experiments_root'], STOP_RECORD)
            self.stop_record = OrderedDict(stopped_at=None, cap=int(self.opt['train']['total_iter']),
                                           tolerances=self.stop_rule.tolerances, references={}, checks=[])
            if osp.isfile(self.stop_record_path):  # a resumed run: what was decided before
                with open(self.stop_record_path, encoding='utf-8') as f:
                    self.stop_record = json.load(f, object_pairs_hook=OrderedDict)
            self.val_now = (None, {}, {})  # (iteration, {val set: PSNR}, {retained val set: {image: PSNR}}) under way

    def resume_training(self, resume_state):
        super().resume_training(resume_state)
        if self.stop_rule is not None:  # decisions after the resumed state are about weights now lost
            record = self.stop_record
            record['checks'] = [c for c in record['checks'] if c['iter'] <= resume_state['iter']]
            if record['stopped_at'] is not None and record['stopped_at'] > resume_state['iter']:
                record['stopped_at'] = None

    def optimize_parameters(self, current_iter):
        """One unlearning step (``unlearning_step``), unless the stop rule has stopped the updates
        or the saliency map is still being made."""
        if self.stop_rule is not None and self.stopped(current_iter):
            self.log_dict = OrderedDict()  # no update, no losses to log (and a run resumed here has none yet)
            return
        if self.saliency is not None and self.saliency.masks is None:
            self.add_saliency()
            return
        self.unlearning_step(current_iter)

    def add_saliency(self):
        """Add this forget batch's restoration-loss gradient to the saliency map; no update."""
        self.optimizer_g.zero_grad()
        F.l1_loss(self.net_g(self.lq_forget), self.gt_forget).backward()
        keep = self.saliency.add_gradients()
        self.optimizer_g.zero_grad()
        if keep is not None:
            total = sum(p.numel() for p in self.mask_params)
            get_root_logger().info(f'Saliency map: {keep} of {total} weights are salient and may change.')
        self.log_dict = OrderedDict(saliency_batches=float(self.saliency.seen))

    def mask_gradients(self):
        """Zero the gradients of the weights that may not change (``update_only``, saliency)."""
        for masks in (self.update_masks, self.saliency.masks if self.saliency is not None else None):
            if masks is None:
                continue
            for param, mask in zip(self.mask_params, masks):
                if param.grad is not None:
                    param.grad.mul_(mask)

    def unlearning_step(self, current_iter):
        raise NotImplementedError

    def stopped(self, current_iter):
        """Whether the stop rule was met. Only rank 0 validates (BasicSR's ``dist_validation``), so
        the step after each validation hands its decision to every process."""
        val_freq = self.opt['val']['val_freq']
        if self.opt.get('dist') and current_iter > 1 and (current_iter - 1) % val_freq == 0:
            flag = torch.tensor([self.stop_record['stopped_at'] or 0], device=self.device)
            dist.broadcast(flag, 0)
            self.stop_record['stopped_at'] = int(flag.item()) or None
        return self.stop_record['stopped_at'] is not None

    @torch.no_grad()
    def val_image_psnr(self, net, dataloader):
        """{image: PSNR} over ``dataloader`` of ``net``'s outputs, or of the degraded input when ``net``
        is None, with the metric BasicSR's validation uses (whose mean it logs)."""
        psnr_opt = self.opt['val']['metrics']['psnr']
        was_training = net is not None and net.training
        if net is not None:
            net.eval()
        scores = OrderedDict()
        for data in dataloader:
            lq = data['lq'].to(self.device)
            out = lq if net is None else net(lq)
            name = osp.splitext(osp.basename(data['lq_path'][0]))[0]
            scores[name] = float(calculate_metric(dict(img=tensor2img([out]), img2=tensor2img([data['gt']])), psnr_opt))
        if was_training:
            net.train()
        return scores

    def nondist_validation(self, dataloader, current_iter, tb_logger, save_img):
        if self.stop_rule is None:
            return super().nondist_validation(dataloader, current_iter, tb_logger, save_img)
        if self.stop_record['stopped_at'] is not None:
            return  # the weights have not changed since the rule was met
        super().nondist_validation(dataloader, current_iter, tb_logger, save_img)
        name = dataloader.dataset.opt['name']
        if name not in self.stop_rule.names or current_iter > self.stop_record['cap']:
            return  # BasicSR's closing validation, after the cap, decides nothing
        references = self.stop_record['references']
        per_image = self.stop_rule.per_image and name in self.stop_rule.retain
        if name not in references:
            original = self.val_image_psnr(self.original_network(), dataloader)
            references[name] = dict(original=fmean(original.values()),
                                    input=fmean(self.val_image_psnr(None, dataloader).values()))
            if per_image:
                references[name]['original_images'] = original
        if self.val_now[0] != current_iter:
            self.val_now = (current_iter, {}, {})
        self.val_now[1][name] = self.metric_results['psnr']
        if per_image:
            self.val_now[2][name] = self.val_image_psnr(self.get_bare_model(self.net_g), dataloader)
        if set(self.val_now[1]) == set(self.stop_rule.names):
            self.judge(current_iter, self.val_now[1], self.val_now[2])

    def judge(self, current_iter, psnr, images=None):
        """Apply the rule to this validation's PSNRs (``images``: per image, of the retained val
        sets, when the rule reads them), log and record the decision."""
        references = self.stop_record['references']
        met, rows = self.stop_rule.judge(psnr, {n: r['original'] for n, r in references.items()},
                                         {n: r['input'] for n, r in references.items()}, images,
                                         {n: r['original_images'] for n, r in references.items()
                                          if 'original_images' in r})
        self.stop_record['checks'].append(OrderedDict(iter=current_iter, met=met, val=rows))
        if met:
            self.stop_record['stopped_at'] = current_iter
        missed = [f"{n} {r['psnr']:.2f} (bound: {r['bound']})" for n, r in rows.items() if not r['met']]
        get_root_logger().info(f'Stop rule at iter {current_iter}: '
                               + ('met, updates stop here.' if met else 'not met: ' + '; '.join(missed)))
        write_json_atomic(self.stop_record, self.stop_record_path)

    def original_network(self):
        """The frozen network before unlearning: ``path.pretrain_network_g_original``, else
        ``path.pretrain_network_g`` (loaded once)."""
        if self.net_original is None:
            path_opt = self.opt['path']
            load_path = path_opt.get('pretrain_network_g_original') or path_opt.get('pretrain_network_g')
            if load_path is None:
                raise OptionError('path.pretrain_network_g', 'this method needs the original model here.')
            net = build_network(deepcopy(self.opt['network_g'])).to(self.device)
            self.load_network(net, load_path, path_opt.get('strict_load_g', True),
                              path_opt.get('param_key_g', 'params'))
            net.eval()
            for p in net.parameters():
                p.requires_grad_(False)
            self.net_original = net
        return self.net_original

    def feed_data(self, data):
        if 'lq_forget' not in data:  # validation: BasicSR's paired datasets
            return super().feed_data(data)
        for key in ('lq_forget', 'gt_forget', 'lq_retain', 'gt_retain'):
            setattr(self, key, data[key].to(self.device))
        for key in ('lq_reference', 'gt_reference'):  # datasets.train.reference: unseen pairs
            setattr(self, key, data[key].to(self.device) if key in data else None)

    def forget_loss(self, pred):
        """``forget_opt`` on the forget outputs. A ``bound: reference`` AscentLoss also gets how
        well its ``reference_network`` (the frozen original or ``net_g``) restores this step's
        unseen reference pairs, averaged over processes so that every process holds its samples
        to the same bound."""
        if getattr(self.cri_forget, 'bound', None) != 'reference':
            return self.cri_forget(pred, self.gt_forget, lq=self.lq_forget)
        if self.lq_reference is None:
            raise OptionError('datasets.train.reference', 'is required by train.forget_opt bound: reference (unseen '
                              'pairs of the forget degradation, e.g. its val split).')
        with torch.no_grad():
            net = (self.original_network() if self.cri_forget.reference_network == 'original'
                   else self.get_bare_model(self.net_g))
            out = net(self.lq_reference)
            ratio = self.cri_forget.reference_ratio(out, self.gt_reference, self.lq_reference)
            if dist.is_available() and dist.is_initialized():
                dist.all_reduce(ratio)
                ratio /= dist.get_world_size()
        self.forget_log['reference_ratio'] = ratio
        return self.cri_forget(pred, self.gt_forget, lq=self.lq_forget, reference_ratio=ratio)

    def forward_batches(self, *inputs):
        """Run several batches through ``net_g`` in one forward pass (what DDP expects) and split."""
        if len({x.shape[1:] for x in inputs}) != 1:
            raise ValueError(f'forget and retain patches differ in shape {[tuple(x.shape) for x in inputs]}; '
                             'set datasets.train.gt_size.')
        return self.net_g(torch.cat(inputs)).split([x.size(0) for x in inputs])

    def step(self, loss_dict, current_iter, extra_log=None):
        """Backward on the sum of ``loss_dict``, optimizer step, BasicSR log and EMA."""
        l_total = sum(loss_dict.values())
        check_finite(dict(loss_dict, l_total=l_total), current_iter)
        l_total.backward()
        self.mask_gradients()
        self.optimizer_g.step()
        loss_dict = OrderedDict(loss_dict)
        loss_dict['l_total'] = l_total.detach()
        loss_dict.update(self.forget_log)
        loss_dict.update(extra_log or {})
        self.log_dict = self.reduce_loss_dict(loss_dict)
        if self.ema_decay > 0:
            self.model_ema(decay=self.ema_decay)
