"""The platform's typed services and settings sections, and the composition root's settings tree."""

from __future__ import annotations

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bayfin.bootstrap import SettingsInvalid, load_settings
from bayfin.kernel.platform import Platform, ServiceKey, ServiceMissing


class Greeter:
    """A stand-in service."""

    def hello(self) -> str:
        """Say hello."""
        return "hello"


GREETER = ServiceKey("greeter", Greeter)


def test_a_provided_service_comes_back_typed(platform: Platform) -> None:
    service = platform.provide(GREETER, Greeter())
    assert platform.service(GREETER) is service
    assert platform.service(GREETER).hello() == "hello"


def test_a_service_of_the_wrong_kind_is_refused_when_provided(platform: Platform) -> None:
    with pytest.raises(TypeError, match="greeter"):
        platform.provide(GREETER, "not a greeter")  # type: ignore[arg-type]


def test_asking_for_a_service_nobody_wired_names_it(platform: Platform) -> None:
    with pytest.raises(ServiceMissing, match="no greeter service"):
        platform.service(ServiceKey("greeter", Greeter))


def test_a_lazily_built_service_is_built_once(platform: Platform) -> None:
    built: list[Greeter] = []

    def build() -> Greeter:
        built.append(Greeter())
        return built[-1]

    first = platform.service_or(GREETER, build)
    assert platform.service_or(GREETER, build) is first
    assert len(built) == 1


def test_every_module_wires_its_services_under_typed_keys(platform: Platform) -> None:
    from bayfin.antifraud import FRAUD
    from bayfin.identity import IDENTITY
    from bayfin.sscard import SSCARD
    from bayfin.terminals import TERMINALS
    from bayfin.tokens import TOKENS
    from bayfin.voice import VOICE

    # The modules that serve the API keep a service on the platform; each is reachable by the key its
    # surface exports, and the service is of the key's type.
    for key in (FRAUD, IDENTITY, SSCARD, TERMINALS, TOKENS, VOICE):
        assert platform.has_service(key), key
        assert isinstance(platform.service(key), key.kind)
    assert not hasattr(platform, "extensions")  # no untyped way around the keys


class ToySettings(BaseSettings):
    """A module section read from BAYFIN_TOY_*."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_TOY_")
    limit: int = Field(3, description="how many", ge=1)


def test_a_section_not_given_at_start_up_is_read_when_first_asked(platform: Platform,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAYFIN_TOY_LIMIT", "7")
    assert platform.section(ToySettings).limit == 7
    monkeypatch.setenv("BAYFIN_TOY_LIMIT", "9")
    assert platform.section(ToySettings).limit == 7  # validated once, then the same object


def test_a_bad_module_setting_fails_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from bayfin import registry

    sections = registry.module_settings_by_module()
    assert sections, "at least one module has its own settings section"
    kind = next(k for m, k in sections if m == "tokens")
    prefix = str(kind.model_config.get("env_prefix", "")).upper()
    number_field = next(name for name, f in kind.model_fields.items() if f.annotation is int)
    monkeypatch.setenv(f"{prefix}{number_field.upper()}", "not-a-number")
    with pytest.raises(SettingsInvalid, match=f"{prefix}{number_field.upper()}"):
        load_settings()


def test_the_settings_tree_has_a_section_per_module_with_settings() -> None:
    from bayfin import registry

    tree = load_settings()
    assert set(tree.sections) == {module for module, _ in registry.module_settings_by_module()}
    assert tree.section("tokens") is not None
    assert tree.section("no-such-module") is None
