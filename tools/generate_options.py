"""Write the option-file families of ``options/`` from the templates in ``tools/option_templates/``.

The files are committed whole (BasicSR users read whole files); this script is their one
source. ``tests/test_option_files.py`` fails when a committed file differs from what this
script writes, so edit a template or the tables below, then run:

    python tools/generate_options.py           # rewrite options/
    python tools/generate_options.py --check   # list what differs, exit 1 if anything does

Families: training recipes (``options/train/<arch>_<allinone|no_group>.yml``), unlearning
files (``options/unlearn_<group>.yml`` for the tiny model on the mini benchmark,
``options/delete_<request>.yml`` with its reference's recipe for deletion requests,
``options/unlearn/unlearn_<group>_<arch>.yml`` for the published models on real data) and
test files of the shipped zoo (``options/test/``).
"""
import sys
from os import path as osp
from string import Template

from basicsr_unlearn.tasks import DELETIONS, MINI_ROOT, REAL_MINI_ROOT, TASK_GROUPS, TASKS

import generated_files

REPO = generated_files.REPO
TEMPLATES = osp.join(REPO, 'tools', 'option_templates')
REAL_ROOT = 'datasets/allinone'
ZOO = 'basicsr_unlearn/zoo'

# where the data is: the mini benchmark (tiny models, CPU) or the real protocol (published models, GPUs)
DATA = {
    'mini': dict(root=MINI_ROOT, lmdb=False, val_split='val', train_name='mini_allinone_train',
                 repeats=dict(noise15=1, noise25=1, noise50=1, rain=3, haze=3), sources_comment=''),
    'real_mini': dict(root=REAL_MINI_ROOT, lmdb=False, val_split='val', train_name='real_mini_train',
                      repeats=dict(noise15=1, noise25=1, noise50=1, rain=3, haze=4),
                      sources_comment='  # ~570 pairs per degradation an epoch: 192 x 1 per noise level, 190 x 3, '
                                      '140 x 4'),
    'real': dict(root=REAL_ROOT, lmdb=True, val_split='test', train_name='allinone_train',
                 repeats=dict(noise15=3, noise25=3, noise50=3, rain=120, haze=1),
                 sources_comment="  # repeats as in the authors' loaders: each noise level x3, Rain100L x120, OTS x1"),
}
TINY_NETWORK = ('\n  type: PromptIR\n  dim: 12\n  num_blocks: [1, 1, 1, 1]\n  num_refinement_blocks: 1\n'
                '  heads: [1, 1, 2, 2]\n  prompt_sizes: [16, 8, 4]')
