"""Trellis sites (Roots' Ansible setup for WordPress): each environment's site URLs.

Trellis keeps one `group_vars/<environment>/wordpress_sites.yml` per environment (development,
staging, production), each naming its sites with their `site_hosts`: the `canonical` host is the
address the site answers at there (the `redirects` only forward to it), served over HTTPS when
the site's `ssl.enabled` is true. So each canonical host is that environment's URL, declared.
Hosts Trellis's own example leaves in place (`example.com`, `example.test`) are no URL; a
development site's reserved name (`mysite.test`, served on the developer's machine) is one.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import is_example_host, is_placeholder_host
from infrascan.model import Code, Confidence, Fact, text
from infrascan.yamlload import YDict, line_of

from ._devenv import scalar


class TrellisDetector(Detector):
    name = "trellis"
    version = "1"
    description = "Trellis sites (group_vars/<environment>/wordpress_sites.yml): each environment's URLs"
    patterns = ("**/group_vars/*/wordpress_sites.yml",)
    looks_for = {"env.url": "Trellis site hosts in group_vars/<environment>/wordpress_sites.yml"}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        env = env_from_name(PurePosixPath(file.path).parent.name)
        doc = self.yaml_mapping(file, out)
        sites = doc.get("wordpress_sites") if doc is not None else None
        if env is None or not isinstance(sites, YDict):
            return out
        for site, config in sites.items():
            if isinstance(config, YDict):
                out.facts.extend(self._urls(file.path, env, str(site), config))
        return out

    def _urls(self, path: str, env: str, site: str, config: YDict) -> list[Fact]:
        ssl = config.get("ssl")
        scheme = "https" if isinstance(ssl, YDict) and ssl.get("enabled") is True else "http"
        hosts = config.get("site_hosts")
        out: list[Fact] = []
        for index, entry in enumerate(hosts if isinstance(hosts, list) else []):
            host = scalar(entry.get("canonical")) if isinstance(entry, dict) else ""
            # a development site answers at a reserved name on the developer's machine (`.test`)
            if not host or is_example_host(host) or (env != "development" and is_placeholder_host(host)):
                continue
            url = f"{scheme}://{host}"
            line = line_of(entry, "canonical", line_of(hosts, index))
            out.append(Fact("env.url", text(Code(url), " (Trellis site ", Code(site), ")"), Confidence.DECLARED,
                            self.evidence(path, line), env=env, item=f"trellis:url:{url}", rank=20,
                            order=(path, line), attrs={"url": url}))
        return out

