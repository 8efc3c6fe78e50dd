"""The one redaction function: secrets never leave, metadata stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrascan import redact
from infrascan.redact import _SUSPICIOUS, PLACEHOLDER, REDACTED, is_secret_key, looks_secret, scrub, value

SECRETS = [
    "AKIAIOSFODNN7EXAMPLE",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "SG.abcdefghijklmnop.qrstuvwxyz0123456789ABCDEFGHIJ",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "3f9a7c2e1b8d4f6a0c5e9b2d7a1f4c8e",
    # lowercase hex and base36 keys are runs of letters and digits, not camelCase words
    "05daff68d1e9a98882cdfc887bcedc66",
    "ac9f3k2m8x7q1w5e4r6t0y9u2i8o3p7a5s1d6f4g",
]


def test_random_hex_and_base36_keys_are_not_read_as_names() -> None:
    import random
    import string

    rng = random.Random(7)
    for alphabet, length in ((string.hexdigits.lower()[:16], 32), (string.ascii_lowercase + string.digits, 40)):
        for _ in range(2000):
            token = "".join(rng.choice(alphabet) for _ in range(length))
            assert not redact._looks_like_a_name(token), token


@pytest.mark.parametrize("secret", SECRETS)
def test_known_shapes_and_high_entropy_values_are_scrubbed(secret: str) -> None:
    out = scrub(f"token in text: {secret} (end)")
    assert secret not in out
    assert REDACTED in out
    assert looks_secret(secret)


def test_urls_with_credentials_keep_scheme_and_host_only() -> None:
    assert scrub("postgres://app:s3cr3t@db.internal:5432/app?sslmode=require") == "postgres://db.internal"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.vercel.com/v1/integrations/deploy/prj_FTkLiRiaUuTNfHoFkpFUQ9D5z8BK/Ulb8VhbQ7X", "api.vercel.com"),
        ("https://api.netlify.com/build_hooks/5c23354f454e1350f8543e78", "api.netlify.com"),
        ("https://api.render.com/deploy/srv-abc123?key=Zx9QwErTy", "api.render.com"),
    ],
)
def test_deploy_hook_urls_are_credentials(url: str, host: str) -> None:
    # anyone holding one deploys: shown since the deploy-hook rules made such curls deployments;
    # written without its scheme too (curl's default)
    assert scrub(f"curl -X POST -d {{}} {url}") == f"curl -X POST -d {{}} https://{host}/{REDACTED}"
    bare = url.split("://", 1)[1]
    assert scrub(f"curl -X POST -d {{}} {bare}") == f"curl -X POST -d {{}} https://{host}/{REDACTED}"


def test_webhook_urls_lose_their_path() -> None:
    out = scrub("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX")
    assert out == f"https://hooks.slack.com/{REDACTED}"


def test_pem_blocks_are_scrubbed() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert scrub(f"key: {pem}") == f"key: {REDACTED}"


def test_assignments_flags_and_headers_with_secret_names() -> None:
    assert scrub("API_TOKEN=abc123 make deploy") == f"API_TOKEN={REDACTED} make deploy"
    assert scrub("mysql --password hunter2 db") == f"mysql --password {REDACTED} db"
    assert scrub('curl -H "Authorization: Bearer abc" x') == f'curl -H "Authorization: Bearer {REDACTED}" x'
    assert scrub("deploy --token $DEPLOY_TOKEN") == "deploy --token $DEPLOY_TOKEN"
    assert scrub("API_TOKEN = 'abc123'") == f"API_TOKEN = {REDACTED}"


def test_a_comparison_is_not_an_assignment() -> None:
    """penpot's `if: needs.detect-changes.outputs.colors_to_tokens == 'true'` came out as
    `colors_to_tokens =[redacted] 'true'`: the second `=` taken for the value."""
    condition = "needs.detect-changes.outputs.colors_to_tokens == 'true'"
    assert scrub(condition) == condition
    assert scrub("github.event.inputs.token === 'x'") == "github.event.inputs.token === 'x'"


@pytest.mark.parametrize("text", [
    "postgres@sha256:4f2c3a0e2f9a4c1d9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e",
    "actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab",
    "ghcr.io/acme/payments-service:1.2.3",
    "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
    "uses the GitHub token for auth",
    "terraform-aws-modules/rds-aurora/aws",
    # kube-prometheus-stack's values key, in a "rendered when" condition
    "defaultRules.rules.k8sContainerCpuUsageSecondsTotal: true",
])
def test_infrascan_metadata_and_ordinary_text_survive(text: str) -> None:
    assert scrub(text) == text


def test_values_of_secret_keys_are_never_shown() -> None:
    assert value("DB_PASSWORD", "hunter2") == REDACTED
    assert value("STRIPE_SECRET_KEY", "changeme") == PLACEHOLDER
    assert value("LOG_LEVEL", "debug") == "debug"
    assert is_secret_key("SENTRY_DSN") and is_secret_key("webhook_url") and not is_secret_key("LOG_LEVEL")
    # a DynamoDB table's schema keys name attributes (terragrunt-infrastructure-live-stacks-example)
    assert value("hash_key", "Id") == "Id" and value("range_key", "CreatedAt") == "CreatedAt"
    assert is_secret_key("signing_key") and is_secret_key("ssh_key") and is_secret_key("encryption_key")
    # a name that only ends so is a key that locks something (code review of 4021612)
    for name in ("COOKIE_HASH_KEY", "SESSION_HASH_KEY", "primary_key", "AZURE_STORAGE_PRIMARY_KEY",
                 "cosmos_primary_key"):
        assert value(name, "hunter2-value") == REDACTED, name


def test_secret_words_are_found_in_any_case_and_under_unicode_case_folding() -> None:
    # IGNORECASE matches `ſ` to `s` and the Kelvin sign to `k`: the cheap word test must not skip them.
    assert scrub("mysql --paſſword hunter2 db") == f"mysql --paſſword {REDACTED} db"
    assert scrub("Stripe_Api\u212aey=abc123 x") == f"Stripe_Api\u212aey={REDACTED} x"
    assert scrub("MyApiKey=abc123 x") == f"MyApiKey={REDACTED} x"


def _scrub_every_pattern(text: str) -> str:
    """scrub as specified: every pattern applied, without the literal checks that skip them."""
    from infrascan import redact as r

    text = r._PEM.sub(REDACTED, text)
    text = r._URL_WITH_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}", text)
    text = r._SECRET_URL.sub(lambda m: f"https://{m.group(1).split('/')[0]}/{REDACTED}", text)
    text = r._TOKEN_SHAPES.sub(REDACTED, text)
    for pattern in (r._USER_PASSWORD, r._COMPOSER_AUTH, r._SECRET_ASSIGNMENT, r._SECRET_FLAG, r._AUTH_HEADER):
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return r._CANDIDATE.sub(r._scrub_candidate, text)


_PIECES = ["-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "https://", "user:pw@", "db.io",
           "hooks.slack.com/services/T0/B0/x", "=", "-", "--token ", "API_KEY", "Authorization: Bearer ", " ", ":",
           "@", "/", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "abc", "secret", "'v'", "\n", "sha256:",
           "--paſſword ", "ApiKey", "PWD", "-", "-u ", "--user=", "admin:", "composer config ", "http-basic.h u ",
           "github-oauth.h ", "1000"]


@pytest.mark.parametrize("seed", range(40))
def test_skipping_patterns_by_literal_never_changes_what_is_scrubbed(seed: int) -> None:
    import random

    rng = random.Random(seed)
    for _ in range(50):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8)))
        if _SUSPICIOUS.search(text):  # text without any of these is returned as is, before any pattern
            assert scrub(text) == _scrub_every_pattern(text), text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([redact._SECRET_ASSIGNMENT, redact._SECRET_FLAG, redact._AUTH_HEADER]).flatmap(
    lambda pattern: st.from_regex(pattern, alphabet=st.characters(max_codepoint=127))))
def test_every_text_a_secret_pattern_matches_holds_one_of_the_words_that_let_it_be_tried(matched: str) -> None:
    """_may_name_a_secret spares ASCII text without a secret word the three patterns: a word added
    to a pattern and not to _SECRET_WORDS would let its secrets through unredacted."""
    assert redact._may_name_a_secret(matched)


def test_a_quoted_variable_reference_is_shown_as_written() -> None:
    # aws-ecs-fargate (Bitbucket): `--build-arg NPM_TOKEN="${NODE_NPM_TOKEN}"` names a variable; the
    # quote lost its match with the file when it read `NPM_TOKEN=[redacted]`.
    assert scrub('docker build --build-arg NPM_TOKEN="${NODE_NPM_TOKEN}" .') == \
        'docker build --build-arg NPM_TOKEN="${NODE_NPM_TOKEN}" .'
    assert scrub('deploy --token "$DEPLOY_TOKEN"') == 'deploy --token "$DEPLOY_TOKEN"'
    assert scrub('NPM_TOKEN="npm-abc123def456"') == "NPM_TOKEN=[redacted]"
    assert scrub("NPM_TOKEN='$not_expanded_in_single_quotes'") == "NPM_TOKEN=[redacted]"


def test_a_password_glued_to_a_mysql_clients_p_flag_is_removed() -> None:
    # a compose migration service's `mysql -uroot -pRootPass123 app < schema.sql` reached the document
    assert "RootPass" not in scrub('sh -c "mysql -h db -uroot -pRootPass123 app < /sql/schema.sql"')
    assert "abc" not in scrub("mysql -h db -P 3306 -pabc db")
    assert scrub("mysqldump -u root -p$MYSQL_PASSWORD db") == "mysqldump -u root -p$MYSQL_PASSWORD db"
    assert scrub("docker run -p 8080:80 mysql") == "docker run -p 8080:80 mysql"


def test_user_passwords_and_composer_credentials_in_commands_are_removed() -> None:
    # the code review's repro: a Platform.sh cron and build hook printed both as written
    assert scrub("curl -u admin:hunter2xyz99Q https://api.example.com/sync") == \
        "curl -u admin:[redacted] https://api.example.com/sync"
    assert scrub("wget --user=deploy:pw1 host/file") == "wget --user=deploy:[redacted] host/file"
    assert scrub('curl -u "$USER:$PASS" host') == 'curl -u "$USER:$PASS" host'  # variables, as written
    assert scrub("composer config http-basic.repo.example.com deploy Zx9!kPq2#Lm7vR4t") == \
        "composer config http-basic.repo.example.com deploy [redacted]"
    assert scrub("composer config -g github-oauth.github.com ghp_abcdef") == \
        "composer config -g github-oauth.github.com [redacted]"
    assert scrub("composer config --auth gitlab-token.gitlab.com $GITLAB_TOKEN") == \
        "composer config --auth gitlab-token.gitlab.com $GITLAB_TOKEN"
    assert scrub("docker run -u 1000:1000 image") == "docker run -u 1000:1000 image"  # a uid and gid
