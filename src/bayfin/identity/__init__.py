"""Identity (身份认证): the platform's OpenID Connect provider, SSO, organizations and users, delegated
administration and SCIM 2.0 provisioning.

Sub-packages, imported one way: ``oidc`` (the OAuth/OIDC provider and its pages) and ``scim``
(provisioning) use ``core`` (records, sign-in, keys, revocations, admin API); ``core`` uses neither,
and ``oidc`` and ``scim`` do not import each other. ``wiring``, ``endpoints``, ``cli`` and ``demo``
compose them.

Other modules use this surface only: ``platform.service(IDENTITY)`` for the running services, the
:class:`Factor` plug-in interface for a second factor, :data:`SYSTEM` as the actor of start-up and
command-line work, and :func:`pick_language` for the console's language choice. Names resolve
lazily, so importing the package loads nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayfin.identity.core.authn import Authenticator, LoginRefused
    from bayfin.identity.core.factors import Factor, FactorRegistry
    from bayfin.identity.core.i18n import pick_language
    from bayfin.identity.core.scoping import AdminScope
    from bayfin.identity.core.service import SYSTEM, Actor, IdentityService
    from bayfin.identity.core.services import IDENTITY, Identity

_SURFACE: dict[str, str] = {
    "IDENTITY": "bayfin.identity.core.services",
    "Identity": "bayfin.identity.core.services",
    "IdentityService": "bayfin.identity.core.service",
    "Actor": "bayfin.identity.core.service",
    "SYSTEM": "bayfin.identity.core.service",
    "AdminScope": "bayfin.identity.core.scoping",
    "Authenticator": "bayfin.identity.core.authn",
    "LoginRefused": "bayfin.identity.core.authn",
    "Factor": "bayfin.identity.core.factors",
    "FactorRegistry": "bayfin.identity.core.factors",
    "pick_language": "bayfin.identity.core.i18n",
}

__all__ = ["IDENTITY", "SYSTEM", "Actor", "AdminScope", "Authenticator", "Factor", "FactorRegistry",
           "Identity", "IdentityService", "LoginRefused", "pick_language"]


def __getattr__(name: str) -> Any:
    """Resolve a surface name on first use (PEP 562)."""
    try:
        module = _SURFACE[name]
    except KeyError:
        raise AttributeError(f"module 'bayfin.identity' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
