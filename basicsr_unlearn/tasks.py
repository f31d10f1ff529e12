"""The project's vocabulary: the benchmark tasks, the degradations one can forget, default paths.

Every other module imports these names instead of spelling them out.
"""
from collections import OrderedDict

from .utils.errors import UserError

#: the five tasks of the all-in-one protocol, in table order
TASKS = ('noise15', 'noise25', 'noise50', 'rain', 'haze')
#: forgettable degradation -> its tasks
DEGRADATIONS = OrderedDict([('rain', ('rain',)), ('haze', ('haze',)), ('noise', ('noise15', 'noise25', 'noise50'))])
FORGETTABLE = tuple(DEGRADATIONS)
#: requests that forget several degradations at once -> those degradations. Each has its own option file
#: (options/unlearn/PromptIR/unlearn_<name>_promptir_tiny.yml) and retrained reference (the mini zoo's
#: no_<name>), so that requests made one after another can be judged against forgetting them together.
JOINT_REQUESTS = OrderedDict([('rain_haze', ('rain', 'haze'))])
#: every forgettable group (a degradation or a joint request) -> its tasks
TASK_GROUPS = OrderedDict(list(DEGRADATIONS.items()) + [
    (name, tuple(t for d in groups for t in DEGRADATIONS[d])) for name, groups in JOINT_REQUESTS.items()])
#: where the embedded mini benchmark is built, relative to the working directory; the
#: shipped option files point there
MINI_ROOT = 'datasets/mini_allinone'
#: where ``prepare-real --preset allinone-mini`` builds the real mini protocol by default;
#: its recipes (options/train/PromptIR/promptir_tiny_real_*.yml) point there
REAL_MINI_ROOT = 'datasets/real_mini'
#: benchmark name (``benchmark.json``) -> the root the shipped option files point to
#: the benchmarks' names, as their ``benchmark.json`` stamps them
MINI_BENCHMARK, REAL_BENCHMARK = 'mini_allinone', 'real_mini'
BENCHMARK_ROOTS = OrderedDict([(MINI_BENCHMARK, MINI_ROOT), (REAL_BENCHMARK, REAL_MINI_ROOT)])
SPLITS = ('train', 'val', 'test')
#: the file that stamps a built benchmark folder (name, version, seed, counts, hashes)
BENCHMARK_STAMP = 'benchmark.json'
#: deletion requests of the mini benchmark: name -> (task, gt file names of the deleted training
#: pairs). rain20: 20 of rain's 140 pairs, ``sorted(numpy.random.default_rng(0).choice(140, 20,
#: replace=False))``. The task stays; only these images go (options/unlearn/PromptIR/delete_rain20_promptir_tiny.yml).
DELETIONS = OrderedDict([('rain20', ('rain', (
    '0002.png', '0005.png', '0009.png', '0022.png', '0033.png', '0038.png', '0062.png', '0066.png', '0075.png',
    '0077.png', '0081.png', '0085.png', '0086.png', '0099.png', '0102.png', '0105.png', '0120.png', '0130.png',
    '0131.png', '0138.png')))])


def task_split(tasks, forget):
    """(forgotten tasks, retained tasks) among ``tasks`` when ``forget`` (a group or a task) is forgotten."""
    forget_tasks = list(TASK_GROUPS.get(forget, [forget]))
    missing = [t for t in forget_tasks if t not in tasks]
    if missing:
        raise UserError(f'forgotten task(s) {missing} are not among the test sets {list(tasks)}.')
    return forget_tasks, [t for t in tasks if t not in forget_tasks]
