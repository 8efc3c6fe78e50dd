"""The Trellis detector: each environment's WordPress site hosts as its URL."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_tree, scan_tree, texts

SITE = """\
# modelled on 40Q/40q-university's trellis/group_vars/{env}/wordpress_sites.yml
wordpress_sites:
  shop.acme.org:
    site_hosts:
      - canonical: {host}
        redirects:
          - www.{host}
    local_path: ../site
    repo: git@github.com:acme/shop.git
    branch: {branch}
    ssl:
      enabled: {ssl}
      provider: letsencrypt
"""


def site(env: str, host: str, ssl: bool, branch: str = "main") -> str:
    return SITE.format(env=env, host=host, ssl=str(ssl).lower(), branch=branch)


def test_each_environment_s_canonical_host_is_its_url(tmp_path: Path) -> None:
    # 40q-university: production, staging and development URLs were gaps though Trellis names them
    model = scan_tree(tmp_path, {
        "trellis/group_vars/production/wordpress_sites.yml": site("production", "shop.acme.org", True),
        "trellis/group_vars/staging/wordpress_sites.yml": site("staging", "staging.shop.acme.org", False),
        "trellis/group_vars/development/wordpress_sites.yml": site("development", "shop.test", False),
    }).model
    assert texts(facts_for(model, "env.url", env="production")) == [
        "https://shop.acme.org (Trellis site shop.acme.org)"]
    assert texts(facts_for(model, "env.url", env="staging")) == [
        "http://staging.shop.acme.org (Trellis site shop.acme.org)"]  # ssl off: plain HTTP, no redirect hosts
    assert texts(facts_for(model, "env.url", env="development")) == ["http://shop.test (Trellis site shop.acme.org)"]
    [production] = facts_for(model, "env.url", env="production")
    assert production.evidence[0].line == 5


def test_trellis_s_own_example_hosts_and_odd_files_are_no_url(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {
        "group_vars/production/wordpress_sites.yml": site("production", "example.com", True),
        "group_vars/staging/wordpress_sites.yml": "wordpress_sites: [not, a, mapping]\n",
        "group_vars/all/wordpress_sites.yml": site("all", "shop.acme.org", True),  # no environment
        "group_vars/development/wordpress_sites.yml": "wordpress_sites:\n  x: {site_hosts: [{canonical: [1]}]}\n",
    }).model
    assert not facts_for(model, "env.url")


def test_the_fixture_site(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, fixture_tree("trellis", "site")).model
    [url] = facts_for(model, "env.url", env="production")
    assert url.text == "https://shop.acme.org (Trellis site shop.acme.org)" and url.evidence[0].line == 6
