"""SCIM 2.0 provisioning of users and groups: schema, filter language, service, OpenAPI text and
endpoints. Uses ``identity.core`` only."""
