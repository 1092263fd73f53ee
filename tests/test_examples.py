from pathlib import Path

from spend_monitor.config import load_config, unknown_keys

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_loads_without_warnings():
    config = load_config(ROOT / "config" / "example-config.json")
    assert unknown_keys(config) == []
    assert (config.source_chain.primary, config.source_chain.fallback) == ("tableau", "a2a")


def test_the_local_example_config_loads_without_warnings():
    config = load_config(ROOT / "examples" / "local" / "config.json")
    assert unknown_keys(config) == []
    assert config.local is not None
    assert config.local.path == ROOT / "examples" / "local" / "revenue.csv"
