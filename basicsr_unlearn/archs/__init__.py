"""Registers every ``*_arch.py`` module of this folder (BasicSR style)."""
from basicsr_unlearn.utils import import_modules_with_suffix

_arch_modules = import_modules_with_suffix(__name__, __file__, '_arch.py')
