"""The web console: the platform as its users see it (server-rendered pages, signed in through SSO).

It sits above every business module: page handlers build the caller's ``Principal`` from the access
token the identity platform issued and call the modules' services, so the same checks, consent gates
and audit entries apply as on the API. No module imports it.
"""