ARCHS = {  # recipe prefix -> (class, data, network_g block)
    'promptir_tiny': ('PromptIR', 'mini', TINY_NETWORK),
    'promptir_tiny_real': ('PromptIR', 'real_mini', TINY_NETWORK),
    'promptir': ('PromptIR', 'real', '\n  type: PromptIR  # default arguments = the published model'),
    'adair': ('AdaIR', 'real', '\n  type: AdaIR  # default arguments = the published model'),
}
TRAIN_SCHEDULE = {
    'mini': dict(val_freq=500, logger='  print_freq: 50\n  save_checkpoint_freq: 2500\n  use_tb_logger: false', train=(
        'train:\n  ema_decay: 0\n  optim_g: {type: AdamW, lr: 1e-3, weight_decay: 1e-4, betas: [0.9, 0.999]}\n'
        '  scheduler: {type: CosineAnnealingRestartLR, periods: [2500], restart_weights: [1], eta_min: 1e-6}\n'
        '  total_iter: 2500\n  warmup_iter: 100\n  pixel_opt: {type: L1Loss, loss_weight: 1.0, reduction: mean}')),
    'real_mini': dict(val_freq=600, logger='  print_freq: 50\n  save_checkpoint_freq: 1200\n  use_tb_logger: false',
                      train=('train:\n  ema_decay: 0\n  optim_g: {type: AdamW, lr: 1e-3, weight_decay: 1e-4, '
                             'betas: [0.9, 0.999]}\n  scheduler: {type: CosineAnnealingRestartLR, periods: [1200], '
                             'restart_weights: [1], eta_min: 1e-6}\n  total_iter: 1200  # ~12 min on 2 CPU cores '
                             '(basicsr_unlearn/zoo/real_mini/manifest.json)\n  warmup_iter: 100\n'
                             '  pixel_opt: {type: L1Loss, loss_weight: 1.0, reduction: mean}')),
    'real': dict(val_freq=20000, logger=('  print_freq: 200\n  save_checkpoint_freq: 20000\n  use_tb_logger: true\n\n'
                                         'dist_params: {backend: nccl, port: 29500}'), train=(
        'train:\n  ema_decay: 0\n  optim_g: {type: AdamW, lr: 2e-4, weight_decay: 0.01, betas: [0.9, 0.999]}\n'
        '  scheduler: {type: CosineAnnealingRestartLR, periods: [530000], restart_weights: [1], eta_min: 1e-7}\n'
        '  total_iter: 530000\n  warmup_iter: 66000  # ~15 epochs\n  pixel_opt: {type: L1Loss, loss_weight: 1.0}')),
}
# the tiny model's unlearning defaults per forgotten group, chosen on val over seeds (docs/Defaults.md)
DEFAULTS_DOC = 'docs/Defaults.md'
TINY_UNLEARN = {
    'rain': dict(
        retain_weights=dict(haze=3),
        retain_comment="  # one retain pair per forget pair, drawn by weight: each retained degradation alike "
                       "(noise's 3 levels = haze)",
        forget_mix=f"    forget_mix: 1.0  # ascend on the forget degradations moved onto the retain sets' clean images "
                   f"({DEFAULTS_DOC})\n",
        lr='1e-3', lr_comment=f'  # lowest mean val Avg. Gap over 3 seeds ({DEFAULTS_DOC})',
        forget_weight='1.0', forget_comment='  # w_f',
        adversarial=f"{{loss_weight: 0, norm: linf, eps: 0.0039, steps: 1}}  # w_adv, PGD on retain inputs: off "
                    f"({DEFAULTS_DOC})",
        distill=True),
    'haze': dict(
        retain_weights=dict(rain=3),
        retain_comment="  # one retain pair per forget pair, drawn by weight: each retained degradation alike "
                       "(noise's 3 levels = rain)",
        forget_mix=f'    # forget_mix stays 0: haze is not additive, and moved haze let the membership attack tell the '
                   f'forget set ({DEFAULTS_DOC})\n',
        lr='5e-4', lr_comment=f'  # lowest mean val Avg. Gap over 3 seeds ({DEFAULTS_DOC})',
        forget_weight='0.5', forget_comment=f'  # w_f: half ({DEFAULTS_DOC}, round 8)',
        adversarial=f"{{loss_weight: 0, norm: linf, eps: 0.0157, steps: 1}}  # w_adv, PGD (4/255) on retain inputs: "
                    f"off ({DEFAULTS_DOC})",
        distill=True),
    'noise': dict(
        retain_weights=dict(rain=3),
        retain_comment=f'  # one retain pair per forget pair, drawn by weight: rain 3 to 1, the task forgetting noise '
                       f'costs most ({DEFAULTS_DOC})',
        forget_mix='',
        lr='1e-3', lr_comment=f'  # with rain drawn 3 to 1: lowest mean val Avg. Gap over 3 seeds ({DEFAULTS_DOC})',
        forget_weight='1.0', forget_comment='  # w_f',
        adversarial='{loss_weight: 0.5, norm: linf, eps: 0.0039, steps: 1}  # w_adv, PGD (1/255) on retain inputs',
        distill=False),
}


