"""What a reader who does not handle a problem sees of who acted: a kind, never a name."""

from __future__ import annotations

import pytest

from ecoradar.problems.schemas import actor_user_ids, public_actor

ROLES = {7: "officer", 8: "grid_worker", 9: "enterprise", 10: "public", 11: "admin"}


@pytest.mark.parametrize(
    ("actor", "seen"),
    [
        ("user:7:alice", "officer"),
        ("user:8:grid-bob", "officer"),
        ("user:11:root", "officer"),
        ("user:9:acme-ehs", "enterprise"),
        ("user:10:citizen", "reporter"),
        ("public:clue-5", "reporter"),
        ("system:scheduler", "system:scheduler"),
        ("token:3:drone-east", "officer"),
        ("user:99:gone", "officer"),  # a user no longer known: the bureau, not a name
        ("user:x:odd", "officer"),
    ],
)
def test_each_actor_is_shown_by_kind(actor: str, seen: str) -> None:
    assert public_actor(actor, ROLES) == seen


def test_only_user_actors_name_user_ids() -> None:
    actors = ["user:7:alice", "token:3:drone", "public:clue-5", "user:9:x", "user::y", "system:s"]
    assert actor_user_ids(actors) == {7, 9}
