"""Registers every ``*_loss.py`` module of this folder (BasicSR style)."""
from basicsr_unlearn.utils import import_modules_with_suffix

_loss_modules = import_modules_with_suffix(__name__, __file__, '_loss.py')
