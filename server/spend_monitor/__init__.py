"""Customer Spend Monitor: revenue pace per customer, what drives it, and a morning digest."""

from .config import Config, Environment, load_config
from .domain.models import Digest, Pace, WatchItem
from .errors import ConfigError, SourceError, SpendMonitorError
from .monitor import SpendMonitor
from .views import DigestRun

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Digest",
    "DigestRun",
    "Environment",
    "Pace",
    "SourceError",
    "SpendMonitor",
    "SpendMonitorError",
    "WatchItem",
    "__version__",
    "load_config",
]