def template(name):
    with open(osp.join(TEMPLATES, f'{name}.yml.in'), encoding='utf-8') as f:
        return Template(f.read())


def source_line(data, task, split, extra=''):
    """One paired source in flow style, as the shipped files list them."""
    root = DATA[data]['root']
    suffix, backend = ('.lmdb', ', io_backend: {type: lmdb}') if DATA[data]['lmdb'] else ('', '')
    return (f'      - {{tag: {task}, dataroot_gt: {root}/{task}/{split}/gt{suffix}, '
            f'dataroot_lq: {root}/{task}/{split}/lq{suffix}{backend}{extra}}}')


def paired_block(key, name, data, task, split):
    root = DATA[data]['root']
    return (f'  {key}:\n    name: {name}\n    type: PairedImageDataset\n    dataroot_gt: {root}/{task}/{split}/gt\n'
            f'    dataroot_lq: {root}/{task}/{split}/lq\n    io_backend: {{type: disk}}\n')


def without(group):
    return [t for t in TASKS if t not in TASK_GROUPS.get(group, ())]


def flow_list(names):
    return f"[{', '.join(names)}]"


def train_recipe(name, header, data, network, sources, arch_data=None):
    """A training recipe of ``data`` with the given source lines."""
    schedule = TRAIN_SCHEDULE[data]
    return template('train').substitute(
        header=header, name=name, num_gpu='auto' if data == 'real' else '0  # CPU; `auto` uses the GPUs',
        train_name=DATA[data]['train_name'], sources_comment=DATA[data]['sources_comment'],
        sources='\n'.join(sources), gt_size=128 if data == 'real' else 48, workers=8 if data == 'real' else 0,
        val_blocks=''.join(paired_block(f'val_{t}', f'val_{t}', data, t, DATA[data]['val_split']) for t in TASKS),
        network=network, train_block=schedule['train'], val_freq=schedule['val_freq'],
        logger_block=schedule['logger'])


def train_recipes():
    for prefix, (arch, data, network) in ARCHS.items():
        for group in [None] + list(TASK_GROUPS):
            variant = 'allinone' if group is None else f'no_{group}'
            name = f'{prefix}_{variant}'
            what = 'all tasks' if group is None else \
                f'every task but {group} (the retrained reference for forgetting {group})'
            if data == 'mini':
                header = (f'# Tiny PromptIR on the mini all-in-one benchmark: {what}.\n'
                          f'# Reproduce: basicsr-unlearn prepare-data && python -m basicsr_unlearn.train -opt '
                          f'options/train/{name}.yml\n'
                          '# (or `basicsr-unlearn zoo-train` for all four shipped models). Runs on 2 CPU cores.')
            elif data == 'real_mini':
                header = (f'# Tiny PromptIR on the real mini protocol (datasets.md): {what}.\n'
                          '# Reproduce: basicsr-unlearn prepare-real --preset allinone-mini --src DIR --out '
                          f'{REAL_MINI_ROOT}\n'
                          f'#   python -m basicsr_unlearn.train -opt options/train/{name}.yml\n'
                          f'# (or `basicsr-unlearn zoo-train --data {REAL_MINI_ROOT}` for all four). Runs on 2 CPU '
                          'cores.')
            else:
                what = 'all tasks (the published all-in-one model)' if group is None else what
                header = (f'# Published {arch} on the real all-in-one protocol: {what}.\n'
                          '# Data: datasets.md (basicsr-unlearn prepare-real ... --lmdb). Not run by this project: '
                          'the authors\n# train 120 epochs with AdamW 2e-4, batch 8 on each of 4 GPUs, 128 px patches, '
                          'L1, warm-up then cosine;\n# BasicSR counts iterations, ~530k at batch 32. Launch:\n'
                          f'#   torchrun --nproc_per_node=4 -m basicsr_unlearn.train -opt options/train/{name}.yml '
                          '--launcher pytorch')
            sources = [source_line(data, t, 'train', f', repeat: {DATA[data]["repeats"][t]}') for t in without(group)]
            text = train_recipe(name, header, data, network, sources)
            yield f'train/{name}.yml', text


