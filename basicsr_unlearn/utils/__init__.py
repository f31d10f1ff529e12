from .checkpoint import load_weights, read_state_dict, safe_load
from .errors import ExistingFileError, MissingFileError, OptionError, UserError
from .module_scan import import_modules_with_suffix

__all__ = ['ExistingFileError', 'MissingFileError', 'OptionError', 'UserError', 'import_modules_with_suffix',
           'load_weights', 'read_state_dict', 'safe_load']
