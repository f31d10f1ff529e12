"""``basicsr-unlearn``: the commands around BasicSR's train loop (demo, evaluation, zoo, data).

Training and unlearning themselves run through BasicSR: ``python -m basicsr_unlearn.train
-opt X.yml`` or BasicSR's own ``basicsr/train.py`` (the plugin registers itself).
Commands marked [maintainer] reproduce the project's own defaults and shipped models.
"""
import argparse
import re
import sys

from .tasks import DELETIONS, FORGETTABLE, JOINT_REQUESTS, MINI_ROOT, REAL_MINI_ROOT, TASK_GROUPS, TASKS
from .evaluation.networks import ZOO_PREFIX
from .utils.errors import UserError
from .zoo import DELETION_MODELS, JOINT_MODELS, MODELS, ORIGINAL, ZOOS

MAINTAINER = '[maintainer] '


def positive(kind):
    """An argparse type: a finite ``kind`` (int or float) > 0; anything else is refused naming the value."""
    def parse(text):
        from .utils.numbers import is_finite_number
        try:
            value = kind(text)
        except ValueError:
            value = None
        if not is_finite_number(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a finite number'} > 0, "
                                             f'got {text!r}')
        return value
    return parse


def cmd_prepare_data(args):
    from .prepare.mini_benchmark import build_mini_benchmark
    build_mini_benchmark(args.root, seed=args.seed)


def cmd_prepare_real(args):
    if args.preset:
        if args.train or args.test or not args.src:
            raise UserError('prepare-real --preset takes --src (the folder holding BSDS500/, Rain100L/, Sun_Hays80/ '
                            'and SOTS/), not --train/--test.')
        from .prepare.real_mini import build_real_mini
        build_real_mini(args.src, args.out or REAL_MINI_ROOT, seed=args.seed)
        return
    if not (args.train and args.test) or args.src:
        raise UserError("prepare-real: give --preset allinone-mini --src DIR, or the authors' --train and --test "
                        'folders.')
    from .prepare.real_datasets import prepare_real
    out = args.out or 'datasets/allinone'
    prepare_real(args.train, args.test, out, args.denoise_list, args.hazy_list, args.lmdb)
    print(f'{out}: ready (see datasets.md for the option files that read it).')


def cmd_convert_checkpoint(args):
    import basicsr_unlearn  # noqa: F401
    from .evaluation.networks import convert_to_params
    print(convert_to_params(args.src, args.dst, args.opt, args.arch))


def cmd_zoo_train(args):
    from .runs.zoo_training import train_zoo
    train_zoo(args.out, args.data, args.models, args.chunk, args.max_chunks, args.zoo)


def cmd_zoo_check(args):
    from .runs.zoo_training import check_zoo
    ok, text = check_zoo(args.data, args.tolerance, args.zoo)
    print(text)
    return 0 if ok else 1


def cmd_demo(args):
    if args.delete:
        from .runs.deletion import run_deletion
        run_deletion(args.delete, args.method, args.data, args.out, args.lr, args.steps)
        return
    from .runs.demo import run_demo
    run_demo(args.task, args.method, args.data, args.out, args.lr, args.steps)


def parse_model_args(values):
    """['label=path', 'path'] -> {label: path}."""
    models = {}
    for value in values or []:
        label, _, path = value.rpartition('=')
        models[label or value] = path
    return models


def cmd_evaluate(args):
    from .runs.evaluate import run_evaluate
    path = run_evaluate(args.forget, args.original, parse_model_args(args.unlearned), args.retrained, args.opt,
                        args.data, args.tasks, args.split, args.out, args.audit, args.device)
    print(f'\nReport: {path} (+ report.json, report.png' + (', relearn.png)' if 'relearn' in args.audit else ')'))


def cmd_benchmark(args):
    from .runs.benchmark import run_benchmark
    for task in args.task:
        results = args.update_results.replace('<task>', task) if args.update_results else None
        run_benchmark(task, args.data, args.out, args.methods, args.lrs, args.steps, results, args.seeds, args.zoo)


def option_value(text, argument='the value'):
    """A command-line option value read the way option files are (safe YAML, '1e-3' a number)."""
    import yaml
    from .utils.options import OptionLoader
    try:
        return yaml.load(text, Loader=OptionLoader)
    except yaml.YAMLError as error:
        raise UserError(f'{argument}: the value {text!r} is not valid YAML ({error}).') from error


