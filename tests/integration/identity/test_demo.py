from bayfin.identity.core import repository as repo
from bayfin.identity.demo import seed_demo


def test_the_demo_seeds_an_administrator_once_and_writes_the_password_privately(platform, tmp_path, session):
    seed_demo(platform, tmp_path, 1)
    seed_demo(platform, tmp_path, 1)
    secret = tmp_path / "identity-admin.txt"
    assert "user: admin" in secret.read_text() and oct(secret.stat().st_mode)[-3:] == "600"
    admin = repo.user_by_username(session, "admin")
    assert admin is not None and admin.password_hash.startswith("$argon2id$")
    # the demo administrator administers every organization: the explicit platform_admin role
    assert sorted(r.name for r in repo.roles_of_user(session, admin.id, None)) == [
        "identity-admin", "platform_admin"]
