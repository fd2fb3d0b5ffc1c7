"""Identity core: organizations, users, roles, apps, sign-in (passwords, factors, SSO sessions),
signing keys, revocations, invitations, delegated-admin scoping and the admin API. Imports no other
identity sub-package."""
