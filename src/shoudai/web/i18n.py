"""A tiny message catalogue: Chinese first, English a cookie away (X5)."""

from __future__ import annotations

from shoudai.reference.loaders import city

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "lang"

# key: (中文, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "platform": ("首贷通", "Shoudai"),
    # {city} is filled in by `translate` from the settings or the reference data: nothing here names one city.
    "platform.full": ("{city}首贷通服务平台", "{city} First-Loan Platform"),
    "lang.switch": ("English", "中文"),
    "nav.home": ("首页", "Home"),
    "nav.accounts": ("账户管理", "Accounts"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.workbench": ("融资需求", "Loan needs"),
    "nav.compliance": ("211时效", "211 compliance"),
    "nav.api_keys": ("银行接口", "Bank API keys"),
    "nav.lists": ("无贷户名单", "Lists"),
    "nav.oversight": ("首贷监测", "First loans"),
    "nav.reports": ("首贷报送", "Reports"),
    "nav.oversight_admin": ("考核管理", "Targets / assessment"),
    "logout": ("退出登录", "Log out"),
    "login.title": ("用户登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.bad": ("用户名或密码错误。", "Wrong username or password."),
    "login.locked": ("登录失败次数过多，账户已临时锁定，请{minutes}分钟后再试。",
                     "Too many failed attempts: sign-in is locked, try again in {minutes} minutes."),
    "login.expired": ("登录已超时，请重新登录。", "Your session has ended; please sign in again."),
    "login.notice": ("本系统仅限授权人员使用，所有操作均被记录审计。",
                     "Authorised users only. Every action is recorded."),
    "totp.title": ("动态口令验证", "Two-factor code"),
    "totp.hint": ("请输入身份验证器App中显示的6位动态口令。", "Enter the 6-digit code shown in your authenticator app."),
    "totp.code": ("动态口令", "Code"),
    "totp.submit": ("验证", "Verify"),
    "totp.bad": ("动态口令错误或已使用，请等待新口令后重试。", "Wrong or already-used code; wait for a new one."),
    "home.welcome": ("欢迎，{name}", "Welcome, {name}"),
    "home.role": ("角色", "Role"),
    "home.scope": ("数据范围", "Data scope"),
    "home.last_login": ("本次登录时间", "Signed in at"),
    "home.todo": ("更多业务功能（名单、需求、通报）将在此处陆续上线。",
                  "Lists, needs and bulletins will appear here as they are released."),
    "home.activity": ("近14天登录次数", "Sign-ins, last 14 days"),
    "scope.city": ("全市", "Whole city"),
    "scope.counties": ("县区", "Counties"),
    "scope.bank": ("银行", "Bank"),
    "scope.branch": ("网点", "Branch"),
    "scope.enterprise": ("企业", "Enterprise"),
    "scope.centre": ("首贷续贷服务中心", "First-loan service centre"),
    "users.title": ("账户管理", "Accounts"),
    "users.new": ("新建账户", "New account"),
    "users.search": ("搜索", "Search"),
    "users.q": ("用户名/姓名/代码", "Username / name / code"),
    "users.all_roles": ("全部角色", "All roles"),
    "users.username": ("用户名", "Username"),
    "users.display_name": ("姓名/名称", "Name"),
    "users.role": ("角色", "Role"),
    "users.scope": ("数据范围", "Scope"),
    "users.phone": ("手机号", "Phone"),
    "users.status": ("状态", "Status"),
    "users.active": ("正常", "Active"),
    "users.disabled": ("已停用", "Disabled"),
    "users.edit": ("编辑", "Edit"),
    "users.save": ("保存", "Save"),
    "users.create": ("创建账户", "Create account"),
    "users.password": ("初始密码", "Initial password"),
    "users.password.rule": ("至少10位，含大写字母、小写字母、数字、符号中的至少三类。",
                            "At least 10 characters, 3 of: upper case, lower case, digits, symbols."),
    "users.counties": ("县区（县区用户必选；银行用户可选为服务区域）",
                       "Counties (required for county officers; a service area for banks)"),
    "users.bank": ("银行", "Bank"),
    "users.branch": ("网点代码", "Branch code"),
    "users.uscc": ("统一社会信用代码", "Unified social credit code"),
    "users.phone.keep": ("留空则不修改；当前：{masked}", "Leave blank to keep; now: {masked}"),
    "users.disable": ("停用账户", "Disable account"),
    "users.enable": ("启用账户", "Enable account"),
    "users.disable.confirm": ("停用后该用户的所有会话立即失效。确定停用？",
                              "Disabling ends all of this user's sessions at once. Disable?"),
    "users.reset_totp": ("重置动态口令", "Reset 2FA"),
    "users.reset_password": ("重置密码", "Reset password"),
    "users.new_password": ("新密码", "New password"),
    "users.sessions": ("在线会话", "Open sessions"),
    "users.saved": ("已保存。", "Saved."),
    "users.disabled_done": ("账户已停用，{n}个会话已结束。", "Account disabled; {n} sessions ended."),
    "users.enabled_done": ("账户已启用。", "Account enabled."),
    "users.password_done": ("密码已重置，该用户需重新登录。", "Password reset; the user must sign in again."),
    "users.none": ("没有符合条件的账户。", "No matching accounts."),
    "enrol.title": ("绑定动态口令", "Two-factor enrolment"),
    "enrol.hint": (("请用户使用身份验证器App（如微信小程序“腾讯身份验证器”、Google Authenticator）扫描二维码，"
                    "或手工输入密钥。此密钥只显示这一次。"),
                   "The user scans the QR code with an authenticator app, or types the secret. It is shown only once."),
    "enrol.secret": ("密钥", "Secret"),
    "enrol.none": ("企业用户无需动态口令。", "Enterprise accounts do not need a second factor."),
    "enrol.done": ("完成", "Done"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.actor": ("用户", "User"),
    "audit.action": ("操作", "Action"),
    "audit.outcome": ("结果", "Outcome"),
    "audit.from": ("开始日期", "From"),
    "audit.to": ("结束日期", "To"),
    "audit.search": ("查询", "Search"),
    "audit.export": ("导出Excel", "Export to Excel"),
    "audit.verify": ("校验完整性", "Verify integrity"),
    "audit.at": ("时间", "Time"),
    "audit.object": ("对象", "Object"),
    "audit.source": ("来源地址", "Source"),
    "audit.detail": ("详情", "Detail"),
    "audit.total": ("共{n}条", "{n} rows"),
    "audit.none": ("没有符合条件的记录。", "No matching records."),
    "audit.ok": ("审计链完整：已校验{n}条记录，未发现篡改。", "Chain intact: {n} rows checked, no tampering found."),
    "audit.broken": ("审计链被破坏：第{id}条记录异常（{problem}）。", "Chain broken at row {id} ({problem})."),
    "audit.retention": ("审计日志保存不少于180天。", "Audit records are kept at least 180 days."),
    "any": ("全部", "Any"),
    "password.title": ("修改密码", "Change password"),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.confirm": ("确认新密码", "Repeat new password"),
    "password.mismatch": ("两次输入的新密码不一致。", "The new passwords differ."),
    "password.done": ("密码已修改；您在其他设备上的登录已退出。", "Password changed; your other sessions have ended."),
    "action.user.change_password": ("修改本人密码", "Own password changed"),
    "pii.purpose": ("查看用途（必填，将记入审计）", "Purpose (required, audited)"),
    "pii.reveal": ("查看完整号码", "Show full number"),
    "pii.revealed": ("已记录审计：{purpose}", "Audited: {purpose}"),
    "action.pii.reveal": ("查看完整个人信息", "Viewed unmasked personal data"),
    "action.login.success": ("登录成功", "Signed in"),
    "action.login.password_ok": ("密码验证通过", "Password accepted"),
    "action.login.failure": ("登录失败", "Sign-in failed"),
    "action.login.totp_failure": ("动态口令错误", "Wrong 2FA code"),
    "action.login.locked": ("锁定期内尝试登录", "Attempt while locked"),
    "action.logout": ("退出登录", "Signed out"),
    "action.user.create": ("新建账户", "Account created"),
    "action.user.update": ("修改账户", "Account changed"),
    "action.user.disable": ("停用账户", "Account disabled"),
    "action.user.enable": ("启用账户", "Account enabled"),
    "action.user.reset_password": ("重置密码", "Password reset"),
    "action.user.reset_totp": ("重置动态口令", "2FA reset"),
    "action.audit.export": ("导出审计日志", "Audit exported"),
    "action.audit.purge": ("清理过期审计日志", "Old audit rows purged"),
    "page.prev": ("上一页", "Previous"),
    "page.next": ("下一页", "Next"),
    "page.of": ("第{page}/{pages}页", "Page {page} of {pages}"),
    "error.403": ("无权访问该页面。", "You do not have access to this page."),
    "error.404": ("页面不存在。", "Page not found."),
    "error.csrf": ("请求校验失败（页面可能已过期），请刷新后重试。", "Request check failed (stale page); reload and retry."),
    "back": ("返回", "Back"),
}


def _with_areas(core: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    from shoudai.web.messages import merged

    areas = merged()
    clash = core.keys() & areas.keys()
    if clash:
        raise RuntimeError(f"message keys defined twice: {sorted(clash)}")
    return {**core, **areas}


MESSAGES = _with_areas(MESSAGES)


def action_label(action: str, lang: str = DEFAULT_LANG) -> str:
    """A readable name for an audit action code; codes other modules add show as themselves."""
    key = "action." + action
    return translate(key, lang) if key in MESSAGES else action


def pick_lang(cookie_value: str | None) -> str:
    """The language for a request: the cookie if known, else Chinese."""
    return cookie_value if cookie_value in LANGS else DEFAULT_LANG


def city_name(lang: str = DEFAULT_LANG) -> str:
    """The city's display name; on English pages SHOUDAI_CITY_NAME_EN or city.csv's name_en, when either is set."""
    try:
        here = city()
        return (here.name_en if lang == "en" else "") or here.name
    except (OSError, KeyError, ValueError):  # reference data missing or broken: a title without the city, not a 500
        return ""


def translate(key: str, lang: str = DEFAULT_LANG, **kwargs: object) -> str:
    """The message `key` in `lang`, formatted with kwargs; an unknown key shows itself (easy to spot)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    if "{city}" in text and "city" not in kwargs:
        kwargs["city"] = city_name(lang)
    return text.format(**kwargs) if kwargs else text
