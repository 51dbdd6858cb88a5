"""The shared transaction bookkeeping (``TxState``) and statement sizing, without a database."""

from __future__ import annotations

import pytest

from typedorm.dialects import get_dialect
from typedorm.engine.core import TxState, is_retryable, split_by_size, value_size
from typedorm.errors import DataError, Deadlock, TransactionAborted, UniqueViolation


def state() -> TxState:
    s = TxState(object(), get_dialect("postgresql"))
    s.begin(None, None)
    return s


def test_a_failed_level_refuses_statements_and_its_commit() -> None:
    s = state()
    s.check()
    err = UniqueViolation("dup")
    s.fail(err)
    with pytest.raises(TransactionAborted) as info:
        s.check()
    assert info.value.error is err and info.value.__cause__ is err
    with pytest.raises(TransactionAborted):
        s.savepoint()
    sqls, callbacks, aborted = s.end(True)
    assert sqls == ["ROLLBACK"] and callbacks == []
    assert aborted is not None and aborted.error is err


def test_a_failed_savepoint_rolls_back_alone() -> None:
    s = state()
    s.on_commit(lambda: None)
    s.savepoint()
    s.fail(UniqueViolation("dup"))
    sqls, _, aborted = s.end(False)  # the block raised: rolled back, nothing else to report
    assert aborted is None and sqls[0].startswith("ROLLBACK TO SAVEPOINT")
    s.check()  # the outer level is fine
    s.savepoint()
    s.fail(UniqueViolation("dup"))
    sqls, _, aborted = s.end(True)  # the block swallowed the error: rolled back and reported
    assert aborted is not None and sqls[0].startswith("ROLLBACK TO SAVEPOINT")
    sqls, callbacks, aborted = s.end(True)
    assert sqls == ["COMMIT"] and aborted is None and len(callbacks) == 1


def test_a_broken_connection_fails_every_level() -> None:
    s = state()
    s.savepoint()
    s.fail(DataError("packet"), broken=True)
    assert s.broken
    s.end(False)
    with pytest.raises(TransactionAborted):
        s.check()


def test_retryable() -> None:
    assert is_retryable(Deadlock("x"))
    assert is_retryable(TransactionAborted("m", error=Deadlock("x")))
    assert not is_retryable(TransactionAborted("m", error=UniqueViolation("x")))
    assert not is_retryable(UniqueViolation("x"))


def test_split_by_size() -> None:
    assert split_by_size([[1]] * 5, 2, None, ["a"]) == [(0, 2), (2, 4), (4, 5)]
    rows = [["a" * 400_000], ["b" * 400_000], ["c" * 400_000], ["d"]]
    assert split_by_size(rows, 1000, 1_000_000, ["note"], "M") == [(0, 2), (2, 4)]
    with pytest.raises(DataError, match=r"M\.note.*max_allowed_packet of 1000000") as info:
        split_by_size([["ok"], ["x" * 2_000_000]], 1000, 1_000_000, ["note"], "M")
    assert info.value.field == "note"


def test_value_size_bounds_the_escaped_literal() -> None:
    assert value_size("a" * 1000) == 1002
    assert value_size("'" * 1000) == 2002  # every quote is escaped
    assert value_size("é" * 1000) == 2002  # two bytes each in UTF-8
    assert value_size(b"\0" * 1000) == 2010
    assert value_size("ab") >= 2 * 4


def test_an_internal_savepoint_passes_its_failure_on() -> None:
    s = state()
    s.savepoint(internal=True)
    err = UniqueViolation("dup")
    s.fail(err)
    sqls, _, aborted = s.end(False)
    assert aborted is None and sqls[0].startswith("ROLLBACK TO SAVEPOINT")
    with pytest.raises(TransactionAborted) as info:
        s.check()
    assert info.value.error is err
