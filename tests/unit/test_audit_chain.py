from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from outbreak.audit.chain import (
    GENESIS_HASH,
    AuditFields,
    ChainedEntry,
    entry_hash,
    verify_chain,
)

T0 = datetime(2020, 3, 1, 9, tzinfo=UTC)


def build(fields_list: list[AuditFields]) -> list[ChainedEntry]:
    chain, prev = [], GENESIS_HASH
    for i, fields in enumerate(fields_list, start=1):
        at = T0 + timedelta(seconds=i)
        digest = entry_hash(i, at, fields, prev)
        chain.append(ChainedEntry(i, at, fields, prev, digest))
        prev = digest
    return chain


def sample(n: int) -> list[ChainedEntry]:
    return build(
        [
            AuditFields(
                f"user{i}",
                "investigator",
                "case.read",
                "case",
                str(i),
                "investigation",
                "allowed",
            )
            for i in range(n)
        ]
    )


def test_intact_chain_verifies() -> None:
    assert verify_chain(sample(10)) == []
    assert verify_chain([]) == []


def test_edited_entry_is_named() -> None:
    chain = sample(5)
    chain[2] = replace(chain[2], fields=replace(chain[2].fields, subject_id="999"))
    problems = verify_chain(chain)
    assert [(p.seq, "edited" in p.problem) for p in problems] == [(3, True)]


def test_deleted_entry_is_named() -> None:
    chain = sample(6)
    del chain[3]  # seq 4
    problems = verify_chain(chain)
    assert {p.seq for p in problems} == {5}
    assert any("deleted" in p.problem for p in problems)


def test_rehashed_edit_still_breaks_the_next_link() -> None:
    chain = sample(4)
    forged_fields = replace(chain[1].fields, outcome="denied")
    forged_hash = entry_hash(2, chain[1].at, forged_fields, chain[1].prev_hash)
    chain[1] = replace(chain[1], fields=forged_fields, hash=forged_hash)
    assert [p.seq for p in verify_chain(chain)] == [3]


def test_timestamps_hash_the_same_naive_or_aware() -> None:
    fields = sample(1)[0].fields
    aware = entry_hash(1, T0, fields, GENESIS_HASH)
    naive = entry_hash(1, T0.replace(tzinfo=None), fields, GENESIS_HASH)
    assert aware == naive


text = st.text(min_size=1, max_size=12)
fields_strategy = st.builds(
    AuditFields,
    text,
    text,
    text,
    text,
    text,
    text,
    st.sampled_from(["allowed", "denied"]),
    text,
)


@given(st.lists(fields_strategy, min_size=1, max_size=8), st.data())
def test_any_single_field_edit_is_detected(
    fields_list: list[AuditFields], data: st.DataObject
) -> None:
    chain = build(fields_list)
    assert verify_chain(chain) == []
    i = data.draw(st.integers(0, len(chain) - 1))
    name = data.draw(st.sampled_from(list(AuditFields.__dataclass_fields__)))
    old = getattr(chain[i].fields, name)
    new = data.draw(text.filter(lambda v: v != old))
    chain[i] = replace(chain[i], fields=replace(chain[i].fields, **{name: new}))
    assert [p.seq for p in verify_chain(chain)] == [i + 1]
