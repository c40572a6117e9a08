"""C2SP signed notes with Ed25519 keys, and the tlog-checkpoint body they sign.

Formats (c2sp.org/signed-note, c2sp.org/tlog-checkpoint): a verifier key is
``NAME+HASH+BASE64(0x01 || public key)``, a private key
``PRIVATE+KEY+NAME+HASH+BASE64(0x01 || seed)``, the key hash the first four bytes
of SHA-256(NAME || 0x0A || 0x01 || public key). A note is its text (ending in a
newline), an empty line, then signature lines ``— NAME BASE64(hash || signature)``.
Lines signed by keys the verifier does not know are kept and ignored, so that
witnesses can cosign. The Ed25519 primitive is the ``cryptography`` package's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eventlog.errors import BadNote
from eventlog.merkle import HASH_SIZE

ALG_ED25519 = 1
SIG_PREFIX = "\u2014 "  # an em dash and a space
MAX_SIGNATURES = 100


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadNote(what, "not standard base64") from None


def check_name(name: str, what: str = "key name") -> str:
    """A key name (or origin): non-empty, printable, no whitespace and no '+'."""
    if not name or "+" in name or any(c.isspace() or not c.isprintable() for c in name):
        raise BadNote(
            what, f"{name!r} must be non-empty, without spaces, '+' or control characters"
        )
    return name


def key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class Verifier:
    """A C2SP Ed25519 verifier key."""

    name: str
    hash: bytes
    public: bytes

    def __str__(self) -> str:
        return f"{self.name}+{self.hash.hex()}+{b64(bytes([ALG_ED25519]) + self.public)}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """Parse ``NAME+HASH+BASE64``; raises ``BadNote`` saying what is wrong."""
        text = text.strip()
        name, _, rest = text.partition("+")
        hexhash, _, key64 = rest.partition("+")
        check_name(name, "verifier key name")
        if len(hexhash) != 8 or any(c not in "0123456789abcdef" for c in hexhash):
            raise BadNote("verifier key", "the key hash must be 8 lowercase hex digits")
        key = unb64(key64, "verifier key")
        if len(key) != 33 or key[0] != ALG_ED25519:
            raise BadNote("verifier key", "not an Ed25519 key (algorithm 1, 32 bytes)")
        public = key[1:]
        if key_hash(name, public) != bytes.fromhex(hexhash):
            raise BadNote("verifier key", "the key hash does not match the name and key")
        return cls(name, bytes.fromhex(hexhash), public)

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signer:
    """A C2SP Ed25519 private key (the seed) and the verifier key it answers to."""

    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, key_hash(self.name, public), public)

    def __str__(self) -> str:
        v = self.verifier
        return f"PRIVATE+KEY+{self.name}+{v.hash.hex()}+{b64(bytes([ALG_ED25519]) + self.seed)}"

    @classmethod
    def generate(cls, name: str) -> Signer:
        check_name(name)
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+NAME+HASH+BASE64``; raises ``BadNote`` saying what is wrong."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise BadNote("private key", "expected PRIVATE+KEY+NAME+HASH+BASE64")
        name, hexhash, key64 = parts[2:]
        check_name(name, "private key name")
        key = unb64(key64, "private key")
        if len(key) != 33 or key[0] != ALG_ED25519:
            raise BadNote("private key", "not an Ed25519 key (algorithm 1, 32-byte seed)")
        signer = cls(name, key[1:])
        if signer.verifier.hash.hex() != hexhash:
            raise BadNote("private key", "the key hash does not match the name and key")
        return signer

    def sign(self, text: str) -> str:
        """The signature line for ``text`` (with its newline)."""
        sig = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        return f"{SIG_PREFIX}{self.name} {b64(self.verifier.hash + sig)}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed signed note: its text and every signature line as (name, hash, signature)."""

    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]

    @classmethod
    def parse(cls, raw: bytes | str) -> Note:
        """Split a note into text and signature lines; raises ``BadNote`` if malformed."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadNote("signed note", "not UTF-8") from None
        if any(not c.isprintable() and c != "\n" for c in raw):
            raise BadNote("signed note", "holds a control character")
        cut = raw.rfind("\n\n")
        if cut < 0 or not raw.endswith("\n"):
            raise BadNote("signed note", "no empty line before the signatures, or no final newline")
        text, block = raw[: cut + 1], raw[cut + 2 :]
        signatures = []
        for line in block[:-1].split("\n"):
            if not line.startswith(SIG_PREFIX):
                raise BadNote("signed note", f"not a signature line: {line[:40]!r}")
            name, sep, sig64 = line[len(SIG_PREFIX) :].partition(" ")
            check_name(name, "signature name")
            blob = unb64(sig64, "signature") if sep else b""
            if len(blob) < 5:
                raise BadNote("signed note", f"signature of {name} is too short")
            signatures.append((name, blob[:4], blob[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise BadNote("signed note", f"more than {MAX_SIGNATURES} signatures")
        return cls(text, tuple(signatures))

    def verified_by(self, key: Verifier) -> bool:
        """Whether ``key`` signs the text: it has a line, and every line of its name and hash
        verifies (signed-note: a known key's bad line rejects the note); lines of other keys
        are ignored."""
        mine = [
            sig for name, khash, sig in self.signatures if name == key.name and khash == key.hash
        ]
        text = self.text.encode()
        return bool(mine) and all(key.verify(text, sig) for sig in mine)


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    """The signed text of a C2SP tlog-checkpoint: origin, tree size, root hash, extensions."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        lines = text.split("\n")[:-1]
        if len(lines) < 3 or any(not line for line in lines):
            raise BadNote("checkpoint", "expected origin, tree size and root hash lines")
        origin, size, root64 = lines[:3]
        if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise BadNote(
                "checkpoint", f"tree size {size!r} is not a decimal without leading zeros"
            )
        root = unb64(root64, "checkpoint root hash")
        if len(root) != HASH_SIZE:
            raise BadNote("checkpoint", "the root hash is not 32 bytes")
        return cls(origin, int(size), root, tuple(lines[3:]))


def open_checkpoint(raw: bytes | str, key: Verifier) -> tuple[CheckpointBody, Note]:
    """Parse a signed checkpoint and check ``key`` signed it; raises ``BadNote`` otherwise."""
    note = Note.parse(raw)
    body = CheckpointBody.parse(note.text)
    if not note.verified_by(key):
        raise BadNote("checkpoint", f"no valid signature by {key.name}+{key.hash.hex()}")
    return body, note