def unlearn_val_blocks(data, group):
    forgotten = TASK_GROUPS[group]
    blocks = []
    for t in TASKS:
        role = 'forget' if t in forgotten else 'retain'
        blocks.append(paired_block(f'val_{role}_{t}', f'val_{role}_{t}', data, t, DATA[data]['val_split']))
    return ''.join(blocks)


def tiny_unlearn_files():
    for group, d in TINY_UNLEARN.items():
        header = (f'# Unlearn {group} from the shipped tiny all-in-one PromptIR with AdversarialRetainModel.\n'
                  '# Runs on 2 CPU cores as is, from a checkout (or the folder holding datasets/ and the weights):\n'
                  '#   basicsr-unlearn prepare-data\n'
                  f'#   python -m basicsr_unlearn.train -opt options/unlearn_{group}.yml\n'
                  f'#   torchrun --nproc_per_node=2 <basicsr>/train.py -opt options/unlearn_{group}.yml '
                  '--launcher pytorch\n'
                  f'# `basicsr-unlearn demo --task {group}` runs it from anywhere and evaluates the result.\n'
                  f'# The defaults below were chosen by `basicsr-unlearn sweep` on the val split ({DEFAULTS_DOC}).')
        losses = ['  pixel_opt: {type: L1Loss, loss_weight: 1.0}  # w_r: descent on the retain pairs',
                  '  forget_opt: {type: AscentLoss, criterion: l1, bound: input, bound_scale: 1.0, '
                  f'loss_weight: {d["forget_weight"]}}}{d["forget_comment"]}',
                  f'  adversarial_opt: {d["adversarial"]}']
        if d['distill']:
            losses.append('  distill_opt: {type: CharbonnierLoss, loss_weight: 1.0, eps: 1e-4}  # stay close to the '
                          'original network on retain inputs; smooth at 0 (docs/Reliability.md)')
        retain = [t for t in without(group)]
        text = template('unlearn').substitute(
            header=header, name=f'unlearn_{group}_promptir_tiny', num_gpu='0  # CPU; `auto` uses the GPUs (NCCL under '
            'torchrun)', task=group,
            forget_comment='  # the three noise levels' if len(TASK_GROUPS[group]) > 1 else '',
            forget='\n'.join(source_line('mini', t, 'train') for t in TASK_GROUPS[group]),
            retain_comment=d['retain_comment'],
            retain='\n'.join(source_line('mini', t, 'train', f', weight: {d["retain_weights"][t]}'
                                         if t in d['retain_weights'] else '') for t in retain),
            forget_mix=d['forget_mix'], gt_size=48, workers=0,
            batch=f'8  # 8 forget + 8 retain pairs a step ({DEFAULTS_DOC}, rounds 5 and 6)',
            val_blocks=unlearn_val_blocks('mini', group),
            network='  # the shipped tiny PromptIR (options/train/promptir_tiny_allinone.yml)' + TINY_NETWORK,
            original=f'{ZOO}/promptir_tiny_allinone.pth  # the original model',
            lr=d['lr'], lr_comment=d['lr_comment'],
            total_iter="40  # 3 to 5 % of retraining's wall time on 2 CPU cores (docs/Benchmark.md)",
            losses='\n'.join(losses), val_freq=40,
            logger_block='  print_freq: 10\n  save_checkpoint_freq: 40\n  use_tb_logger: false')
        yield f'unlearn_{group}.yml', text


