"""The OAuth 2 / OpenID Connect provider: Authlib grants over core's records, the protocol endpoints
and the sign-in, consent and logout pages. Uses ``identity.core`` only."""