def sweep_variants(set_items, vary_items):
    """``--set``/``--vary`` items -> (base overrides, {label: overrides}) with 'base' first."""
    base = {}
    for item in set_items:
        key, _, value = item.partition('=')
        base[key] = option_value(value, f'--set {item}')
    variants = {'base': {}}
    for item in vary_items:
        key, _, values = item.partition('=')
        for value in re.split(r',(?![^{\[]*[}\]])', values):  # commas inside {...} or [...] belong to a value
            label = f'{key.split(":")[-1]}={value}'
            if label in variants:  # two keys ending alike (pixel_opt:loss_weight, distill_opt:loss_weight)
                label = f'{key}={value}'
            variants[label] = {key: option_value(value, f'--vary {item}')}
    return base, variants


def cmd_sweep(args):
    from .runs.sweep import format_sweeps, run_round, run_sweep
    if args.round:
        summary, path = run_round(args.round, args.data, args.out, args.summary)
        sweeps = summary['sweeps']
        print(f'\nSummary: {path}')
    else:
        if not args.task:
            raise UserError('sweep: give --round SPEC, or --task with --set/--vary.')
        base, variants = sweep_variants(args.set, args.vary)
        sweeps = [run_sweep(args.task, variants, args.data, args.out, args.seeds, args.method, base)]
    print(format_sweeps(sweeps))


def cmd_forget(args):
    import basicsr_unlearn  # noqa: F401
    from .evaluation.networks import chosen_architecture
    from .runs.forget import forget_dataset
    network_opt, source = chosen_architecture(args.opt, args.arch)
    result = forget_dataset(args.weights, args.task, args.data, args.out, network_opt, args.method, args.lr,
                            args.steps, args.nproc, args.retrained, args.work, args.force, args.recipe,
                            source=source, dry_run=args.dry_run, sign_key=args.sign_key, public_key=args.public_key)
    if args.dry_run:
        print(result + '\n\nDry run: nothing was trained or written.')
        return
    card, _ = result
    state = 'FORCED export' if card['export']['forced'] else 'exported'
    print(f"\n{state} ({card['export']['verdict']} verdict): {args.out} ({card['weights']['file']}, model_card.md, "
          f"model_card.yml, test_options.yml); check it with: basicsr-unlearn verify {args.out}")


def cmd_export(args):
    from .export.export_entry import export_entry
    card = export_entry(args.opt, args.report, args.out, args.checkpoint, args.label, args.force, name=args.name,
                        sign_key=args.sign_key)
    state = 'FORCED export' if card['export']['forced'] else 'exported'
    print(f"{state}: {args.out} ({card['weights']['file']}, model_card.md, model_card.yml, test_options.yml)")


