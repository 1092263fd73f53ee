"""Customer Spend Monitor: revenue pace per customer, what drives it, and a morning digest."""

from .app.answers import DigestRun
from .app.services import Services
from .config import Config, load_config
from .domain.models import Digest, Pace, WatchItem
from .errors import ConfigError, SourceError, SpendMonitorError
from .settings import Environment, Settings

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Digest",
    "DigestRun",
    "Environment",
    "Pace",
    "Services",
    "Settings",
    "SourceError",
    "SpendMonitorError",
    "WatchItem",
    "__version__",
    "load_config",
]
