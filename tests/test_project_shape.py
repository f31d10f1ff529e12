"""The project's shape: generated files up to date, one vocabulary, imports pointing one way,
the CLI's error handling, the README a portal."""
import ast
import os
import subprocess
import sys

import pytest

from basicsr_unlearn.cli import build_parser
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.utils import OptionError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(REPO, 'basicsr_unlearn')
sys.path.insert(0, os.path.join(REPO, 'tools'))


def test_generated_docs_tables_match_their_data():
    import generate_docs_tables
    from generated_files import stale
    assert stale(generate_docs_tables.documents()) == [], 'run python tools/generate_docs_tables.py'


def test_generated_table_markers_fill_from_data():
    import generate_docs_tables
    text = '<!-- table: round benchmarks/rounds/round08.json -->\nold\n<!-- /table -->\n'
    filled = generate_docs_tables.fill(text)
    assert 'old' not in filled and '**forget_opt.loss_weight 0.5** | **6.56**' in filled
    with pytest.raises(ValueError, match='unknown generated table kind'):
        generate_docs_tables.fill('<!-- table: nonsense x -->\n<!-- /table -->')


def test_readme_is_a_portal():
    readme = open(os.path.join(REPO, 'README.md'), encoding='utf-8').read()
    assert len(readme.encode()) <= 11_000  # a portal; details belong in docs/
    commands = [line for line in readme.splitlines() if line.startswith('python3 -m venv')]
    assert len(commands) == 2 and commands[1].endswith('python -m pytest -q')
    tests_command = commands[1].split('activate && ', 1)[1]  # .ci/run makes its own virtualenv
    assert tests_command in open(os.path.join(REPO, '.ci', 'run'), encoding='utf-8').read()
    pages = ('Unlearning', 'Evaluation', 'ModelZoo', 'Benchmark', 'Defaults', 'Compatibility', 'Forget', 'Deletion',
             'PublishedSize')
    for page in pages:
        assert f'docs/{page}.md' in readme and os.path.isfile(os.path.join(REPO, 'docs', f'{page}.md'))


def test_no_tracked_file_cites_a_file_users_do_not_have():
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, capture_output=True, text=True).stdout.split()
    if not files:
        pytest.skip('not a git checkout')  # an sdist: nothing to list
    for name in files:
        if name.endswith(('.py', '.md', '.yml', '.sh', '.cfg', '.toml', '.txt')):  # this file spells it apart
            text = open(os.path.join(REPO, name), encoding='utf-8').read()
            assert 'DESIGN' + '.md' not in text, name


def imported_modules(path, package):
    """Absolute names of the basicsr_unlearn modules a file of ``package`` imports; for ``from X import
    name`` both X and X.name (``from .. import runs`` imports the package runs)."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = package.split('.')[:len(package.split('.')) - node.level + 1] if node.level else []
            module = '.'.join(parts + ([node.module] if node.module else []))
            names += [module] + [f'{module}.{alias.name}' for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n.startswith('basicsr_unlearn')]


# package -> packages it must never import (the commands sit on top; low levels never import up)
FORBIDDEN = {
    'utils': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare', 'models', 'data', 'compat', 'tasks'),
    # the vocabulary: above utils (its errors), below everything else
    'tasks': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare', 'models', 'data', 'compat', 'archs',
              'losses'),
    'compat': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare'),
    'archs': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare'),
    'data': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare'),
    'losses': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare'),
    'models': ('runs', 'cli', 'evaluation', 'export', 'zoo', 'prepare'),
    'prepare': ('runs', 'cli', 'evaluation', 'export', 'zoo'),
    'zoo': ('runs', 'cli', 'evaluation', 'export', 'prepare'),
    'evaluation': ('runs', 'cli', 'export', 'prepare'),
    'export': ('runs', 'cli', 'prepare'),
    'runs': ('cli',),
}


def test_imports_point_from_commands_down_to_building_blocks():
    wrong = []
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            # a subpackage's files by its name; a module at the top (tasks.py) by its own
            sub = os.path.relpath(folder, PACKAGE).split(os.sep)[0] if folder != PACKAGE else name[:-3]
            if sub not in FORBIDDEN or not name.endswith('.py'):
                continue
            # a file's relative imports start from its folder's package, __init__.py's included
            inner = os.path.relpath(folder, PACKAGE)
            package = '.'.join(['basicsr_unlearn'] + ([] if inner == '.' else inner.split(os.sep)))
            for target in imported_modules(os.path.join(folder, name), package):
                parts = target.split('.')
                if len(parts) > 1 and parts[1] in FORBIDDEN[sub]:
                    wrong.append(f'{sub}/{name} imports {target}')
    assert wrong == []


def test_the_import_check_sees_every_form_of_import(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('from .. import runs\nfrom basicsr_unlearn import export\nfrom ..evaluation.networks import x\n'
                   'import basicsr_unlearn.cli\nfrom . import files\n')
    found = imported_modules(str(bad), 'basicsr_unlearn.utils')
    assert {'basicsr_unlearn.runs', 'basicsr_unlearn.export', 'basicsr_unlearn.evaluation.networks',
            'basicsr_unlearn.cli', 'basicsr_unlearn.utils.files'} <= set(found)


def test_the_task_names_live_in_one_place():
    spelt = []
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith('.py') and not path.endswith(os.path.join('basicsr_unlearn', 'tasks.py')):
                if "'noise15', 'noise25', 'noise50'" in open(path, encoding='utf-8').read():
                    spelt.append(os.path.relpath(path, REPO))
    assert spelt == []


def cli_with(command, func, monkeypatch):
    """The CLI whose ``command`` runs ``func``."""
    parser = build_parser()
    parser._subparsers._group_actions[0].choices[command].set_defaults(func=func)
    monkeypatch.setattr(sys.modules['basicsr_unlearn.cli'], 'build_parser', lambda: parser)


def test_cli_reports_user_errors_in_one_line(monkeypatch, capsys):
    def bad_option(args):
        raise OptionError('train.optim_g.lr', 'expected a number.')
    cli_with('verify', bad_option, monkeypatch)
    assert cli(['verify', 'x']) == 2
    assert capsys.readouterr().err == 'basicsr-unlearn verify: error: option `train.optim_g.lr`: expected a number.\n'


def test_cli_lets_a_bug_show_its_traceback(monkeypatch):
    def bug(args):
        return {}['gaps']
    cli_with('verify', bug, monkeypatch)
    with pytest.raises(KeyError, match='gaps'):  # not turned into "error: 'gaps'"
        cli(['verify', 'x'])


def test_help_lists_user_commands_first_and_marks_maintainer_ones():
    import re
    lines = build_parser().format_help().splitlines()
    order = [m.group(1) for m in map(re.compile(r'^    (\S+)').match, lines) if m]
    maintainer = [m.group(1) for m in map(re.compile(r'^    (\S+)\s+\[maintainer\]').match, lines) if m]
    assert maintainer == ['sweep', 'zoo-train', 'zoo-check']
    assert order[-3:] == maintainer and order[0] == 'demo'
