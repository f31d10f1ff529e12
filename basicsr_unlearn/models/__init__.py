"""Registers every ``*_model.py`` module of this folder (BasicSR style)."""
from basicsr_unlearn.utils import import_modules_with_suffix

_model_modules = import_modules_with_suffix(__name__, __file__, '_model.py')
