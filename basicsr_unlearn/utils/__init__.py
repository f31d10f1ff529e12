from .errors import OptionError
from .module_scan import import_modules_with_suffix

__all__ = ['OptionError', 'import_modules_with_suffix']
