"""``bayfin config``: the settings a process would run with, secrets masked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import typer
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from bayfin.cli.output import JsonOption, emit
from bayfin.kernel.settings import get_settings

app = typer.Typer(help="Settings (BAYFIN_*).", no_args_is_help=True)

MASK = "********"
#: Setting names whose value is a secret even when typed as a plain string.
SECRET_WORDS = ("key", "secret", "password", "token")


def mask_url(value: str) -> str:
    """The URL with its password (or a token in the user part) replaced by the mask."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return MASK
    if not parts.netloc or "@" not in parts.netloc:
        return value
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    masked = f"{user}:{MASK}" if has_password else MASK
    return urlunsplit(parts._replace(netloc=f"{masked}@{host}"))


def shown(name: str, value: Any) -> Any:
    """A setting's value as ``config show`` prints it: secrets masked, paths and enums as text."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, str):
        if any(word in name for word in SECRET_WORDS) and value:
            return MASK
        return mask_url(value) if "://" in value else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict | list):
        return value
    return str(value)


def describe_settings(settings: BaseSettings) -> list[dict[str, Any]]:
    """One row per setting: its environment variable, value (masked) and description."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    return [{"variable": f"{prefix}{name}".upper(), "value": shown(name, getattr(settings, name)),
             "description": field.description or ""}
            for name, field in type(settings).model_fields.items()]


@app.command("show")
def config_show(as_json: bool = JsonOption) -> None:
    """Show every setting, the kernel's and each module's, with its value (secrets masked) and what it
    does."""
    from bayfin.bootstrap import load_settings

    tree = load_settings(get_settings())
    rows = describe_settings(tree.kernel)
    for section in tree.sections.values():
        rows.extend(describe_settings(section))
    if as_json:
        emit({row["variable"]: {"value": row["value"], "description": row["description"]}
              for row in rows}, as_json=True)
    else:
        emit(rows, as_json=False, title="bayfin settings", columns=["variable", "value", "description"])
