from .checkpoint import load_weights, read_state_dict, safe_load
from .errors import OptionError
from .module_scan import import_modules_with_suffix

__all__ = ['OptionError', 'import_modules_with_suffix', 'load_weights', 'read_state_dict', 'safe_load']
