from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from anju.accounts.models import User
from anju.testing import Tree, build_tree, make_user


@pytest.fixture
def tree(db: Any) -> Tree:
    return build_tree()


@pytest.fixture
def user_factory(db: Any) -> Callable[..., User]:
    return make_user


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
