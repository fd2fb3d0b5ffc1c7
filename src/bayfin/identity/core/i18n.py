"""Texts of the sign-in pages in Chinese and English; the browser's language picks one."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en", "platform": "bayfin identity", "skip": "Skip to main content",
        "login_title": "Sign in", "username": "User name", "password": "Password",
        "submit_login": "Sign in",
        "bad_credentials": "The user name or password is not correct, or the account cannot sign in.",
        "locked": "Too many failed attempts. Try again in {seconds} seconds.",
        "consent_title": "Allow access", "consent_intro": "{app} asks to:",
        "allow": "Allow", "deny": "Deny", "signed_in_as": "Signed in as {name}",
        "mfa_title": "Second factor", "mfa_intro": "Enter the 6-digit code from your authenticator app.",
        "code": "Code", "submit_code": "Verify", "bad_code": "The code is not valid.",
        "mfa_missing": "This application needs a second factor, but none is enrolled for your account.",
        "logout_title": "Sign out", "logout_confirm": "Sign out of every bayfin application?",
        "logout_button": "Sign out", "logged_out": "You are signed out of every application.",
        "error_title": "The request cannot be completed", "csrf": "The form expired. Please try again.",
        "welcome": "You are signed in.",
        "scope.openid": "confirm who you are", "scope.profile": "see your name and user name",
        "scope.email": "see your e-mail address",
        "scope.offline_access": "stay connected while you are away",
        "set_password_title": "Choose your password",
        "set_password_intro": "Welcome, {name}. Choose the password you will sign in with.",
        "new_password": "New password", "repeat_password": "Repeat the password",
        "set_password_button": "Save password", "passwords_differ": "The two passwords differ.",
        "invitation_invalid": "This link is not valid any more. Ask your administrator for a new one.",
        "password_chosen": "Your password is saved. You can sign in now.",
    },
    "zh": {
        "lang": "zh-CN", "platform": "bayfin 统一身份认证", "skip": "跳到主要内容",
        "login_title": "登录", "username": "用户名", "password": "密码", "submit_login": "登录",
        "bad_credentials": "用户名或密码不正确，或该账户无法登录。",
        "locked": "失败次数过多，请在 {seconds} 秒后重试。",
        "consent_title": "授权访问", "consent_intro": "{app} 请求以下权限：",
        "allow": "同意", "deny": "拒绝", "signed_in_as": "当前用户：{name}",
        "mfa_title": "第二重验证", "mfa_intro": "请输入身份验证器应用中的 6 位动态码。",
        "code": "动态码", "submit_code": "验证", "bad_code": "动态码无效。",
        "mfa_missing": "该应用需要第二重验证，但您的账户尚未绑定。",
        "logout_title": "退出登录", "logout_confirm": "退出所有 bayfin 应用？",
        "logout_button": "退出", "logged_out": "您已退出所有应用。",
        "error_title": "无法完成请求", "csrf": "表单已过期，请重试。",
        "welcome": "您已登录。",
        "scope.openid": "确认您的身份", "scope.profile": "查看您的姓名和用户名",
        "scope.email": "查看您的电子邮箱", "scope.offline_access": "在您离开时保持连接",
        "set_password_title": "设置密码", "set_password_intro": "{name}，欢迎。请设置您的登录密码。",
        "new_password": "新密码", "repeat_password": "再次输入密码", "set_password_button": "保存密码",
        "passwords_differ": "两次输入的密码不一致。",
        "invitation_invalid": "该链接已失效，请联系管理员重新发送邀请。",
        "password_chosen": "密码已保存，您现在可以登录。",
    },
}


def pick_language(ui_locales: str | None, accept_language: str | None) -> str:
    """``zh`` or ``en``: the OIDC ``ui_locales`` parameter first, then Accept-Language."""
    for source in (ui_locales or "", accept_language or ""):
        for part in source.replace(",", " ").split():
            tag = part.split(";")[0].strip().lower()
            if tag.startswith("zh"):
                return "zh"
            if tag.startswith("en"):
                return "en"
    return "zh"


def texts(language: str) -> dict[str, str]:
    """The message table for a language."""
    return MESSAGES.get(language, MESSAGES["zh"])
