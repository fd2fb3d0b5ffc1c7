# ruff: noqa: E501  (generated table definitions read best one constraint per line)
"""identity: organizations, users, apps, roles, SSO sessions, tokens, keys, throttles, factors

Revision ID: identity_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bayfin.kernel.db

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = "kernel_0001"


def upgrade() -> None:
    op.create_table('identity_groups',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_groups')),
    sa.UniqueConstraint('display_name', name=op.f('uq_identity_groups_display_name'))
    )
    op.create_index(op.f('ix_identity_groups_external_id'), 'identity_groups', ['external_id'], unique=False)
    op.create_table('identity_login_throttles',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('last_failure_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_identity_login_throttles'))
    )
    op.create_table('identity_organizations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('org_type', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['identity_organizations.id'], name=op.f('fk_identity_organizations_parent_id_identity_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_organizations')),
    sa.UniqueConstraint('code', name=op.f('uq_identity_organizations_code'))
    )
    op.create_index(op.f('ix_identity_organizations_org_type'), 'identity_organizations', ['org_type'], unique=False)
    op.create_index(op.f('ix_identity_organizations_parent_id'), 'identity_organizations', ['parent_id'], unique=False)
    op.create_table('identity_revocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_revocations'))
    )
    op.create_index(op.f('ix_identity_revocations_expires_at'), 'identity_revocations', ['expires_at'], unique=False)
    op.create_table('identity_signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('retired_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_identity_signing_keys'))
    )
    op.create_table('identity_apps',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('client_type', sa.String(length=20), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=True),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('post_logout_redirect_uris', sa.JSON(), nullable=False),
    sa.Column('grant_types', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('service_roles', sa.JSON(), nullable=False),
    sa.Column('organization_id', sa.String(length=40), nullable=True),
    sa.Column('first_party', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organizations.id'], name=op.f('fk_identity_apps_organization_id_identity_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_apps')),
    sa.UniqueConstraint('client_id', name=op.f('uq_identity_apps_client_id'))
    )
    op.create_index(op.f('ix_identity_apps_organization_id'), 'identity_apps', ['organization_id'], unique=False)
    op.create_table('identity_users',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('organization_id', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organizations.id'], name=op.f('fk_identity_users_organization_id_identity_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_users')),
    sa.UniqueConstraint('username', name=op.f('uq_identity_users_username'))
    )
    op.create_index(op.f('ix_identity_users_external_id'), 'identity_users', ['external_id'], unique=False)
    op.create_index(op.f('ix_identity_users_organization_id'), 'identity_users', ['organization_id'], unique=False)
    op.create_table('identity_authorization_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=True),
    sa.Column('redirect_uri', sa.String(length=1000), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('nonce', sa.String(length=200), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=True),
    sa.Column('acr', sa.String(length=20), nullable=True),
    sa.Column('auth_time', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('family_id', sa.String(length=40), nullable=True),
    sa.Column('access_jti', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_authorization_codes_user_id_identity_users')),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_identity_authorization_codes'))
    )
    op.create_index(op.f('ix_identity_authorization_codes_user_id'), 'identity_authorization_codes', ['user_id'], unique=False)
    op.create_table('identity_consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('app_id', sa.String(length=40), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('granted_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['identity_apps.id'], name=op.f('fk_identity_consents_app_id_identity_apps')),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_consents_user_id_identity_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_consents')),
    sa.UniqueConstraint('user_id', 'app_id', name=op.f('uq_identity_consents_user_id_app_id'))
    )
    op.create_index(op.f('ix_identity_consents_user_id'), 'identity_consents', ['user_id'], unique=False)
    op.create_table('identity_group_members',
    sa.Column('group_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['identity_groups.id'], name=op.f('fk_identity_group_members_group_id_identity_groups')),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_group_members_user_id_identity_users')),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_identity_group_members'))
    )
    op.create_index(op.f('ix_identity_group_members_user_id'), 'identity_group_members', ['user_id'], unique=False)
    op.create_table('identity_mfa_factors',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('confirmed_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('last_used_step', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_mfa_factors_user_id_identity_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_mfa_factors')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_identity_mfa_factors_user_id_kind'))
    )
    op.create_index(op.f('ix_identity_mfa_factors_user_id'), 'identity_mfa_factors', ['user_id'], unique=False)
    op.create_table('identity_refresh_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=True),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('acr', sa.String(length=20), nullable=True),
    sa.Column('access_jti', sa.String(length=64), nullable=True),
    sa.Column('issued_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_refresh_tokens_user_id_identity_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_identity_refresh_tokens'))
    )
    op.create_index(op.f('ix_identity_refresh_tokens_family_id'), 'identity_refresh_tokens', ['family_id'], unique=False)
    op.create_index(op.f('ix_identity_refresh_tokens_session_id'), 'identity_refresh_tokens', ['session_id'], unique=False)
    op.create_index(op.f('ix_identity_refresh_tokens_user_id'), 'identity_refresh_tokens', ['user_id'], unique=False)
    op.create_table('identity_roles',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('app_id', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('created_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['identity_apps.id'], name=op.f('fk_identity_roles_app_id_identity_apps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_roles')),
    sa.UniqueConstraint('app_id', 'name', name=op.f('uq_identity_roles_app_id_name'))
    )
    op.create_index(op.f('ix_identity_roles_app_id'), 'identity_roles', ['app_id'], unique=False)
    op.create_table('identity_sessions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('cookie_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('acr', sa.String(length=20), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('auth_time', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bayfin.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', bayfin.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_sessions_user_id_identity_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_sessions')),
    sa.UniqueConstraint('cookie_hash', name=op.f('uq_identity_sessions_cookie_hash'))
    )
    op.create_index(op.f('ix_identity_sessions_user_id'), 'identity_sessions', ['user_id'], unique=False)
    op.create_table('identity_role_assignments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('role_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['identity_roles.id'], name=op.f('fk_identity_role_assignments_role_id_identity_roles')),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], name=op.f('fk_identity_role_assignments_user_id_identity_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_role_assignments')),
    sa.UniqueConstraint('user_id', 'role_id', name=op.f('uq_identity_role_assignments_user_id_role_id'))
    )
    op.create_index(op.f('ix_identity_role_assignments_role_id'), 'identity_role_assignments', ['role_id'], unique=False)
    op.create_index(op.f('ix_identity_role_assignments_user_id'), 'identity_role_assignments', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('identity_role_assignments')
    op.drop_table('identity_sessions')
    op.drop_table('identity_roles')
    op.drop_table('identity_refresh_tokens')
    op.drop_table('identity_mfa_factors')
    op.drop_table('identity_group_members')
    op.drop_table('identity_consents')
    op.drop_table('identity_authorization_codes')
    op.drop_table('identity_users')
    op.drop_table('identity_apps')
    op.drop_table('identity_signing_keys')
    op.drop_table('identity_revocations')
    op.drop_table('identity_organizations')
    op.drop_table('identity_login_throttles')
    op.drop_table('identity_groups')
