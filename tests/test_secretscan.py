"""The detector's glue: what it finds, what it leaves plain, and that its cheap prefilter
never hides a finding of detect-secrets' plugins."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composek8s import secretscan
from composek8s.secretscan import SECRET_MARK, scan_file, scan_value

FOUND = {
    "postgres://app:s3cr3tPassw0rd@db/app": "Basic Auth Credentials",
    "redis://:hunter2xyz@cache:6379": "Basic Auth Credentials",
    "AKIAIOSFODNN7EXAMPLE": "AWS Access Key",
    "ghp_1234567890abcdefghijABCDEFGHIJ123456": "GitHub Token",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc": "Stripe Access Key",
    "-----BEGIN RSA PRIVATE KEY-----": "Private Key",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U": "JSON Web Token",
    "xQ9zK2mP7vL4nB8wR3tY6uI1oE5aS0dF": "Base64 High Entropy String",
}
PLAIN = ["redis://cache:6379/0", "postgres://app@db/app", "https://example.com/keys/key.pub",
         "9fceb02d0ae598e95dc970b74767f19372d61af8", "123e4567-e89b-12d3-a456-426614174000", "info",
         "postgresql://atlantiplex:" + SECRET_MARK + "@postgres:5432/atlantiplex", "-Xms512m -Xmx512m",
         "registry.example.com/team/app:1.2.3-alpine", "/usr/share/elasticsearch/config/elasticsearch.yml",
         "sha256:9fceb02d0ae598e95dc970b74767f19372d61af89fceb02d0ae598e9", "${DB_PASSWORD}", "$(DB_PASSWORD)"]


@pytest.mark.parametrize("text, kind", sorted(FOUND.items()))
def test_credentials_are_found_by_kind(text, kind):
    assert kind in [f.kind for f in scan_value(text)]


@pytest.mark.parametrize("text", PLAIN)
def test_ordinary_configuration_stays_plain(text):
    assert scan_value(text) == []


def test_a_finding_never_holds_the_secret():
    [finding] = scan_value("https://admin:s3cr3t-value@api")
    assert "s3cr3t-value" not in repr(finding)


def test_files_are_scanned_line_by_line_with_their_type_s_keyword_rules():
    assert [(f.kind, f.line) for f in scan_file("[db]\nhost = db\npassword = Tr0ub4dor&3\n", "app.ini")] == \
        [("Secret Keyword", 3)]
    assert scan_file("password = ${DB_PASSWORD}\n", "app.ini") == []  # a reference, not a value
    assert scan_file("server {\n  proxy_pass http://backend:8000;\n}\n", "default.conf") == []


# The prefilter only decides whether to run the plugins at all: it must be true of every text
# they would flag. Texts built from the pieces credentials are made of, and random ones.
PIECES = st.sampled_from(["postgres://", "u", ":", "pw", "@", "db", "/", "AKIA", "IOSFODNN7EXAMPLE", "ghp_",
                          "1234567890abcdefghijABCDEFGHIJ123456", "-----BEGIN ", "PRIVATE KEY-----", " ",
                          "xQ9zK2mP7vL4nB8wR3tY6uI1oE5aS0dF", "sk_live_", "4eC39HqLyjWDarjtT1zdp7dc", "AKC",
                          "a1b2c3d4e5f6", "=", "password", "eyJhbGciOiJIUzI1NiJ9.", "xoxb-", "1234-5678-abcd",
                          "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop", "12345678:", "sk_live_", "ghp_", "glpat-",
                          "AC", "SG.", "//registry/:_authToken=", "-us1", "AKCabcdefghijk", "APBabcdefgh"])
TEXTS = st.one_of(st.lists(PIECES, max_size=8).map("".join),
                  st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80))


@settings(max_examples=int(os.environ.get("COMPOSEK8S_PROPERTY_EXAMPLES", "300")), deadline=None)
@given(TEXTS)
def test_the_prefilter_never_hides_a_finding(text):
    for is_file in (False, True):
        if secretscan._scan(text, "x.conf" if is_file else None, prefilter=False):
            assert secretscan._maybe_secret(text, keywords=is_file), text