def cmd_verify(args):
    from .export.verify_entry import verify_entry
    ok, lines = verify_entry(args.entry, args.data, args.tolerance, public_key=args.public_key,
                             original=args.original, retrained=args.retrained)
    print('\n'.join(lines))
    print(f"verify {args.entry}: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


def add_demo_command(sub):
    p = sub.add_parser('demo', help='unlearn rain from the shipped tiny model and prove it (~2 min on 2 cores)')
    p.add_argument('--task', default='rain', choices=FORGETTABLE, help='degradation to forget')
    p.add_argument('--delete', choices=list(DELETIONS), help='instead of a whole task, delete the training images of '
                   'this request (options/unlearn/PromptIR/delete_<request>_promptir_tiny.yml) and keep the task: '
                   'docs/Deletion.md')
    p.add_argument('--method', default='ours', help='ours, paper, neggrad, neggrad_plus, finetune, scrub or salun')
    p.add_argument('--lr', type=positive(float), help="learning rate (default: the option file's)")
    p.add_argument('--steps', type=positive(int), help="unlearning iterations (default: the option file's)")
    p.add_argument('--data', default=MINI_ROOT, help=f'mini benchmark (built if missing), or the real mini protocol '
                   f'({REAL_MINI_ROOT}, from prepare-real --preset allinone-mini): its own shipped zoo is used')
    p.add_argument('--out', default='demo_runs', help='where runs and reports go (default: %(default)s)')
    p.set_defaults(func=cmd_demo)


def add_evaluate_command(sub):
    p = sub.add_parser('evaluate', help='original vs unlearned (vs retrained, if you have one): PSNR/SSIM, '
                       'membership AUC, the reference-free verdict (and the gold-standard one), report')
    p.add_argument('--forget', required=True, help='forgotten task or group: rain, haze, noise, noise25, ...')
    p.add_argument('--original', default=f'{ZOO_PREFIX}{ORIGINAL}',
                   help='weights before unlearning (default: %(default)s)')
    p.add_argument('--retrained', help='weights retrained without the forget set, e.g. zoo:no_rain; adds the '
                   'gold-standard verdict (without it: the reference-free verdict alone)')
    p.add_argument('--unlearned', nargs='+', default=[], help='LABEL=weights of unlearned models')
    p.add_argument('--opt', help='take network_g from this option file (default: the experiment\'s, else the zoo\'s)')
    p.add_argument('--data', default=MINI_ROOT, help='root of <task>/<split>/{gt,lq}')
    p.add_argument('--tasks', nargs='+', help=f'tasks under --data (default: {" ".join(TASKS)})')
    p.add_argument('--split', default='test', help='split to evaluate (default: %(default)s)')
    p.add_argument('--out', default='reports/evaluate', help='report folder (default: %(default)s)')
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'], help='where the models run (default: '
                   '%(default)s; the numbers agree to float rounding)')
    p.add_argument('--audit', nargs='+', default=[], choices=['relearn'],
                   help='relearn: fine-tune every model on a few forget pairs with one fixed budget and count the '
                   'steps until the forgotten task comes back (docs/Evaluation.md)')
    p.set_defaults(func=cmd_evaluate)


def add_forget_command(sub):
    p = sub.add_parser('forget', help='your checkpoint and data -> unlearned, evaluated (no retrained model needed) '
                       'and exported as a zoo entry, in one command')
    p.add_argument('--weights', required=True, help='the trained model: BasicSR .pth, Lightning .ckpt, a plain state '
                   'dict, or a zoo entry folder written by forget or export (a second request starts from the first)')
    p.add_argument('--opt', help='its architecture: network_g of this option file')
    p.add_argument('--arch', help='its architecture: a registered arch with its published defaults, e.g. PromptIR '
                   '(default: the shipped tiny PromptIR)')
    p.add_argument('--task', required=True, choices=list(TASK_GROUPS), help='the degradation whose training set goes '
                   f'(or a joint request: {", ".join(JOINT_REQUESTS)} forgets those degradations at once)')
    p.add_argument('--data', required=True, help='root of <task>/{train,val,test}/{gt,lq} for the five tasks '
                   '(prepare-data, prepare-real): forget = <task>/train, retain = the others\' train')
    p.add_argument('--method', default='ours', help='a method of the catalogue basicsr_unlearn/runs/methods.yml: ours '
                   '(the shipped defaults for --task), paper, or a peer')
    p.add_argument('--recipe', help='instead of --method: your unlearning option file, whose model_type, train block '
                   '(losses, optimizer, budget) and, if present, datasets.train (your forget/retain sources) are used')
    p.add_argument('--lr', type=positive(float), help="learning rate (default: the recipe's)")
    p.add_argument('--steps', type=positive(int), help='a fixed number of unlearning iterations (default: stop when '
                   'the val split says the task is forgotten and the others kept, with a cap: docs/Forget.md)')
    p.add_argument('--nproc', type=positive(int), default=1, help='processes (torchrun; default: %(default)s)')
    p.add_argument('--retrained', help='a model retrained without the forget set, if you have one: adds the '
                   'gold-standard verdict')
    p.add_argument('--out', required=True, help='the new zoo entry folder (never overwritten)')
    p.add_argument('--work', help='run, option file and report (default: forget_runs/<entry>-<run id>); the same '
                   'command run again continues there, another command is refused')
    p.add_argument('--dry-run', action='store_true', help='check the weights, every source and the split, time one '
                   'step on the device the run would use, print the option file, and stop before training')
    p.add_argument('--force', action='store_true', help='export although the verdict misses the thresholds (the card '
                   'says so)')
    add_signing_arguments(p, starting_entry=True)
    p.set_defaults(func=cmd_forget)


def add_signing_arguments(p, starting_entry=False):
    """The publisher-signature options (model-signing, the [sign] extra: docs/ModelZoo.md)."""
    p.add_argument('--sign-key', help='sign the new entry with this EC private key (PEM), so that verify '
                   '--public-key can tell it is yours (docs/ModelZoo.md)')
    if starting_entry:
        p.add_argument('--public-key', help='with --weights <entry>: its publisher\'s public key (PEM); the entry '
                       'must carry their signature')


def add_export_command(sub):
    p = sub.add_parser('export', help='write a zoo entry (weights, model card, BasicSR test options) with its evidence')
    p.add_argument('--opt', required=True, help="the unlearning experiment's option file")
    p.add_argument('--report', required=True, help='report.json of its evaluation (demo / evaluate)')
    p.add_argument('--out', required=True, help='new entry folder (never overwritten)')
    p.add_argument('--checkpoint', help="weights to export (default: the report's for --label)")
    p.add_argument('--label', help='which unlearned model of the report (default: the only one)')
    p.add_argument('--name', help='entry name (default: the folder name)')
    p.add_argument('--force', action='store_true', help='export although the thresholds are missed (the card says so)')
    add_signing_arguments(p)
    p.set_defaults(func=cmd_export)


def add_verify_command(sub):
    p = sub.add_parser('verify', help="re-run a zoo entry's evaluation; non-zero exit when a number or hash differs")
    p.add_argument('entry', help='entry folder (with model_card.yml)')
    p.add_argument('--data', help="test data root (default: the card's)")
    p.add_argument('--tolerance', type=positive(float), help="allowed PSNR difference in dB (default: verify's, "
                   'which allows for float rounding on another machine)')
    p.add_argument('--public-key', help="the publisher's public key (PEM): the entry must carry their signature over "
                   'every file (model-signing)')
    p.add_argument('--original', help='the weights the entry was unlearned from (the sha256 on its card): their '
                   'numbers are measured too (a shipped zoo model is found by itself)')
    p.add_argument('--retrained', help='the retrained model of a gold-standard card: its numbers are measured too')
    p.set_defaults(func=cmd_verify)


def add_benchmark_command(sub):
    p = sub.add_parser('benchmark', help='all methods, same budget, lr chosen on val; table + figure + json')
    p.add_argument('--task', nargs='+', default=list(FORGETTABLE), choices=FORGETTABLE)
    p.add_argument('--methods', nargs='+', help='subset of basicsr_unlearn/runs/methods.yml (default: all)')
    p.add_argument('--lrs', nargs='+', type=positive(float),
                   help="learning rates for every method instead of methods.yml's (where should a sweep sit?)")
    p.add_argument('--steps', type=positive(int),
                   help="unlearning iterations of every run (default: the option file's)")
    p.add_argument('--seeds', nargs='+', type=int, help='run every (method, lr) once per manual_seed, choose the lr by '
                   'the mean on val, report test means and spreads (default: the option file\'s seed only)')
    p.add_argument('--data', default=MINI_ROOT, help=f'mini benchmark (built if missing) or the real mini protocol '
                   f'({REAL_MINI_ROOT}, with its own shipped zoo)')
    add_zoo_argument(p)
    p.add_argument('--out', default='benchmark_runs', help='output folder; a call with the same folder keeps the '
                   'runs an interrupted one finished (default: %(default)s)')
    p.add_argument('--update-results', metavar='FILE', help='[maintainer] replace the rows of the methods run in this '
                   'kept results file, e.g. benchmarks/results/forget_<task>.json (<task> is filled in)')
    p.set_defaults(func=cmd_benchmark)


def add_prepare_data_command(sub):
    p = sub.add_parser('prepare-data', help='build the mini all-in-one benchmark (seconds, idempotent)')
    p.add_argument('--root', default=MINI_ROOT, help='output folder (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0, help='degradation seed (default: %(default)s)')
    p.set_defaults(func=cmd_prepare_data)


def add_prepare_real_command(sub):
    p = sub.add_parser('prepare-real', help='build the real mini protocol from the public releases (--preset), or '
                       "convert the authors' BSD400/WED/Rain100L/RESIDE folders")
    p.add_argument('--preset', choices=['allinone-mini'], help='the real mini protocol (datasets.md)')
    p.add_argument('--src', help='with --preset: the folder holding BSDS500/, Rain100L/, Sun_Hays80/ and SOTS/ as '
                   'released')
    p.add_argument('--seed', type=int, default=0, help='with --preset: noise, haze and val-split seed '
                   '(default: %(default)s)')
    p.add_argument('--train', help='the authors\' data/Train folder (Denoise, Derain, Dehaze)')
    p.add_argument('--test', help='the authors\' test folder (denoise/bsd68, derain/Rain100L, dehaze)')
    p.add_argument('--out', help=f'output folder (default: {REAL_MINI_ROOT} with --preset, else datasets/allinone)')
    p.add_argument('--denoise-list', help="the authors' data_dir/noisy/denoise.txt (which clean images to use)")
    p.add_argument('--hazy-list', help="the authors' data_dir/hazy/hazy_outside.txt (which OTS images to use)")
    p.add_argument('--lmdb', action='store_true', help='also write gt.lmdb/lq.lmdb per split (large sets)')
    p.set_defaults(func=cmd_prepare_real)


def add_convert_checkpoint_command(sub):
    p = sub.add_parser('convert-checkpoint', help="write an authors' (Lightning) checkpoint as a BasicSR params file")
    p.add_argument('src', help='Lightning .ckpt, BasicSR .pth or plain state dict')
    p.add_argument('dst', help='new BasicSR file (never overwritten)')
    p.add_argument('--arch', help='check the weights against this registered architecture with default arguments')
    p.add_argument('--opt', help='check against network_g of this option file instead')
    p.set_defaults(func=cmd_convert_checkpoint)


def add_sweep_command(sub):
    p = sub.add_parser('sweep', help=MAINTAINER + "score variants of a method's options on val, over seeds "
                       '(how the defaults were chosen; docs/Defaults.md)')
    p.add_argument('--round', help='a round spec (benchmarks/rounds/roundNN.yml): run all its sweeps, write its '
                   'summary')
    p.add_argument('--summary', help='where the round summary goes (default: <out>/<spec name>.json); an existing '
                   'summary of the same spec is replaced')
    p.add_argument('--task', choices=FORGETTABLE, help='without --round: the forgotten task')
    p.add_argument('--method', default='ours', help='without --round: the method of methods.yml (default: ours)')
    p.add_argument('--vary', nargs='+', default=[], help='option key (colon-separated) = comma-separated values, '
                   'e.g. train:forget_opt:bound_scale=0.8,1.2 or datasets:train:retain:3:weight=2 (list items by '
                   'index; each value changes the base alone)')
    p.add_argument('--set', nargs='+', default=[], help='option key = value applied to the base and every variant '
                   '(to sweep around a new centre)')
    p.add_argument('--seeds', nargs='+', type=int, help='run every variant once per manual_seed and rank by the mean '
                   '(default: the option file\'s seed only)')
    p.add_argument('--data', default=MINI_ROOT, help='mini benchmark (built if missing) or the real mini protocol '
                   '(datasets/real_mini, with its own shipped zoo)')
    p.add_argument('--out', default='sweep_runs', help='output folder (default: %(default)s)')
    p.set_defaults(func=cmd_sweep)


def add_zoo_train_command(sub):
    p = sub.add_parser('zoo-train', help=MAINTAINER + 'reproduce the shipped tiny models from options/train (~20 min '
                       'each on the mini benchmark, ~10 min each on the real mini protocol)')
    p.add_argument('--out', default='zoo_build', help='empty output folder, or one an interrupted zoo-train '
                   'left, to continue it (default: %(default)s)')
    p.add_argument('--data', default=MINI_ROOT, help=f'mini benchmark (built if missing) or real mini protocol '
                   f'({REAL_MINI_ROOT}): which zoo is trained follows its benchmark.json')
    add_zoo_argument(p)
    extra = [m for by_benchmark in (DELETION_MODELS, JOINT_MODELS) for models in by_benchmark.values() for m in models]
    p.add_argument('--models', nargs='+', choices=list(MODELS) + extra,
                   help="default: all of the benchmark's zoo")
    p.add_argument('--chunk', type=positive(int), help='iterations per BasicSR run (default: a whole model); a '
                   "multiple of the recipe's logger.save_checkpoint_freq")
    p.add_argument('--max-chunks', type=positive(int), help='stop after this many chunks; the same command continues '
                   '(finished models are kept, the one in training resumes from its last saved state)')
    p.set_defaults(func=cmd_zoo_train)


def add_zoo_argument(p):
    p.add_argument('--zoo', choices=list(ZOOS), help="another architecture's zoo of the same benchmark (default: the "
                   "benchmark's own, PromptIR)")


def add_zoo_check_command(sub):
    p = sub.add_parser('zoo-check', help=MAINTAINER + 're-evaluate the shipped tiny models against their manifest')
    p.add_argument('--data', default=MINI_ROOT, help='mini benchmark (built if missing) or real mini protocol')
    p.add_argument('--tolerance', type=positive(float), help="allowed PSNR difference in dB (default: zoo-check's)")
    add_zoo_argument(p)
    p.set_defaults(func=cmd_zoo_check)


def build_parser():
    parser = argparse.ArgumentParser(prog='basicsr-unlearn', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    add_demo_command(sub)
    add_evaluate_command(sub)
    add_forget_command(sub)
    add_export_command(sub)
    add_verify_command(sub)
    add_benchmark_command(sub)
    add_prepare_data_command(sub)
    add_prepare_real_command(sub)
    add_convert_checkpoint_command(sub)
    add_sweep_command(sub)
    add_zoo_train_command(sub)
    add_zoo_check_command(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except UserError as error:  # bad input: say what, no traceback; anything else is a bug and keeps its traceback
        print(f'basicsr-unlearn {args.command}: error: {error}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = ' (the same command continues from the last saved state)' if args.command == 'forget' else ''
        print(f'\nbasicsr-unlearn {args.command}: interrupted{resume}', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
