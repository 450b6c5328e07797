"""Organisation settings that change what counts as a finding (thresholds, allowlists, naming).

Read from ``--config FILE`` (TOML, a ``[rafix]`` table), else ``$RAFIX_CONFIG``, else
``$XDG_CONFIG_HOME/rafix/config.toml`` (``~/.config/rafix/config.toml``) when it exists; every
key is optional. ``[[rafix.suppress]]`` entries accept a risk (see ``remediations.selection``). Open questions of FINDINGS.md section 7 that depend on policy live here, so each can be
changed in one place.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remediations.errors import InputError
from remediations.inputs import InputLimits, read_input
from remediations.selection import Suppression, parse_suppressions

#: The STS session-tag value charset; a CN outside it fails to map (HELPER-188).
STS_TAG_CHARSET = re.compile(r"^[A-Za-z0-9 _.:/=+\-@]*$")
#: Longest CN that still yields source identity ``CN=<cn>`` (RA user guide p.49).
MAX_SOURCE_IDENTITY_CN = 61


@dataclass(frozen=True, slots=True)
class Settings:
    #: Profiles above this durationSeconds get RA-PROFILE-LONG-DURATION.
    max_session_duration: int = 3600
    #: Above this, RA-PROFILE-LONG-DURATION is medium.
    long_session_medium_above: int = 14400
    #: Notification thresholds below this many days get RA-TA-NOTIFICATIONS-DISABLED.
    min_notification_threshold_days: int = 30
    #: SHA-256 fingerprints (hex, any case, colons allowed) of approved CA certificates.
    approved_ca_fingerprints: frozenset[str] = frozenset()
    #: A regular expression every pinned CN must match; None: no convention configured.
    cn_pattern: str | None = None
    #: A regular expression every pinned OU must match; None: no convention configured.
    ou_pattern: str | None = None
    #: Name of the dedicated role that onboarding creates.
    role_name_template: str = "ra-{workload}-{env}"
    #: Name of the profile that onboarding creates or extends.
    profile_name_template: str = "ra-{team}-{env}"
    #: The certificate subject onboarding pins and asks the CA for: CN and OU.
    cert_cn_template: str = "{workload}.{env}"
    cert_ou_template: str = "{team}"
    #: RA-GOV-SUBJECT-HYGIENE: a subject not seen for this many days while a role still pins
    #: its CN is a dead pin; this many failed authentications are "many".
    subject_stale_days: int = 90
    subject_failed_threshold: int = 3
    #: CA expiry windows (days) for RA-TA-CA-EXPIRING.
    ca_expiry_high_days: int = 14
    ca_expiry_medium_days: int = 45
    #: The largest input file rafix reads (``--from-file``, plans, baselines), in MiB;
    #: ``RAFIX_MAX_INPUT_MIB`` overrides it.
    max_input_mib: float = 256
    #: Seconds a pipe or FIFO given as input may stay silent before rafix gives up (0: wait
    #: for ever); ``RAFIX_INPUT_TIMEOUT`` overrides it.
    input_timeout_seconds: float = 30
    #: Accepted risks (``[[rafix.suppress]]``): findings they match leave the report's findings.
    suppress: tuple[Suppression, ...] = ()
    #: The config file these settings came from (None: the defaults).
    source_path: str | None = None
    #: "Now", for expiry checks; tests fix it.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def normalized_fingerprints(self) -> frozenset[str]:
        return frozenset(f.replace(":", "").lower() for f in self.approved_ca_fingerprints)

    def input_limits(self) -> InputLimits:
        """The size and time limits on input files (the environment overrides these)."""
        return InputLimits.resolve(self.max_input_mib, self.input_timeout_seconds)


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/rafix/config.toml`` (``~/.config/rafix/config.toml``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "rafix" / "config.toml"


def config_path(path: str | None = None) -> str | None:
    """The config file to read: ``--config``, else ``$RAFIX_CONFIG``, else the default file
    when it exists, else None (the built-in defaults)."""
    if path:
        return path
    env = os.environ.get("RAFIX_CONFIG")
    if env:
        return env
    default = default_config_path()
    return str(default) if default.is_file() else None


def load_settings(path: str | None = None) -> Settings:
    """Settings from a TOML file (see :func:`config_path`), else the defaults."""
    path = config_path(path)
    if not path:
        return Settings()
    try:
        data = tomllib.loads(read_input(path, InputLimits.resolve()).decode("utf-8"))
    except InputError as exc:
        raise InputError(f"{exc} (the config file)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    table: Any = data.get("rafix", data)
    if not isinstance(table, dict):
        raise InputError(f"{path}: [rafix] must be a table")
    known = {f.name for f in fields(Settings)} - {"now", "source_path"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = dict(table)
    values["source_path"] = path
    if "suppress" in values:
        values["suppress"] = parse_suppressions(values["suppress"], path)
    if "approved_ca_fingerprints" in values:
        values["approved_ca_fingerprints"] = frozenset(values["approved_ca_fingerprints"])
    for key, positive in (("max_input_mib", True), ("input_timeout_seconds", False)):
        if key in values:
            value = values[key]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not (value > 0 if positive else value >= 0) or value == float("inf"):
                need = "a number above 0" if positive else "a number of seconds, 0 or more"
                raise InputError(f"{path}: {key} must be {need}")
    for key in ("cn_pattern", "ou_pattern"):
        if values.get(key):
            try:
                re.compile(values[key])
            except re.error as exc:
                raise InputError(
                    f"{path}: {key} is not a valid regular expression ({exc})"
                ) from None
    for key in NAMING_TEMPLATES:
        if key in values:
            # Role splits also fill role_name_template from the shared role's tags ({role},
            # {owner}...), so only its syntax is checked here; onboarding checks its fields.
            problem = template_problem(values[key], any_field=key == "role_name_template")
            if problem:
                raise InputError(f"{path}: {key}: {problem}")
    return replace(Settings(), **values)


#: The naming templates onboarding fills, and the fields they may use.
NAMING_TEMPLATES = (
    "role_name_template",
    "profile_name_template",
    "cert_cn_template",
    "cert_ou_template",
)
NAMING_FIELDS = frozenset({"workload", "env", "team"})


def template_problem(template: object, *, any_field: bool = False) -> str | None:
    """Why a naming template is unusable (None: fine): it must be text using only
    ``{workload}``, ``{env}`` and ``{team}`` (any plain field name with ``any_field``)."""
    if not isinstance(template, str) or not template:
        return "must be a non-empty string such as 'ra-{workload}-{env}'"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template ({exc})"
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        allowed = name.isidentifier() if any_field else name in NAMING_FIELDS
        if not allowed or spec or conversion:
            return f"unknown field {{{name}}}; use only {{workload}}, {{env}} and {{team}}"
    return None
