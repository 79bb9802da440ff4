"""Password complexity and argon2id hashing."""

import pytest
from argon2 import PasswordHasher, Type

from shoudai.accounts.passwords import HASHER, complexity_errors, hash_password, needs_rehash, verify_password


@pytest.mark.parametrize(
    "pw",
    ["Abcdefgh12", "abcdefgh1!", "ABCDEFGH1!", "Abcdefghi!", "长城Abcdefg1", "Correct-Horse-Battery"],
)
def test_accepted(pw):
    assert complexity_errors(pw) == []


@pytest.mark.parametrize(
    ("pw", "why"),
    [("Abcdef12!", "至少10位"), ("abcdefghij12", "三类"), ("ABCDEFGHIJ", "三类"), ("1234567890!!", "三类")],
)
def test_refused(pw, why):
    assert any(why in e for e in complexity_errors(pw))


def test_username_inside_refused():
    assert any("用户名" in e for e in complexity_errors("Zhangsan-2026", "zhangsan"))


def test_argon2id_parameters_as_chosen():
    h = hash_password("Abcdefgh12!")
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert HASHER.type is Type.ID


def test_verify_right_wrong_and_unknown_user():
    h = hash_password("Abcdefgh12!")
    assert verify_password(h, "Abcdefgh12!")
    assert not verify_password(h, "Abcdefgh12?")
    assert not verify_password(None, "Abcdefgh12!")
    assert not verify_password("garbage", "Abcdefgh12!")


def test_same_password_different_salt():
    assert hash_password("Abcdefgh12!") != hash_password("Abcdefgh12!")


def test_weaker_old_hash_needs_rehash():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Abcdefgh12!")
    assert needs_rehash(old)
    assert verify_password(old, "Abcdefgh12!")
    assert not needs_rehash(hash_password("Abcdefgh12!"))
