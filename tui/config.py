"""The app's own settings: key bindings (read) and the chosen theme (remembered).

Keys are read from ``$XDG_CONFIG_HOME/rafix/config.toml`` (default ``~/.config``), a file the
user edits and rafix never writes::

    [tui]
    theme = "nord"              # optional: always start with this theme

    [tui.keys]                  # binding id = key(s), comma-separated (see `?` in the app)
    filter = "slash,f"
    quit = "q,ctrl+q"

The theme last chosen in the app is remembered in ``$XDG_STATE_HOME/rafix/tui.json`` (default
``~/.local/state``), so the user's config file is never rewritten.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_THEME = "textual-dark"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rafix" / "config.toml"


def state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "rafix" / "tui.json"


@dataclass(slots=True)
class TuiConfig:
    keys: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    #: Problems found in the file, shown once as a notification (never fatal).
    problems: list[str] = field(default_factory=list)


def load_config(path: Path | None = None) -> TuiConfig:
    """The ``[tui]`` table of the config file; a missing file is an empty config."""
    path = path or config_path()
    config = TuiConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        config.problems.append(f"{path}: ignored ({exc})")
        return config
    table = data.get("tui", {})
    if not isinstance(table, dict):
        config.problems.append(f"{path}: [tui] must be a table")
        return config
    theme = table.get("theme")
    if isinstance(theme, str):
        config.theme = theme
    elif theme is not None:
        config.problems.append(f"{path}: tui.theme must be a string")
    keys = table.get("keys", {})
    if not isinstance(keys, dict):
        config.problems.append(f"{path}: [tui.keys] must be a table")
        return config
    for binding_id, key in keys.items():
        if isinstance(key, str) and key.strip():
            config.keys[str(binding_id)] = key.replace(" ", "")
        else:
            config.problems.append(f"{path}: tui.keys.{binding_id} must be a key name")
    return config


def load_saved_theme(path: Path | None = None) -> str | None:
    try:
        data = json.loads((path or state_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def save_theme(theme: str, path: Path | None = None) -> None:
    """Remember the theme; a state folder that cannot be written is not worth an error."""
    path = path or state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": theme}) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
