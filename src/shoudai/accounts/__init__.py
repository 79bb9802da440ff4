"""Users, roles, scopes, passwords, the TOTP second factor, lockout and server-side sessions."""
