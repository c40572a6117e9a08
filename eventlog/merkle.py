"""The RFC 9162 section 2.1 Merkle tree over the log's lines, and its proofs.

Leaf ``seq - 1`` is line ``seq`` (its exact bytes without the newline); a leaf
hashes as SHA-256(0x00 || line), a node as SHA-256(0x01 || left || right). The
functions here are pure: the hashes of complete subtrees come from a ``Nodes``
callable (a store, or a list in tests), so that a proof reads O(log n) of them
instead of the whole log. The verifiers are RFC 9162 sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree (RFC 9162: the hash of the empty string)."""

Nodes = Callable[[int, int], bytes]
"""``nodes(level, index)``: the hash of the complete subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``."""


def leaf_hash(line: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(lo: int, hi: int, nodes: Nodes) -> bytes:
    """MTH of leaves ``[lo, hi)``, from the complete subtrees that tile the range.

    ``[lo, hi)`` is a subtree RFC 9162's recursion reaches: its left parts are
    complete and aligned, so at most O(log n) stored hashes are read.
    """
    if hi <= lo:
        return EMPTY_ROOT
    size = hi - lo
    if size & (size - 1) == 0 and lo % size == 0:
        level = size.bit_length() - 1
        return nodes(level, lo >> level)
    k = split(size)
    return node_hash(range_hash(lo, lo + k, nodes), range_hash(lo + k, hi, nodes))


def inclusion_path(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1, from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            path.append(range_hash(lo + k, hi, nodes))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k, nodes))
            lo += k
    path.reverse()
    return path


def consistency_path(old: int, new: int, nodes: Nodes) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 2.1.4.1 (empty when old is 0 or old == new)."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    proof: list[bytes] = []  # built outermost first, reversed at the end
    lo, hi, m, whole = 0, new, old, True
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            proof.append(range_hash(lo + k, hi, nodes))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, nodes))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(range_hash(lo, hi, nodes))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: whether ``path`` proves leaf hash ``leaf`` at ``index`` under ``root``."""
    if not 0 <= index < size or any(len(h) != HASH_SIZE for h in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether ``proof`` shows tree (old, old_root) is a prefix of the new."""
    if not 0 <= old <= new or any(len(h) != HASH_SIZE for h in proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The complete subtrees left of the next leaf: a root in O(log n) without a store.

    Starting from the frontier of a trusted tree (its hashes checked against a
    signed root) and fed the log's lines after it, ``root()`` is re-derived from
    the log's bytes, never from a stored hash that nothing vouched for.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.size = size
        self.stack: list[tuple[int, bytes]] = []
        sizes = [1 << b for b in range(size.bit_length() - 1, -1, -1) if size >> b & 1]
        given = list(hashes)
        if len(given) != len(sizes):
            raise ValueError(f"a tree of size {size} has {len(sizes)} frontier hashes")
        self.stack = list(zip(sizes, given, strict=True))

    @classmethod
    def of(cls, size: int, nodes: Nodes) -> Frontier:
        """The frontier of the tree of ``size`` leaves, read from ``nodes``."""
        hashes, lo = [], 0
        for b in range(size.bit_length() - 1, -1, -1):
            if size >> b & 1:
                hashes.append(nodes(b, lo >> b))
                lo += 1 << b
        return cls(size, hashes)

    def append(self, leaf: bytes) -> None:
        stack = self.stack
        stack.append((1, leaf))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (n, right), (_, left) = stack.pop(), stack.pop()
            stack.append((2 * n, node_hash(left, right)))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        r = self.stack[-1][1]
        for _, h in reversed(self.stack[:-1]):
            r = node_hash(h, r)
        return r


def tree_root(leaves: Iterable[bytes]) -> bytes:
    """MTH over raw leaf data (the log's lines), in one pass."""
    frontier = Frontier()
    for line in leaves:
        frontier.append(leaf_hash(line))
    return frontier.root()
