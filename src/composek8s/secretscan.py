"""Secrets found by what they are: detect-secrets (Yelp) over every value and file the
compiler is about to write, and over manifests in ``check``.

detect-secrets does the detecting: its plugins for basic-auth URLs, private keys, keyword
assignments (``password = …``) and known token formats (AWS, GitHub, GitLab, Slack, Stripe,
JWT, npm, PyPI, OpenAI…), its Shannon entropy for random-looking strings, and its heuristic
filters (templated values, ``$VAR`` references, UUIDs, sequences). This module is the glue:

- plugins are called through ``analyze_string`` only, never ``analyze_line``: that path may
  verify a token against its issuer over the network;
- a value is one line, a file is scanned line by line with the keyword rules of its file
  type (unquoted ``password = x`` in configuration files);
- entropy is measured on whole tokens of at least ``MIN_RANDOM`` characters that mix letters
  and digits and are not hexadecimal: a git SHA or a digest is an identifier, a random
  base64 string is a credential;
- ``redis://:password@host`` has an empty user, which detect-secrets' basic-auth rule needs:
  one pattern here covers it;
- a finding never carries the secret itself, so no message can print it;
- importing detect-secrets costs about a tenth of a second, so a cheap test that is true of
  every string a plugin can flag (``_maybe_secret``) runs first and most values never import it.
"""
from __future__ import annotations

import re
from functools import lru_cache

from msgspec import Struct

SECRET_MARK = "\x00"  # stands for a secret variable inside a value: never a literal credential
MIN_RANDOM = 20  # characters: shorter random-looking tokens are too often names or IDs
ENTROPY_LIMIT = 4.5  # detect-secrets' default for base64 strings
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.\-]{%d,}" % MIN_RANDOM)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_.\-]{%d,}" % MIN_RANDOM)  # every token format is this long…
# …and holds a digit or a capital letter, but these shapes (each plugin's own prefix), which
# tests/test_secretscan.py checks against the plugins with generated text.
_SHORT_TOKENS = re.compile(r"AKC[a-zA-Z0-9]{10}|AP[\dA-F][a-zA-Z0-9]{8}|eyJ|xox[a-z]-|_authToken|\d{8,10}:|"
                           r"hooks\.slack|[rs]k_live_|gh[pousr]_|gl[a-z]{2,5}-", re.I)
_HEX = re.compile(r"^[0-9a-fA-F.\-:]+$")
_EMPTY_USER_AUTH = re.compile(r"://:([^\s/@\x00]+)@")  # redis://:password@host
_USERINFO = re.compile(r"://[^\s/@]*:(?!\x00@)[^\s/@]+@")  # a literal password in a URL
_KEYWORD = re.compile(r"pass|pwd|secret|key|token|auth|cred|priv|contrase", re.I)


class SecretFinding(Struct, frozen=True):
    """What detect-secrets found, where: never the secret itself."""

    kind: str  # the plugin's secret type, e.g. "Basic Auth Credentials"
    line: int = 1  # 1-based line of the text


def scan_value(text: str) -> list[SecretFinding]:
    """Credentials inside one value (an env value, a command word, an annotation)."""
    if not _maybe_secret(text, keywords=False):
        return []
    return _scan(text, None)


def scan_file(text: str, filename: str) -> list[SecretFinding]:
    """Credentials in a file's text (a ConfigMap's content), line by line."""
    if not _maybe_secret(text, keywords=True):
        return []
    return _scan(text, filename)


def _maybe_secret(text: str, keywords: bool) -> bool:
    """False only for text no plugin could flag: no URL password, no private key header, no
    long token mixing letters and digits (every token format and random string has one), and,
    for files, no secret keyword."""
    if "BEGIN" in text or "PuTTY-User-Key-File" in text or _USERINFO.search(text) \
            or _EMPTY_USER_AUTH.search(text) or _SHORT_TOKENS.search(text):
        return True
    if keywords and _KEYWORD.search(text):
        return True
    # A long token with a digit or a capital letter (AKIA…, random strings); not a path of words.
    return any(any(c.isdigit() or c.isupper() for c in m.group()) for m in _CANDIDATE.finditer(text))


