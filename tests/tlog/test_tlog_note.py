"""C2SP signed notes and keys: the Go sumdb/note test vectors, and every mangling refused."""

from __future__ import annotations

import pytest

from eventlog.errors import BadNote
from eventlog.note import CheckpointBody, Note, Signer, Verifier, key_hash, open_checkpoint

# golang.org/x/mod/sumdb/note note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
    "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5o"
    "vTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)


def test_go_vector_keys_parse_and_match() -> None:
    """The Go vectors' private key answers to their verifier key, hash included."""
    signer = Signer.parse(PETER_SKEY)
    assert str(signer.verifier) == PETER_VKEY
    assert str(Verifier.parse(PETER_VKEY)) == PETER_VKEY
    assert str(signer) == PETER_SKEY


def test_go_vector_signature_is_reproduced() -> None:
    """Signing the Go vectors' text gives their exact signature line (Ed25519 is deterministic)."""
    assert Signer.parse(PETER_SKEY).sign(TEXT) == PETER_SIG


def test_go_vector_note_verifies_and_ignores_unknown_signers() -> None:
    """A note signed by Peter and Enoch verifies under either key; the other's line is ignored."""
    note = Note.parse(TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert note.text == TEXT
    assert [name for name, _, _ in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert note.verified_by(Verifier.parse(PETER_VKEY))
    assert note.verified_by(Verifier.parse(ENOCH_VKEY))


def test_a_corrupted_signature_does_not_verify() -> None:
    """The Go vectors' 'ABCD' inserted in the signature, or any flipped character, fails."""
    peter = Verifier.parse(PETER_VKEY)
    assert not Note.parse(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).verified_by(peter)
    for i in range(len("\u2014 PeterNeumann "), len(PETER_SIG) - 2):
        bad = PETER_SIG[:i] + ("A" if PETER_SIG[i] != "A" else "B") + PETER_SIG[i + 1 :]
        try:
            note = Note.parse(TEXT + "\n" + bad)
        except BadNote:
            continue
        assert not note.verified_by(peter)


def test_a_changed_text_does_not_verify() -> None:
    """Changing one character of the signed text breaks the signature."""
    note = Note.parse(TEXT.replace("answer", "answEr") + "\n" + PETER_SIG)
    assert not note.verified_by(Verifier.parse(PETER_VKEY))


@pytest.mark.parametrize(
    "raw",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
        "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
)
def test_go_vector_malformed_notes_are_refused(raw: str) -> None:
    """The Go vectors' malformed notes are refused as malformed."""
    with pytest.raises(BadNote):
        Note.parse(raw)


def test_mangled_verifier_keys_are_refused() -> None:
    """Any one character of the verifier key changed, or any cut, is refused (as in Go)."""
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(BadNote):
            Verifier.parse(mangled)
    for cut in range(1, len(PETER_VKEY)):
        with pytest.raises(BadNote):
            Verifier.parse(PETER_VKEY[:cut])


def test_generated_keys_round_trip_and_hash_as_c2sp_says() -> None:
    """A new key's text parses back, and its hash is SHA-256(name, 0x0A, 0x01, key)[:4]."""
    signer = Signer.generate("example.org/log")
    again = Signer.parse(str(signer))
    assert again == signer
    v = signer.verifier
    assert v.hash == key_hash("example.org/log", v.public)
    assert Verifier.parse(str(v)) == v
    assert str(signer).startswith("PRIVATE+KEY+example.org/log+" + v.hash.hex() + "+")


def test_key_names_with_spaces_or_plus_are_refused() -> None:
    """C2SP key names carry no whitespace and no '+'."""
    for name in ("", "a b", "a+b", "tab\there"):
        with pytest.raises(BadNote):
            Signer.generate(name)


def test_checkpoint_body_round_trips_and_is_checked() -> None:
    """A checkpoint body prints as origin, size, base64 root; bad sizes and roots are refused."""
    body = CheckpointBody("example.org/log", 42, bytes(range(32)))
    assert str(body) == "example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert CheckpointBody.parse(str(body)) == body
    for bad in (
        "o\n042\nAAAA\n",
        "o\n1\nAAAA\n",
        "o\n-1\n" + str(body).split("\n")[2] + "\n",
        "o\n1\n",
    ):
        with pytest.raises(BadNote):
            CheckpointBody.parse(bad)


def test_a_checkpoint_needs_the_expected_signer() -> None:
    """open_checkpoint refuses a checkpoint no signature line of the key signs."""
    signer, other = Signer.generate("log"), Signer.generate("log")
    text = str(CheckpointBody("log", 1, bytes(32)))
    note = text + "\n" + other.sign(text)
    with pytest.raises(BadNote, match="no valid signature"):
        open_checkpoint(note, signer.verifier)
    body, _ = open_checkpoint(note + signer.sign(text), signer.verifier)
    assert body.size == 1


# c2sp.org/signed-note and c2sp.org/tlog-checkpoint: their examples (no verifier key is given)
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 "
    "subito sera.\n\n\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i"
    "5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7"
    "u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def test_spec_note_text_ends_at_the_last_empty_line() -> None:
    """The signed-note example: its text keeps its own empty line; one signature line."""
    note = Note.parse(SPEC_NOTE)
    assert note.text.endswith("\n\ned \u00e8 subito sera.\n")
    assert [(n, len(sig)) for n, _, sig in note.signatures] == [("quasimodo.example/salvatore", 64)]


def test_spec_checkpoint_parses() -> None:
    """The tlog-checkpoint example: origin, tree size and a 32-byte root hash."""
    body = CheckpointBody.parse(Note.parse(SPEC_CHECKPOINT).text)
    assert (body.origin, body.size, len(body.root)) == ("example.com/behind-the-sofa", 20852163, 32)
    assert str(body) == SPEC_CHECKPOINT[: SPEC_CHECKPOINT.index("\n\n") + 1]


def test_a_known_keys_bad_line_rejects_the_note() -> None:
    """A second line of the same key that fails to verify rejects the note (signed-note)."""
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    assert not Note.parse(TEXT + "\n" + PETER_SIG + bad).verified_by(Verifier.parse(PETER_VKEY))
    assert Note.parse(TEXT + "\n" + PETER_SIG + PETER_SIG).verified_by(Verifier.parse(PETER_VKEY))