def published_unlearn_files():
    for prefix in ('promptir', 'adair'):
        arch = ARCHS[prefix][0]
        for group in TASK_GROUPS:
            name = f'unlearn_{group}_{prefix}'
            header = (f'# Unlearn {group} from the published {arch} on the real data (datasets.md): the full-size\n'
                      f'# counterpart of options/unlearn_{group}.yml. The original weights: the authors\' release '
                      'converted with\n'
                      '#   basicsr-unlearn convert-checkpoint <their>.ckpt '
                      f'experiments/pretrained/{prefix}_allinone.pth '
                      f'--arch {arch}\n'
                      f'# Launch: torchrun --nproc_per_node=4 -m basicsr_unlearn.train -opt options/unlearn/{name}.yml '
                      '--launcher pytorch\n'
                      f'# The reference for judging it: options/train/{prefix}_no_{group}.yml.')
            text = template('unlearn').substitute(
                header=header, name=name, num_gpu='auto', task=group, forget_comment='',
                forget='\n'.join(source_line('real', t, 'train') for t in TASK_GROUPS[group]),
                retain_comment='', retain='\n'.join(source_line('real', t, 'train', ', weight: 1')
                                                    for t in without(group)),
                forget_mix='', gt_size=128, workers=8, batch=4, val_blocks=unlearn_val_blocks('real', group),
                network=f'\n  type: {arch}', original=f'experiments/pretrained/{prefix}_allinone.pth',
                lr='2e-5', lr_comment='  # the tiny default scaled to the published lr 2e-4',
                total_iter='2000  # a few % of the ~530k iterations of retraining',
                losses='\n'.join([
                    '  pixel_opt: {type: L1Loss, loss_weight: 1.0}',
                    '  forget_opt: {type: AscentLoss, criterion: l1, bound: input, bound_scale: 1.0, loss_weight: 1.0}',
                    '  adversarial_opt: {loss_weight: 1.0, norm: linf, eps: 0.0157, steps: 1}']),
                val_freq=500, logger_block=('  print_freq: 50\n  save_checkpoint_freq: 500\n  use_tb_logger: true\n\n'
                                            'dist_params: {backend: nccl, port: 29500}'))
            yield f'unlearn/{name}.yml', text