def _mixed(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


@lru_cache(maxsize=1)
def _detectors():
    """The plugins, made once (their module imports are the expensive part)."""
    from detect_secrets.filters import heuristic
    from detect_secrets.plugins import (artifactory, aws, azure_storage_key, basic_auth, discord, github_token,
                                        gitlab_token, jwt, keyword, mailchimp, npm, openai, private_key,
                                        pypi_token, sendgrid, slack, square_oauth, stripe, telegram_token,
                                        twilio)
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
    from detect_secrets.util.filetype import determine_file_type

    regex = [basic_auth.BasicAuthDetector(), private_key.PrivateKeyDetector(), aws.AWSKeyDetector(),
             artifactory.ArtifactoryDetector(), azure_storage_key.AzureStorageKeyDetector(),
             discord.DiscordBotTokenDetector(), github_token.GitHubTokenDetector(),
             gitlab_token.GitLabTokenDetector(), jwt.JwtTokenDetector(), mailchimp.MailchimpDetector(),
             npm.NpmDetector(), openai.OpenAIDetector(), pypi_token.PypiTokenDetector(),
             sendgrid.SendGridDetector(), slack.SlackDetector(), square_oauth.SquareOAuthDetector(),
             stripe.StripeDetector(), telegram_token.TelegramBotTokenDetector(), twilio.TwilioKeyDetector()]

    def keyword_rules(filename: str):
        # Configuration files (and files of unknown type) allow unquoted `password = x`.
        kind = determine_file_type(filename)
        return keyword.REGEX_BY_FILETYPE.get(kind, keyword.CONFIG_DENYLIST_REGEX_TO_GROUP)

    return regex, keyword.KeywordDetector(), keyword_rules, Base64HighEntropyString(ENTROPY_LIMIT), heuristic


def _scan(text: str, filename: str | None, prefilter: bool = True) -> list[SecretFinding]:
    found: list[SecretFinding] = []
    detectors = None  # detect-secrets is imported for the first line that may hold a secret
    for number, line in enumerate(text.splitlines() or [""], start=1):
        if prefilter and not _maybe_secret(line, keywords=filename is not None):
            continue
        if detectors is None:
            detectors = _detectors()
        regex, keywords, keyword_rules, entropy, heuristic = detectors
        kinds: list[str] = []
        for plugin in regex:
            if any(_real(s, line, heuristic) for s in plugin.analyze_string(line)):
                kinds.append(plugin.secret_type)
        for secret in _EMPTY_USER_AUTH.findall(line):
            if _real(secret, line, heuristic):
                kinds.append("Basic Auth Credentials")
        if filename is not None:
            if any(_real(s, line, heuristic) for s in keywords.analyze_string(line, keyword_rules(filename))):
                kinds.append(keywords.secret_type)
        for token in _TOKEN.findall(line):
            if _mixed(token) and not _HEX.match(token) and not heuristic.is_potential_uuid(token) \
                    and entropy.calculate_shannon_entropy(token) > entropy.entropy_limit \
                    and _real(token, line, heuristic):
                kinds.append(entropy.secret_type)
        found += [SecretFinding(kind, number) for kind in dict.fromkeys(kinds)]
    return found


def _real(secret: str, line: str, heuristic) -> bool:
    """Not a placeholder: a secret variable, ``${VAR}``/``$VAR``/``<value>``, a sequence."""
    return bool(secret) and SECRET_MARK not in secret and not heuristic.is_templated_secret(secret) \
        and not heuristic.is_prefixed_with_dollar_sign(secret) and not heuristic.is_sequential_string(secret)


def describe(findings: list[SecretFinding]) -> str:
    """The kinds found, in words: ``Basic Auth Credentials, Private Key``."""
    return ", ".join(dict.fromkeys(f.kind for f in findings))
