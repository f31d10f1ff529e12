"""An unlearning job's option dict, composed from the shipped option files.

``options/unlearn_<task>.yml`` (or ``delete_<request>_promptir_tiny.yml``
for a deletion request) gives data, network, budget and our defaults; a method block of the
catalogue ``methods.yml`` beside this file replaces the keys that make another method; dotted
overrides (``train:forget_opt:loss_weight=2``) come last.
"""
import copy
from os import path as osp

from ..tasks import DEGRADATIONS, DELETIONS, MINI_ROOT, TASK_GROUPS
from ..utils import UserError
from ..utils.options import load_option_file, rebase_dataroots, set_option_key, shipped_option, shipped_recipe
from ..zoo import DEFAULT_BENCHMARK, ORIGINAL, zoo_weights

#: the catalogue of methods: per method, the keys that replace ours in a shipped unlearning file
METHODS_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'methods.yml')


def methods():
    return load_option_file(METHODS_FILE)


def check_method(method, catalogue=None):
    catalogue = catalogue or methods()
    if method not in catalogue:
        raise UserError(f'--method: expected one of {list(catalogue)} (basicsr_unlearn/runs/methods.yml), got '
                        f'{method!r}.')


def scenario_file(task):
    """The shipped option file of forgetting ``task`` (a degradation or a joint request) or of a deletion
    request, relative to ``options/``: a degradation's is an embedded default, ``unlearn_<task>.yml`` at
    the top, the others sit with their architecture."""
    if task in DEGRADATIONS:
        return f'unlearn_{task}.yml'
    if task in TASK_GROUPS:
        return shipped_recipe('unlearn', f'unlearn_{task}_promptir_tiny')
    if task in DELETIONS:
        return shipped_recipe('unlearn', f'delete_{task}_promptir_tiny')
    raise UserError(f'--task: expected one of {list(TASK_GROUPS)} (or a deletion request: {list(DELETIONS)}), '
                    f'got {task!r}.')


def compose_option(task, method='ours', lr=None, data_root=MINI_ROOT, name=None,
                   original=None, total_iter=None, overrides=None, benchmark=DEFAULT_BENCHMARK, keep_val=False):
    """The option dict of unlearning ``task`` (or deleting the images of a deletion request)
    with ``method`` (a key of methods.yml), then ``overrides`` ({'a:b:c': value}, see
    ``set_option_key``) on top. The data comes from ``data_root`` (either benchmark: their
    layouts are the same), the original weights from ``original``, else from ``benchmark``'s
    shipped zoo. ``keep_val`` keeps the file's val sets (the val split), which the stop rule reads,
    and its val block; otherwise evaluation happens afterwards, on the split the caller chooses."""
    option_file = scenario_file(task)
    catalogue = methods()
    check_method(method, catalogue)
    opt = rebase_dataroots(shipped_option(option_file), osp.abspath(data_root), MINI_ROOT)
    spec = catalogue[method]
    opt['model_type'] = spec['model_type']
    for block, target in (('train', opt['train']), ('dataset', opt['datasets']['train'])):
        for key, value in (spec.get(block) or {}).items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = copy.deepcopy(value)
    if lr is not None:
        opt['train']['optim_g']['lr'] = float(lr)
    if total_iter is not None:
        opt['train']['total_iter'] = opt['val']['val_freq'] = opt['logger']['save_checkpoint_freq'] = int(total_iter)
    opt['path']['pretrain_network_g'] = osp.abspath(original or zoo_weights(ORIGINAL, benchmark))
    opt['name'] = name or f'unlearn_{task}_{method}'
    if not keep_val:
        opt.pop('val', None)
        opt['datasets'] = {k: v for k, v in opt['datasets'].items() if k == 'train'}
    for dotted, value in (overrides or {}).items():
        set_option_key(opt, dotted, value)
    return opt
