"""Interpreter start-up hook of basicsr_unlearn (run by ``basicsr_unlearn.pth``).

BasicSR never imports third-party plugins, so BasicSR's own ``train.py``/``test.py``
would not see our registered classes. This module watches the import system and
imports ``basicsr_unlearn`` right after ``basicsr`` itself finished importing.

It must stay cheap: it runs in every Python process of the environment, so it
imports nothing beyond ``sys``/``os`` until ``basicsr`` is actually imported.
It also aliases ``torchvision.transforms.functional_tensor`` (removed in
torchvision 0.17, still imported by basicsr 1.4.2) to its private successor, and,
on Pythons without ``distutils`` (3.12+ without setuptools), provides the
``distutils.version.LooseVersion`` that basicsr 1.4.2 imports.

Set ``BASICSR_UNLEARN_NO_HOOK=1`` to stop the automatic plugin import (the
torchvision alias stays, so basicsr still imports).
"""
import os
import sys

_PLUGIN = 'basicsr_unlearn'
_REMOVED_TV_MODULE = 'torchvision.transforms.functional_tensor'
_TV_SUCCESSOR = 'torchvision.transforms._functional_tensor'


def _find_spec_elsewhere(finder, fullname, path, target):
    """Ask every other finder on sys.meta_path for ``fullname``."""
    for other in sys.meta_path:
        if other is finder or not hasattr(other, 'find_spec'):
            continue
        spec = other.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _TorchvisionAliasLoader:
    """Builds the removed torchvision module from its private successor."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        import importlib
        successor = importlib.import_module(_TV_SUCCESSOR)
        module.__dict__.update({k: v for k, v in vars(successor).items() if not k.startswith('__')})


class LooseVersion:
    """What basicsr needs of ``distutils.version.LooseVersion``: compare version strings by their
    number and letter runs ('0.10.0' > '0.9.1')."""

    def __init__(self, vstring):
        import re
        self.vstring = str(vstring)
        self.version = [int(p) if p.isdigit() else p for p in re.findall(r'\d+|[a-z]+', self.vstring.lower())]

    def _cmp(self, other):
        other = other if isinstance(other, LooseVersion) else LooseVersion(other)
        a, b = self.version, other.version
        for x, y in zip(a, b):
            if x != y:
                if isinstance(x, int) != isinstance(y, int):  # numbers sort after letters, as in distutils
                    return 1 if isinstance(x, int) else -1
                return -1 if x < y else 1
        return (len(a) > len(b)) - (len(a) < len(b))

    def __eq__(self, other):
        return self._cmp(other) == 0

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __le__(self, other):
        return self._cmp(other) <= 0

    def __gt__(self, other):
        return self._cmp(other) > 0

    def __ge__(self, other):
        return self._cmp(other) >= 0

    def __repr__(self):
        return f'LooseVersion({self.vstring!r})'


class _DistutilsShimLoader:
    """``distutils`` (an empty package) and ``distutils.version`` (LooseVersion only)."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        if module.__name__ == 'distutils':
            module.__path__ = []
        else:
            module.LooseVersion = LooseVersion


def _import_plugin():
    # already importing means basicsr was imported by the plugin itself
    if os.environ.get('BASICSR_UNLEARN_NO_HOOK') or _PLUGIN in sys.modules:
        return
    try:
        __import__(_PLUGIN)
    except Exception as error:  # a plugin must never break its host's import
        import warnings
        warnings.warn(f'basicsr_unlearn could not be imported after basicsr ({error!r}); '
                      'its classes are not registered. Set BASICSR_UNLEARN_NO_HOOK=1 to silence.', RuntimeWarning)


class BasicsrImportWatcher:
    """A meta path finder that only reacts to ``basicsr`` and the removed torchvision module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'basicsr':
            spec = _find_spec_elsewhere(self, fullname, path, target)
            if spec is None or spec.loader is None or not hasattr(spec.loader, 'exec_module'):
                return spec
            exec_basicsr = spec.loader.exec_module

            def exec_module(module):
                exec_basicsr(module)
                _import_plugin()

            spec.loader.exec_module = exec_module
            return spec
        if fullname == _REMOVED_TV_MODULE:
            spec = _find_spec_elsewhere(self, fullname, path, target)
            if spec is not None:  # an old torchvision still has it
                return spec
            from importlib.machinery import ModuleSpec
            return ModuleSpec(fullname, _TorchvisionAliasLoader())
        if fullname in ('distutils', 'distutils.version'):
            spec = _find_spec_elsewhere(self, fullname, path, target)
            if spec is not None:
                return spec
            from importlib.machinery import ModuleSpec
            return ModuleSpec(fullname, _DistutilsShimLoader(), is_package=fullname == 'distutils')
        return None


def install():
    """Put the watcher first on ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(finder, BasicsrImportWatcher) for finder in sys.meta_path):
        sys.meta_path.insert(0, BasicsrImportWatcher())