def deletion_files():
    """Per deletion request of the mini benchmark: the retrained reference's recipe (all tasks,
    the deleted images left out) and the unlearning file that deletes them, the task kept."""
    for deletion, (task, names) in DELETIONS.items():
        recipe = f'promptir_tiny_no_{deletion}'
        excluded = f', exclude: {flow_list(names)}'
        header = (f'# Tiny PromptIR on the mini all-in-one benchmark: all tasks, without the {len(names)} {task} '
                  f'training images\n# of the deletion request {deletion} (basicsr_unlearn/tasks.py): the retrained '
                  f'reference for options/delete_{deletion}.yml.\n'
                  f'# Reproduce: basicsr-unlearn prepare-data && python -m basicsr_unlearn.train -opt '
                  f'options/train/{recipe}.yml\n# (or `basicsr-unlearn zoo-train --models no_{deletion}`). Runs on 2 '
                  'CPU cores.')
        repeats = DATA['mini']['repeats']
        sources = [source_line('mini', t, 'train', (excluded if t == task else '') + f', repeat: {repeats[t]}')
                   for t in TASKS]
        yield f'train/{recipe}.yml', train_recipe(recipe, header, 'mini', TINY_NETWORK, sources)

        header = (f'# Delete {len(names)} {task} training images (the request {deletion}, basicsr_unlearn/tasks.py) '
                  f'from the shipped\n# tiny all-in-one PromptIR and keep every task, {task} included: the forget '
                  f'side lists the images\n# (`names`), the retain side holds the rest of {task} (`exclude`) and the '
                  f'other tasks. The ascent\n# stops once a deleted image is restored like the original model '
                  f'restores unseen {task} images\n# (bound: reference, measured each step on the val split), not '
                  'like its degraded input.\n'
                  '#   basicsr-unlearn prepare-data\n'
                  f'#   python -m basicsr_unlearn.train -opt options/delete_{deletion}.yml\n'
                  f'# `basicsr-unlearn demo --delete {deletion}` runs it and judges it against the model of\n'
                  f'# options/train/{recipe}.yml.')
        weights = dict(TINY_UNLEARN[task]['retain_weights'], **{task: 3})
        retain = [source_line('mini', t, 'train', (excluded if t == task else '')
                              + (f', weight: {weights[t]}' if t in weights else '')) for t in TASKS]
        text = template('unlearn').substitute(
            header=header, name=f'delete_{deletion}_promptir_tiny',
            num_gpu='0  # CPU; `auto` uses the GPUs (NCCL under torchrun)', task=deletion,
            forget_comment='  # the deleted images',
            forget=source_line('mini', task, 'train', f', names: {flow_list(names)}'),
            retain_comment=f'  # the rest of {task} and the other tasks, each degradation alike',
            retain='\n'.join(retain),
            forget_mix=(f'    reference:  # unseen {task} images: how well the network restores what it never '
                        f'trained on\n{source_line("mini", task, "val")}\n'
                        '    # forget_mix stays 0: moved degradations would forget the task, not the images\n'),
            gt_size=48, workers=0, batch='8',
            val_blocks=''.join(paired_block(f'val_{t}', f'val_{t}', 'mini', t, 'val') for t in TASKS),
            network='  # the shipped tiny PromptIR (options/train/promptir_tiny_allinone.yml)' + TINY_NETWORK,
            original=f'{ZOO}/promptir_tiny_allinone.pth  # the original model',
            lr='2.5e-4', lr_comment='  # lowest mean val Avg. Gap of deletion over 3 seeds (docs/Deletion.md)',
            total_iter='40  # the budget of forgetting a task',
            losses='\n'.join([
                '  pixel_opt: {type: L1Loss, loss_weight: 1.0}  # w_r: descent on the retain pairs',
                '  forget_opt: {type: AscentLoss, criterion: l1, bound: reference, reference_network: original, '
                'bound_scale: 1.0, loss_weight: 1.0}  # w_f',
                '  adversarial_opt: {loss_weight: 0, norm: linf, eps: 0.0039, steps: 1}  # w_adv: off',
                '  distill_opt: {type: CharbonnierLoss, loss_weight: 1.0, eps: 1e-4}  # stay close to the original '
                'network on retain inputs']),
            val_freq=40, logger_block='  print_freq: 10\n  save_checkpoint_freq: 40\n  use_tb_logger: false')
        yield f'delete_{deletion}.yml', text


def zoo_test_files():
    for group in [None] + list(TASK_GROUPS):
        name = f'promptir_tiny_{"allinone" if group is None else "no_" + group}'
        header = (f'# The shipped tiny model {name} ({ZOO}/{name}.pth) on the mini benchmark\'s test split,\n'
                  '# with BasicSR\'s test pipeline; it logs the PSNR/SSIM recorded in '
                  'basicsr_unlearn/zoo/manifest.json:\n'
                  '#   basicsr-unlearn prepare-data\n'
                  f'#   python -m basicsr_unlearn.test -opt options/test/test_{name}.yml')
        blocks = ''.join(paired_block(f'test_{i + 1}', t, 'mini', t, 'test') for i, t in enumerate(TASKS))
        text = template('test').substitute(header=header, name=f'test_{name}', test_blocks=blocks,
                                           network=TINY_NETWORK, weights=f'{ZOO}/{name}.pth')
        yield f'test/test_{name}.yml', text


def generate():
    """{path: file text} of every generated option file."""
    files = {}
    for family in (train_recipes, tiny_unlearn_files, deletion_files, published_unlearn_files, zoo_test_files):
        files.update((osp.join(REPO, 'options', relative), text) for relative, text in family())
    return files


if __name__ == '__main__':
    sys.exit(generated_files.main(__doc__.split('\n')[0], generate))
