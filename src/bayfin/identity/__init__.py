"""Identity (身份认证): the platform's OpenID Connect provider, SSO, organizations and users, delegated
administration and SCIM 2.0 provisioning.

Sub-packages, imported one way: ``oidc`` (the OAuth/OIDC provider and its pages) and ``scim``
(provisioning) use ``core`` (records, sign-in, keys, revocations, admin API); ``core`` uses neither,
and ``oidc`` and ``scim`` do not import each other. ``wiring``, ``endpoints``, ``cli`` and ``demo``
compose them.

Other modules use this surface only: ``platform.service(IDENTITY)`` for the running services, the
:class:`Factor` plug-in interface for a second factor, :data:`SYSTEM` as the actor of start-up and
command-line work, :func:`pick_language` for the console's language choice, and the two record reads
the console's demo seeder needs (:func:`user_by_username`, :func:`org_by_code_or_id`). Names resolve
lazily, so importing the package loads nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.identity.core.authn import Authenticator, LoginRefused
    from bayfin.identity.core.factors import Factor, FactorRegistry
    from bayfin.identity.core.i18n import pick_language
    from bayfin.identity.core.repository import org_by_code_or_id, user_by_username
    from bayfin.identity.core.scoping import AdminScope
    from bayfin.identity.core.service import SYSTEM, Actor, IdentityService
    from bayfin.identity.core.services import IDENTITY, Identity

_EXPORTS: dict[str, str] = {
    "IDENTITY": ".core.services",
    "Identity": ".core.services",
    "IdentityService": ".core.service",
    "Actor": ".core.service",
    "SYSTEM": ".core.service",
    "AdminScope": ".core.scoping",
    "Authenticator": ".core.authn",
    "LoginRefused": ".core.authn",
    "Factor": ".core.factors",
    "FactorRegistry": ".core.factors",
    "pick_language": ".core.i18n",
    "org_by_code_or_id": ".core.repository",
    "user_by_username": ".core.repository",
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["IDENTITY", "SYSTEM", "Actor", "AdminScope", "Authenticator", "Factor", "FactorRegistry",
           "Identity", "IdentityService", "LoginRefused", "org_by_code_or_id", "pick_language",
           "user_by_username"]
