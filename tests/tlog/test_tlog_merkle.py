"""The tree, its store and its proofs against an RFC 9162 reference written here, from the RFC."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlog.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_path,
    inclusion_path,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from eventlog.reader import EMPTY, Position
from eventlog.tree import TreeStore

# -- RFC 9162 section 2.1, transcribed independently of eventlog.merkle ------------------


def ref_leaf(d: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + d).digest()


def ref_node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return ref_leaf(d[0])
    k = ref_k(len(d))
    return ref_node(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(d)) else ref_subproof(m, d, True)


def ref_verify_inclusion(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = ref_node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = ref_node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def ref_verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2, step by step (sizes 0 < first < second)."""
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = ref_node(c, fr), ref_node(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = ref_node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


# -- a real store fed the lines --------------------------------------------------------


def store_of(tmp: Path, lines: list[bytes]) -> TreeStore:
    """A TreeStore holding ``lines``, appended one batch at a time as an append would."""
    store = TreeStore(tmp)
    store.reset()
    pos, seq, offset = EMPTY, 0, 0
    for start in range(0, len(lines), 7):  # batches of up to 7 lines
        batch = lines[start : start + 7]
        seq += len(batch)
        offset += sum(len(b) + 1 for b in batch)
        after = Position(seq, offset, hashlib.sha256(batch[-1]).hexdigest())
        assert store.extend(pos, batch, after)
        pos = after
    return store


logs = st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=64)


def flipped(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@settings(max_examples=8, deadline=None)
@given(lines=logs)
def test_every_inclusion_proof_at_every_size_verifies(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]
) -> None:
    """Every leaf's proof at every size equals RFC 9162's PATH and verifies in both verifiers."""
    store = store_of(tmp_path_factory.mktemp("t"), lines)
    for size in range(1, len(lines) + 1):
        root = ref_mth(lines[:size])
        assert Frontier.of(size, store.node).root() == root
        for i in range(size):
            path = inclusion_path(i, size, store.node)
            assert path == ref_path(i, lines[:size])
            assert ref_verify_inclusion(ref_leaf(lines[i]), i, size, path, root)
            assert verify_inclusion(ref_leaf(lines[i]), i, size, path, root)
    store.close()


@settings(max_examples=8, deadline=None)
@given(lines=logs)
def test_every_consistency_proof_between_sizes_verifies(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]
) -> None:
    """Every pair of sizes m <= n gets RFC 9162's PROOF(m, n), and it verifies in both."""
    store = store_of(tmp_path_factory.mktemp("t"), lines)
    roots = [ref_mth(lines[:n]) for n in range(len(lines) + 1)]
    for n in range(len(lines) + 1):
        for m in range(n + 1):
            proof = consistency_path(m, n, store.node)
            assert proof == ref_proof(m, lines[:n])
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            if 0 < m < n:
                assert ref_verify_consistency(m, n, roots[m], roots[n], proof)
    store.close()


def test_all_sizes_up_to_64_against_the_reference(tmp_path: Path) -> None:
    """A 64-line log: every inclusion and consistency proof at every size matches and verifies."""
    lines = [b'{"seq":%d}' % n for n in range(1, 65)]
    store = store_of(tmp_path, lines)
    for n in range(1, 65):
        root = ref_mth(lines[:n])
        assert tree_root(lines[:n]) == root
        for i in range(n):
            assert ref_verify_inclusion(
                ref_leaf(lines[i]), i, n, inclusion_path(i, n, store.node), root
            )
        for m in range(1, n):
            assert ref_verify_consistency(
                m, n, ref_mth(lines[:m]), root, consistency_path(m, n, store.node)
            )
    store.close()


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    """RFC 9162: the empty tree's root is SHA-256 of the empty string."""
    assert tree_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@settings(max_examples=10, deadline=None)
@given(lines=st.lists(st.binary(max_size=20), min_size=2, max_size=40), data=st.data())
def test_a_flipped_byte_in_a_proof_root_or_line_fails(
    lines: list[bytes], data: st.DataObject
) -> None:
    """Flipping any byte of an inclusion or consistency proof, a root or the line fails it."""
    n = len(lines)
    nodes = _nodes(lines)
    i = data.draw(st.integers(0, n - 1))
    root, path = ref_mth(lines), inclusion_path(i, n, nodes)
    leaf = ref_leaf(lines[i])
    assert verify_inclusion(leaf, i, n, path, root)
    for j, h in enumerate(path):
        for b in range(32):
            bad = [*path[:j], flipped(h, b), *path[j + 1 :]]
            assert not verify_inclusion(leaf, i, n, bad, root)
    for b in range(32):
        assert not verify_inclusion(leaf, i, n, path, flipped(root, b))
    changed = lines[i] + b"x"
    assert not verify_inclusion(ref_leaf(changed), i, n, path, root)
    m = data.draw(st.integers(1, n - 1))
    old = ref_mth(lines[:m])
    proof = consistency_path(m, n, nodes)
    assert verify_consistency(m, n, old, root, proof)
    for j, h in enumerate(proof):
        for b in range(32):
            bad = [*proof[:j], flipped(h, b), *proof[j + 1 :]]
            assert not verify_consistency(m, n, old, root, bad)
    for b in range(32):
        assert not verify_consistency(m, n, flipped(old, b), root, proof)
        assert not verify_consistency(m, n, old, flipped(root, b), proof)


def _nodes(lines: list[bytes]):  # type: ignore[no-untyped-def]
    def nodes(level: int, idx: int) -> bytes:
        return ref_mth(lines[idx << level : (idx + 1) << level])

    return nodes


def test_proofs_for_impossible_sizes_are_refused() -> None:
    """A leaf outside the tree, or an old size larger than the new one, has no proof."""
    nodes = _nodes([b"a", b"b"])
    with pytest.raises(ValueError):
        inclusion_path(2, 2, nodes)
    with pytest.raises(ValueError):
        consistency_path(3, 2, nodes)
    assert not verify_inclusion(ref_leaf(b"a"), 2, 2, [], ref_mth([b"a", b"b"]))
    assert not verify_consistency(3, 2, EMPTY_ROOT, EMPTY_ROOT, [])


@settings(max_examples=6, deadline=None)
@given(batches=st.lists(st.integers(1, 9), min_size=1, max_size=12))
def test_a_store_caught_up_after_any_appends_holds_the_tree(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int]
) -> None:
    """Events appended in any batches, the store caught up after each: the RFC 9162 tree."""
    from tlog_helpers import add_events, log_lines

    from eventlog.reader import log_file
    from eventlog.store import init_log
    from eventlog.tail import read_tail

    log = tmp_path_factory.mktemp("log")
    init_log(log)
    start = 1
    for count in batches:
        add_events(log, start, count)
        start += count
        with TreeStore(log) as store:
            store.sync(log_file(log), read_tail(log_file(log)).position)
    lines = log_lines(log)
    with TreeStore(log) as store:
        for n in range(1, len(lines) + 1):
            root = ref_mth(lines[:n])
            assert Frontier.of(n, store.node).root() == root
            for i in range(n):
                assert ref_verify_inclusion(
                    ref_leaf(lines[i]), i, n, inclusion_path(i, n, store.node), root
                )
