"""Deterministic large scanner reports for the import benchmarks (seeded, no network).

    python bench/gen_reports.py nuclei OUT.jsonl --findings 100000 [--hosts 5000] [--seed 1]
    python bench/gen_reports.py nmap OUT.xml --hosts 5000 [--seed 1]
    ... --drift 0.1    # the "newer" report: 10 % of the findings gone, 5 % new (reimport)

Nuclei lines follow nuclei v3's JSONL output (``ResultEvent`` in nuclei's
``pkg/output/output.go``: template, template-url, template-id, template-path, info{name,
author, tags, description, reference, severity, metadata, classification{cve-id, cwe-id,
cvss-metrics, cvss-score}}, matcher-name, extracted-results, type, host, port, scheme, url,
path, matched-at, request, response, ip, timestamp, curl-command, matcher-status). Template
ids are nuclei-templates names; hosts are under the reserved ``.example`` TLD, addresses in
10.0.0.0/8. Like real output, some lines repeat a (template, matcher, matched-at) already seen.
The nmap file follows nmap's XML DTD (the shape of tests/data/reports/nmap/*.xml) for
``nmap -v -sV -p <20 ports> --script vulners,ftp-anon,smb-protocols`` (-v: down hosts listed).

The summary printed (JSON) gives the file size, the observations the import must yield and
the expected number of distinct findings by the platform's fingerprint (target, check,
location), by status (fail/info/pass) and check family. ``expected_nuclei``/``expected_nmap``
apply common.md's mapping rules as rempart's parsers document them (checked: the parsers give
exactly these counts, 100,000 lines and 5,000 hosts). With ``--drift``, the findings gone,
new and kept against the report generated without it (same seed), also by status.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

Key = tuple[str, str, str]  # (target, check, location): the platform's fingerprint in a report
SCAN_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NEWER_SCAN = timedelta(days=14)  # the --drift report is the same scan two weeks later
_SLUG = re.compile(r"[^a-z0-9._-]")


def slug_check(tool: str, rule: str) -> str:
    """common.md: ``<tool>.<rule>`` lower-case, outside [a-z0-9._-] -> "-", at most 120."""
    return f"{tool}.{_SLUG.sub('-', rule.lower())}"[:120]


# -- hosts -------------------------------------------------------------------------------

_PREFIXES = "www shop mail portal extranet vpn app api crm intranet".split()
_SYLLABLES = """bo lan ge rie mar tin ca fe du port val lee gar age pha ma cie auto ser vice bat
ir ren nes""".split()


def _table(text: str) -> list[tuple[str, ...]]:
    """Rows of a "|"-separated table written in the source (compact, diff-friendly data)."""
    return [tuple(c.strip() for c in row.split("|")) for row in text.strip().splitlines()]


@dataclass(frozen=True)
class Host:
    name: str
    ip: str
    scheme: str  # of its website
    port: int  # of its website
    services: frozenset[int]  # other TCP ports nuclei's network templates may hit


def make_hosts(rng: random.Random, count: int) -> list[Host]:
    hosts: list[Host] = []
    seen: set[str] = set()
    for i in range(count):
        company = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        name = f"{rng.choice(_PREFIXES)}.{company}.example"
        if name in seen:
            name = f"{rng.choice(_PREFIXES)}.{company}{i}.example"
        seen.add(name)
        ip = f"10.{(i // 254 >> 8) & 255}.{i // 254 & 255}.{i % 254 + 1}"
        scheme = "https" if rng.random() < 0.8 else "http"
        port = (
            rng.choice((443, 443, 443, 8443)) if scheme == "https" else rng.choice((80, 80, 8080))
        )
        services = frozenset(p for p in (21, 22, 445, 3306, 3389, 6379) if rng.random() < 0.12)
        hosts.append(Host(name, ip, scheme, port, services))
    return hosts


# -- nuclei ------------------------------------------------------------------------------

_VECTORS = {
    "10.0": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "9.8": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "9.1": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
    "8.1": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "7.5": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "6.1": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "5.3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
}
# CVE | product | severity | CVSS v3 base score | CWE | request path
_CVES = _table("""
CVE-2021-44228 | Apache Log4j2 | critical | 10.0 | CWE-502 | /?x=${jndi:ldap://oast}
CVE-2021-41773 | Apache HTTP Server 2.4.49 | high | 7.5 | CWE-22 | /cgi-bin/.%2e/
CVE-2021-42013 | Apache HTTP Server 2.4.50 | critical | 9.8 | CWE-22 | /cgi-bin/%%32%65/
CVE-2022-22965 | Spring Framework | critical | 9.8 | CWE-94 | /
CVE-2019-11510 | Pulse Connect Secure | critical | 10.0 | CWE-22 | /dana-na/
CVE-2018-13379 | Fortinet FortiOS | critical | 9.8 | CWE-22 | /remote/fgt_lang
CVE-2020-5902 | F5 BIG-IP TMUI | critical | 9.8 | CWE-22 | /tmui/login.jsp
CVE-2021-26855 | Microsoft Exchange | critical | 9.8 | CWE-918 | /owa/auth/x.js
CVE-2022-1388 | F5 BIG-IP iControl REST | critical | 9.8 | CWE-306 | /mgmt/tm/util/bash
CVE-2023-34362 | MOVEit Transfer | critical | 9.8 | CWE-89 | /moveitisapi/moveitisapi.dll
CVE-2019-19781 | Citrix ADC | critical | 9.8 | CWE-22 | /vpn/../vpns/cfg/smb.conf
CVE-2022-26134 | Confluence Server | critical | 9.8 | CWE-917 | /%24%7B%40java%7D/
CVE-2017-5638 | Apache Struts 2 | critical | 10.0 | CWE-20 | /index.action
CVE-2014-6271 | GNU Bash (Shellshock) | critical | 9.8 | CWE-78 | /cgi-bin/status
CVE-2021-21972 | VMware vCenter Server | critical | 9.8 | CWE-22 | /ui/vropspluginui/
CVE-2023-4966 | Citrix NetScaler (Citrix Bleed) | high | 7.5 | CWE-119 | /oauth/idp/
CVE-2024-3400 | Palo Alto PAN-OS GlobalProtect | critical | 10.0 | CWE-77 | /ssl-vpn/
CVE-2024-21887 | Ivanti Connect Secure | critical | 9.1 | CWE-77 | /api/v1/totp/
CVE-2020-14882 | Oracle WebLogic Server | critical | 9.8 |  | /console/css/%252e%252e
CVE-2019-2725 | Oracle WebLogic Server | critical | 9.8 | CWE-502 | /_async/
CVE-2017-9841 | PHPUnit | critical | 9.8 | CWE-94 | /vendor/phpunit/phpunit/src/
CVE-2018-7600 | Drupal (Drupalgeddon 2) | critical | 9.8 | CWE-20 | /user/register
CVE-2023-27350 | PaperCut MF/NG | critical | 9.8 | CWE-284 | /app?service=page
CVE-2021-29441 | Alibaba Nacos | critical | 9.8 | CWE-290 | /nacos/v1/auth/users
CVE-2020-17519 | Apache Flink | high | 7.5 | CWE-22 | /jobmanager/logs/..%252f
CVE-2019-3396 | Confluence Widget Connector | critical | 9.8 | CWE-22 | /rest/tinymce/1/
CVE-2021-26084 | Confluence Server OGNL | critical | 9.8 | CWE-917 | /pages/doenterpage
CVE-2024-23897 | Jenkins CLI | critical | 9.8 | CWE-27 | /cli?remoting=false
CVE-2024-27198 | JetBrains TeamCity | critical | 9.8 | CWE-288 | /hax?jsp=/app/rest/
CVE-2023-42793 | JetBrains TeamCity | critical | 9.8 | CWE-288 | /app/rest/users/
CVE-2021-3129 | Laravel Ignition | critical | 9.8 |  | /_ignition/execute-solution
CVE-2017-12615 | Apache Tomcat PUT | high | 8.1 | CWE-434 | /poc.jsp/
CVE-2021-22205 | GitLab ExifTool | critical | 10.0 | CWE-94 | /uploads/user
CVE-2021-34473 | Microsoft Exchange (ProxyShell) | critical | 9.8 | CWE-918 | /autodiscover/
CVE-2022-22954 | VMware Workspace ONE | critical | 9.8 | CWE-94 | /catalog-portal/ui/
CVE-2021-43798 | Grafana | high | 7.5 | CWE-22 | /public/plugins/alertlist/../
CVE-2018-1000861 | Jenkins Stapler | critical | 9.8 | CWE-502 | /securityRealm/user/
CVE-2022-42889 | Apache Commons Text | critical | 9.8 | CWE-94 | /search?q=${script:}
CVE-2023-22515 | Confluence Data Center | critical | 10.0 | CWE-20 | /server-info.action
CVE-2021-40438 | Apache HTTP Server mod_proxy SSRF | critical | 9.0 | CWE-918 | /?unix:AAAA
CVE-2023-46805 | Ivanti Connect Secure | high | 8.2 | CWE-287 | /api/v1/totp/user-backup-code/
CVE-2023-20198 | Cisco IOS XE Web UI | critical | 10.0 | CWE-420 | /webui/logoutconfirm.html
CVE-2022-0540 | Jira Seraph | critical | 9.8 | CWE-287 | /InsightPluginShowGeneralConfiguration.jspa
CVE-2021-21985 | VMware vCenter vSAN | critical | 9.8 | CWE-20 | /ui/h5-vsan/rest/proxy/service/
CVE-2022-47966 | Zoho ManageEngine | critical | 9.8 |  | /SamlResponseServlet
CVE-2023-35078 | Ivanti EPMM | critical | 10.0 | CWE-287 | /mifs/aad/api/v2/authorized/users
CVE-2023-3519 | Citrix ADC | critical | 9.8 | CWE-94 | /gwtest/formssso
CVE-2021-22986 | F5 BIG-IP iControl REST | critical | 9.8 | CWE-918 | /mgmt/tm/util/bash
CVE-2020-3452 | Cisco ASA | high | 7.5 | CWE-22 | /+CSCOT+/translation-table
CVE-2021-41277 | Metabase GeoJSON | high | 7.5 | CWE-200 | /api/geojson?url=file:/etc/passwd
CVE-2022-24816 | GeoServer jai-ext | critical | 9.8 | CWE-94 | /geoserver/wms
CVE-2023-23752 | Joomla | medium | 5.3 | CWE-284 | /api/index.php/v1/config/application
CVE-2023-24488 | Citrix Gateway | medium | 6.1 | CWE-79 | /oauth/idp/logout
CVE-2020-11738 | WordPress Duplicator | high | 7.5 | CWE-22 | /wp-admin/admin-ajax.php
""")
_TECH = """nginx apache microsoft-iis php wordpress jquery bootstrap cloudflare google-font-api
font-awesome asp.net express drupal joomla prestashop varnish litespeed openresty matomo
shopify""".split()
_WAF = "cloudflare aws modsecurity f5-bigip incapsula sucuri akamai fortiweb".split()
_HEADERS = """strict-transport-security content-security-policy x-frame-options
x-content-type-options referrer-policy permissions-policy x-permitted-cross-domain-policies
clear-site-data cross-origin-embedder-policy cross-origin-opener-policy
cross-origin-resource-policy""".split()
# template-id | name | severity | request path
_EXPOSURES = _table("""
git-config | Git Configuration - Detect | medium | /.git/config
exposed-env-file | .env File - Exposure | high | /.env
phpinfo-files | PHPinfo Page - Detect | low | /phpinfo.php
ds-store-file | macOS .DS_Store - Exposure | info | /.DS_Store
wp-config-backup | WordPress wp-config Backup - Exposure | high | /wp-config.php.bak
apache-server-status | Apache Server Status - Exposure | low | /server-status
springboot-actuator | Spring Boot Actuator - Exposure | low | /actuator
directory-listing | Directory Listing - Detect | info | /uploads/
robots-txt-endpoint | robots.txt Endpoint - Detect | info | /robots.txt
security-txt | security.txt File - Detect | info | /.well-known/security.txt
options-method | Allowed Options Method - Detect | info | /
http-trace | HTTP TRACE Method - Enabled | info | /
cors-misconfig | CORS Misconfiguration | info | /
xmlrpc-pingback | WordPress XML-RPC Pingback - Detect | info | /xmlrpc.php
wordpress-user-enum | WordPress User Enumeration | info | /?author=1
openapi | OpenAPI - Detect | info | /openapi.json
swagger-api | Swagger API - Detect | info | /swagger-ui.html
graphql-detect | GraphQL API - Detect | info | /graphql
tomcat-default-login | Apache Tomcat Manager - Default Login | high | /manager/html
elasticsearch-unauth | Elasticsearch - Unauthenticated Access | medium | /_cat/indices
exposed-svn | SVN Repository - Exposure | medium | /.svn/entries
htaccess-config | .htaccess - Exposure | info | /.htaccess
docker-compose-config | docker-compose.yml - Exposure | medium | /docker-compose.yml
laravel-env | Laravel .env - Exposure | high | /.env
wp-debug-log | WordPress debug.log - Exposure | low | /wp-content/debug.log
sql-dump | SQL Dump - Exposure | high | /backup.sql
configuration-listing | Configuration File Listing | medium | /config/
exposed-gitignore | .gitignore - Exposure | info | /.gitignore
composer-config | composer.json - Exposure | info | /composer.json
package-json | package.json - Exposure | info | /package.json
web-config | web.config - Exposure | medium | /web.config
php-errors | PHP Errors - Detect | info | /index.php?id[]=
iis-shortname | IIS Short Name - Detect | info | /*~1*/a.aspx
tomcat-examples | Apache Tomcat Examples - Exposure | low | /examples/servlets/
jolokia-api | Jolokia API - Detect | info | /jolokia/version
prometheus-metrics | Prometheus Metrics - Exposure | low | /metrics
kubernetes-dashboard-unauth | Kubernetes Dashboard - Unauthenticated | high | /api/v1/namespaces
""")
_PANELS = """phpmyadmin jenkins gitlab grafana kibana roundcube webmin zabbix fortinet-fortigate
pulse-secure citrix-gateway sonicwall pfsense synology-dsm qnap-qts plesk cpanel wordpress-login
joomla owa sharepoint vmware-horizon ivanti-connect-secure openvpn-access-server
mikrotik-routeros unifi prtg nagios sonarqube rabbitmq tomcat-manager jira confluence nextcloud
owncloud keycloak portainer traefik minio-console adminer glpi moodle odoo proxmox wazuh graylog
netdata pgadmin airflow jupyter-notebook zimbra fortimail checkpoint paloalto-globalprotect
f5-bigip cisco-asa watchguard sophos-firewall barracuda ubiquiti-edgerouter hp-ilo idrac vcenter
esxi veeam truenas opnsense fritzbox dlink-router tplink-router hikvision dahua axis-camera
mailcow""".split()
# template-id | name | severity | matcher-name | extracted-results
_SSL = _table("""
deprecated-tls | Deprecated TLS Detection (TLS 1.1 or SSLv3) | info |  | tls10
deprecated-tls | Deprecated TLS Detection (TLS 1.1 or SSLv3) | info |  | tls11
deprecated-tls | Deprecated TLS Detection (TLS 1.1 or SSLv3) | info |  | sslv3
weak-cipher-suites | Weak Cipher Suites Detection | medium |  | [tls10 TLS_RSA_WITH_RC4_128_SHA]
weak-cipher-suites | Weak Cipher Suites Detection | medium |  | [tls11 TLS_RSA_WITH_RC4_128_SHA]
expired-ssl | Expired SSL Certificate | low |  | 2025-03-01 23:59:59 +0000 UTC
self-signed-ssl | Self Signed SSL Certificate | low |  |
untrusted-root-certificate | Untrusted Root Certificate - Detect | low |  |
mismatched-ssl-certificate | Mismatched SSL Certificate | low |  | CN: localhost
tls-version | TLS Version - Detect | info |  | tls12
tls-version | TLS Version - Detect | info |  | tls13
ssl-dns-names | SSL DNS Names | info |  | www.{name}
ssl-issuer | Detect SSL Certificate Issuer | info |  | Let's Encrypt
wildcard-tls | Wildcard TLS Certificate | info |  | *.{name}
""")
# template-id | name | severity | port
_NETWORK = _table("""
rdp-detect | RDP Service - Detect | info | 3389
smb-v1-detection | SMBv1 Protocol - Detect | low | 445
mysql-detect | MySQL - Detect | info | 3306
exposed-redis | Redis Server - Unauthenticated Access | high | 6379
ftp-anonymous-login | FTP Anonymous Login | medium | 21
openssh-detect | OpenSSH Service - Detect | info | 22
sshd-dropbear-detect | Dropbear sshd - Detect | info | 22
smb-os-detect | SMB OS - Detect | info | 445
""")
# template-id | name | matcher-name
_DNS = _table("""
caa-fingerprint | CAA Record |
spf-record-detect | SPF Record - Detect |
dmarc-detect | DMARC - Detect |
mx-fingerprint | MX Record - Detection |
txt-fingerprint | DNS TXT Record Detected |
dns-saas-service-detection | DNS SaaS Service Detection | wix
dns-saas-service-detection | DNS SaaS Service Detection | azure
nameserver-fingerprint | NS Record Detection |
""")

# nuclei findings that are catalog checks (common.md; H2's mapping): location conventions differ.
_WEB_HEADERS = {
    "strict-transport-security": "web.hsts.missing",
    "content-security-policy": "web.csp.missing",
    "x-frame-options": "web.frame.missing",
    "x-content-type-options": "web.xcto.missing",
    "referrer-policy": "web.referrer_policy.missing",
}
_TLS_IDS = {
    ("deprecated-tls", "tls10"): "tls.protocol.tls10",
    ("deprecated-tls", "tls11"): "tls.protocol.tls11",
    ("deprecated-tls", "sslv3"): "tls.protocol.sslv3",
    ("weak-cipher-suites", ""): "tls.cipher.weak",
    ("expired-ssl", ""): "tls.cert.expired",
    ("self-signed-ssl", ""): "tls.cert.untrusted",
    ("untrusted-root-certificate", ""): "tls.cert.untrusted",
    ("mismatched-ssl-certificate", ""): "tls.cert.hostname_mismatch",
}
_NET_IDS = {
    "rdp-detect": "net.exposed.rdp",
    "smb-v1-detection": "net.smb.v1",
    "mysql-detect": "net.exposed.database",
    "exposed-redis": "net.exposed.database",
    "ftp-anonymous-login": "net.ftp.anonymous",
}


@dataclass(frozen=True)
class Rule:
    """One (template, matcher) a nuclei run can report."""

    kind: str  # http, ssl, tcp (nuclei's type of network templates), dns
    template_id: str
    folder: str
    name: str
    severity: str
    weight: float
    matcher: str = ""
    extracted: str = ""
    paths: tuple[str, ...] = ("/",)
    port: int = 0  # network templates
    cve: str = ""
    cwe: str = ""
    score: str = ""


def nuclei_rules() -> list[Rule]:
    """About 200 (template, matcher) pairs; weights make info-level detections dominate."""
    tech, misc, panel = "http/technologies", "http/misconfiguration", "http/exposed-panels"
    headers = "HTTP Missing Security Headers"
    rules = [
        Rule("http", "tech-detect", tech, "Wappalyzer Technology Detection", "info", 6, t)
        for t in _TECH
    ]
    rules += [Rule("http", "waf-detect", tech, "WAF Detection", "info", 1.5, w) for w in _WAF]
    rules += [
        Rule("http", "http-missing-security-headers", misc, headers, "info", 6, h) for h in _HEADERS
    ]
    rules += [
        Rule("http", tid, "http/exposures", name, sev, 1, paths=(path,))
        for tid, name, sev, path in _EXPOSURES
    ]
    rules += [
        Rule(
            "http",
            f"{p}-panel",
            panel,
            f"{p.title()} Login Panel - Detect",
            "info",
            0.6,
            paths=("/", "/login", "/admin/"),
        )
        for p in _PANELS
    ]
    rules += [
        Rule(
            "http",
            cve,
            f"http/cves/{cve[4:8]}",
            f"{product} - {cve}",
            sev,
            0.15,
            paths=(path,),
            cve=cve,
            cwe=cwe,
            score=score,
        )
        for cve, product, sev, score, cwe, path in _CVES
    ]
    rules += [Rule("ssl", tid, "ssl", name, sev, 3, m, x) for tid, name, sev, m, x in _SSL]
    rules += [
        Rule("tcp", tid, "network/detection", name, sev, 2, port=int(port))
        for tid, name, sev, port in _NETWORK
    ]
    rules += [Rule("dns", tid, "dns", name, "info", 1, m) for tid, name, m in _DNS]
    return rules


def _origin(host: Host) -> str:
    default = {"https": 443, "http": 80}[host.scheme]
    port = "" if host.port == default else f":{host.port}"
    return f"{host.scheme}://{host.name}{port}"


def expected_nuclei(rule: Rule, host: Host, path: str) -> list[tuple[str, Key]]:
    """(status, key) of the observations a nuclei line becomes: common.md's mapping rules as
    rempart's nuclei parser applies them (see the docstring of importers/formats/nuclei.py)."""
    name, hostport, origin = host.name, f"{host.name}:{host.port}", _origin(host) + "/"
    template, matcher = rule.template_id, rule.matcher
    if template == "http-missing-security-headers" and matcher in _WEB_HEADERS:
        if matcher != "strict-transport-security" or host.scheme == "https":
            return [("fail", (name, _WEB_HEADERS[matcher], origin))]  # HSTS: HTTPS only
    if template == "security-txt":
        return [("pass", (name, "web.security_txt.missing", origin))]
    if template == "caa-fingerprint":
        return [("pass", (name, "dns.caa", name))]
    if (template, rule.extracted) == ("tls-version", "tls13"):
        return [("pass", (name, "tls.protocol.no_tls13", hostport))]
    if rule.kind == "ssl":
        version = rule.extracted if template == "deprecated-tls" else ""
        check = _TLS_IDS.get((template, version))
        if check:  # the weak-cipher-suites lines name RC4 suites: weak by the catalog's rule
            return [("fail", (name, check, hostport))]
    found: list[tuple[str, Key]] = []
    if rule.kind == "tcp" and template in _NET_IDS:
        found.append(("fail", (name, _NET_IDS[template], f"{host.ip}:{rule.port}")))
        if template != "exposed-redis":  # no authentication: also nuclei's own finding
            return found
    check = slug_check("nuclei", template + (f":{matcher}" if matcher else ""))
    location = {
        "http": _origin(host) + path,
        "ssl": hostport,
        "tcp": f"{host.name}:{rule.port}",
        "dns": host.name,
    }[rule.kind]
    found.append(("fail", (name, check, location)))  # every nuclei result is a finding
    return found


def nuclei_line(rule: Rule, host: Host, path: str, when: datetime) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": rule.name,
        "author": ["pdteam"],
        "tags": [rule.folder.rsplit("/", 1)[-1], *(("cve", "kev") if rule.cve else ())],
        "description": f"{rule.name}.",
        "reference": [f"https://nvd.nist.gov/vuln/detail/{rule.cve}"] if rule.cve else [],
        "severity": rule.severity,
        "metadata": {"max-request": 1},
    }
    if rule.cve or rule.cwe:
        info["classification"] = {
            "cve-id": [rule.cve.lower()] if rule.cve else None,
            "cwe-id": [rule.cwe.lower()] if rule.cwe else ["cwe-200"],
            "cvss-metrics": _VECTORS.get(rule.score, ""),
            "cvss-score": float(rule.score) if rule.score else 0,
        }
    template = f"{rule.folder}/{rule.template_id}.yaml"
    line: dict[str, Any] = {
        "template": template,
        "template-url": f"https://cloud.projectdiscovery.io/public/{rule.template_id}",
        "template-id": rule.template_id,
        "template-path": f"/root/nuclei-templates/{template}",
        "info": info,
    }
    if rule.matcher:
        line["matcher-name"] = rule.matcher
    if rule.extracted:
        line["extracted-results"] = [rule.extracted.format(name=host.name)]
    line["type"] = rule.kind
    stamp = when.isoformat(timespec="microseconds")
    if rule.kind == "http":
        url = _origin(host) + path
        request = f"GET {path} HTTP/1.1\r\nHost: {host.name}\r\nUser-Agent: Mozilla/5.0\r\n\r\n"
        line |= {
            "host": host.name,
            "port": str(host.port),
            "scheme": host.scheme,
            "url": _origin(host),
            "path": path,
            "matched-at": url,
            "request": request,
            "response": "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n",
            "ip": host.ip,
            "timestamp": stamp,
            "curl-command": f"curl -X 'GET' -H 'Host: {host.name}' '{url}'",
        }
    elif rule.kind == "dns":
        line |= {"host": host.name, "matched-at": host.name, "timestamp": stamp}
    else:
        port = host.port if rule.kind == "ssl" else rule.port
        line |= {
            "host": host.name,
            "port": str(port),
            "matched-at": f"{host.name}:{port}",
            "ip": host.ip,
            "timestamp": stamp,
        }
    line["matcher-status"] = True
    return line


Draw = tuple[int, int, int]  # (host index, rule index, path index)


def nuclei_draws(
    rng: random.Random, hosts: list[Host], rules: list[Rule], count: int
) -> Iterator[Draw]:
    weights = [r.weight for r in rules]
    made = 0
    while made < count:
        h = rng.randrange(len(hosts))
        r = rng.choices(range(len(rules)), weights)[0]
        rule, host = rules[r], hosts[h]
        if (rule.kind == "ssl" and host.scheme != "https") or (
            rule.kind == "tcp" and rule.port not in host.services
        ):
            continue  # the template would not match that host
        made += 1
        yield h, r, rng.randrange(len(rule.paths))


def gen_nuclei(out: Path, findings: int, hosts_n: int, seed: int, drift: float) -> dict[str, Any]:
    rng = random.Random(seed)
    hosts, rules = make_hosts(rng, hosts_n), nuclei_rules()

    def observed(d: Draw) -> list[tuple[str, Key]]:
        return expected_nuclei(rules[d[1]], hosts[d[0]], rules[d[1]].paths[d[2]])

    def key(d: Draw) -> Key:  # a line's main finding
        return observed(d)[0][1]

    draws = list(nuclei_draws(rng, hosts, rules, findings))
    base = {k: state for d in draws for state, k in observed(d)}
    start = SCAN_START
    if drift:
        drng = random.Random(seed + 1)
        mains = sorted({key(d) for d in draws})
        gone = set(drng.sample(mains, round(len(mains) * drift)))
        draws = [d for d in draws if key(d) not in gone]
        new: set[Key] = set()
        for d in nuclei_draws(drng, hosts, rules, 10 * findings):
            if len(new) >= round(len(mains) * drift / 2):
                break
            if key(d) not in base and key(d) not in new:
                new.add(key(d))
                draws.insert(drng.randrange(len(draws) + 1), d)
        start += NEWER_SCAN
    with out.open("w", encoding="utf-8") as fh:
        for i, (h, r, p) in enumerate(draws):
            when = start + timedelta(milliseconds=37 * i)
            line = nuclei_line(rules[r], hosts[h], rules[r].paths[p], when)
            fh.write(json.dumps(line, separators=(",", ":")) + "\n")
    return _summary(
        out,
        "nuclei-jsonl",
        [o for d in draws for o in observed(d)],
        base if drift else None,
        lines=len(draws),
        templates=len({r.template_id for r in rules}),
        hosts=hosts_n,
    )


# -- nmap --------------------------------------------------------------------------------

# the ports of the simulated scan (-p)
_PORTS: tuple[int, ...] = (21, 22, 23, 25, 80, 110, 135, 139, 143, 443, 445, 1433, 3306, 3389)
_PORTS += (5432, 5900, 5985, 6379, 8080, 9200)
RISKY = {
    21: "net.exposed.ftp",
    23: "net.exposed.telnet",
    139: "net.exposed.smb",
    445: "net.exposed.smb",
    3389: "net.exposed.rdp",
    5900: "net.exposed.vnc",
    5985: "net.exposed.winrm",
    5986: "net.exposed.winrm",
    **dict.fromkeys(
        (3306, 5432, 1433, 1521, 27017, 6379, 9200, 5984, 11211), "net.exposed.database"
    ),
}
# port | service name | product | version | extrainfo | cpe | tunnel (what nmap -sV reports)
_SERVICES: dict[int, list[tuple[str, ...]]] = {}
for _row in _table("""
21 | ftp | vsftpd | 3.0.3 |  | cpe:/a:vsftpd:vsftpd:3.0.3 |
21 | ftp | ProFTPD | 1.3.5 |  | cpe:/a:proftpd:proftpd:1.3.5 |
22 | ssh | OpenSSH | 7.4 | protocol 2.0 | cpe:/a:openbsd:openssh:7.4 |
22 | ssh | OpenSSH | 9.2p1 Debian 2+deb12u3 | protocol 2.0 | cpe:/a:openbsd:openssh:9.2p1 |
23 | telnet | Linux telnetd |  |  | cpe:/o:linux:linux_kernel |
23 | telnet |  |  |  |  |
25 | smtp | Postfix smtpd |  |  | cpe:/a:postfix:postfix |
80 | http | nginx | 1.18.0 | Ubuntu | cpe:/a:igor_sysoev:nginx:1.18.0 |
80 | http | Apache httpd | 2.4.49 | (Unix) | cpe:/a:apache:http_server:2.4.49 |
80 | http |  |  |  |  |
110 | pop3 | Dovecot pop3d |  |  | cpe:/a:dovecot:dovecot |
135 | msrpc | Microsoft Windows RPC |  |  | cpe:/o:microsoft:windows |
139 | netbios-ssn | Microsoft Windows netbios-ssn |  |  | cpe:/o:microsoft:windows |
139 | netbios-ssn | Samba smbd | 3.X - 4.X | workgroup: WORKGROUP | cpe:/a:samba:samba |
143 | imap | Dovecot imapd |  |  | cpe:/a:dovecot:dovecot |
443 | http | nginx | 1.24.0 |  | cpe:/a:igor_sysoev:nginx:1.24.0 | ssl
443 | http | Microsoft IIS httpd | 10.0 |  | cpe:/a:microsoft:iis:10.0 | ssl
445 | microsoft-ds |  |  |  |  |
445 | netbios-ssn | Samba smbd | 4.6.2 | workgroup: WORKGROUP | cpe:/a:samba:samba:4.6.2 |
1433 | ms-sql-s | Microsoft SQL Server 2019 | 15.00.2000.00 | RTM | cpe:/a:microsoft:sql_server |
3306 | mysql | MySQL | 5.7.32 |  | cpe:/a:mysql:mysql:5.7.32 |
3306 | mysql | MySQL | 8.0.36 |  | cpe:/a:mysql:mysql:8.0.36 |
3389 | ms-wbt-server | Microsoft Terminal Services |  |  | cpe:/o:microsoft:windows |
5432 | postgresql | PostgreSQL DB | 13.4 |  | cpe:/a:postgresql:postgresql:13.4 |
5900 | vnc | VNC |  | protocol 3.8 |  |
5985 | http | Microsoft HTTPAPI httpd | 2.0 | SSDP/UPnP | cpe:/o:microsoft:windows |
6379 | redis | Redis key-value store | 6.0.16 |  | cpe:/a:redislabs:redis:6.0.16 |
8080 | http | Apache Tomcat | 9.0.31 |  | cpe:/a:apache:tomcat:9.0.31 |
9200 | http | Elasticsearch REST API | 7.10.2 | node-1 | cpe:/a:elastic:elasticsearch:7.10.2 |
"""):
    _SERVICES.setdefault(int(_row[0]), []).append(_row[1:])
# vulners script rows for versions with public CVEs: cpe | CVE:CVSS …
_VULNERS: dict[str, list[tuple[str, ...]]] = {}
for _cpe, _rows in _table("""
cpe:/a:openbsd:openssh:7.4 | CVE-2019-6111:5.8 CVE-2018-15919:5.0 CVE-2018-15473:5.0
cpe:/a:openbsd:openssh:7.4 | CVE-2017-15906:5.0 CVE-2020-14145:4.3
cpe:/a:apache:http_server:2.4.49 | CVE-2021-42013:7.5 CVE-2021-41773:4.3
cpe:/a:proftpd:proftpd:1.3.5 | CVE-2015-3306:10.0 CVE-2019-12815:7.5
cpe:/a:samba:samba:4.6.2 | CVE-2017-7494:10.0 CVE-2017-14746:7.5
cpe:/a:apache:tomcat:9.0.31 | CVE-2020-1938:7.5 CVE-2020-9484:4.4
cpe:/a:redislabs:redis:6.0.16 | CVE-2022-0543:10.0 CVE-2022-24834:7.5
cpe:/a:mysql:mysql:5.7.32 | CVE-2021-2307:6.1 CVE-2021-2144:6.5
"""):
    _VULNERS.setdefault(_cpe, []).extend(tuple(v.split(":")) for v in _rows.split())
# the ports open on a kind of host (weight | ports): web servers, Windows hosts, mail, NAS…
_PROFILES = [
    (int(w), tuple(map(int, p.split())))
    for w, p in _table("""
5 | 22 80 443
2 | 80 443 3306
2 | 135 139 445 3389 5985
1 | 25 110 143 443
1 | 21 22 80 139 445
1 | 22 5432 6379 9200
1 | 23 80 5900
1 | 80 443 1433 3389 8080
""")
]


@dataclass(frozen=True)
class NmapHost:
    ip: str
    name: str  # "" when nmap knows no name
    up: bool
    open: tuple[tuple[int, int], ...]  # (port, index into _SERVICES[port])
    filtered: frozenset[int]
    smb_v1: bool
    ftp_anon: bool
    vulners: bool


def make_nmap_host(rng: random.Random, host: Host) -> NmapHost:
    profile = rng.choices(_PROFILES, [w for w, _ in _PROFILES])[0][1]
    ports = [p for p in profile if rng.random() < 0.9]
    if rng.random() < 0.1:
        ports.append(rng.choice(_PORTS))
    open_ = tuple(sorted({p: rng.randrange(len(_SERVICES[p])) for p in ports}.items()))
    filtered = frozenset(p for p in _PORTS if p not in dict(open_) and rng.random() < 0.05)
    name = host.name if rng.random() < 0.7 else ""
    return NmapHost(
        host.ip,
        name,
        rng.random() >= 0.02,
        open_,
        filtered,
        rng.random() < 0.3,
        rng.random() < 0.4,
        rng.random() < 0.3,
    )


def expected_nmap(h: NmapHost) -> Iterator[tuple[str, Key]]:
    """(status, key) of the observations a host becomes: common.md's mapping rules as
    rempart's nmap parser applies them (see the docstring of importers/formats/nmap.py)."""
    if not h.up:
        return
    target, opened = h.name or h.ip, dict(h.open)
    for port, idx in h.open:
        cpe, version, loc = _SERVICES[port][idx][4], _SERVICES[port][idx][2], f"{h.ip}:{port}"
        if port in RISKY:
            yield "fail", (target, RISKY[port], loc)
        if version:  # a product without a version discloses nothing to match
            yield "fail", (target, "net.service.version", loc)
        elif port not in RISKY:
            yield "info", (target, "nmap.open-port", loc)
        if h.vulners and cpe in _VULNERS:
            yield "fail", (target, "nmap.vulners", loc)
        if port == 21 and h.ftp_anon:
            yield "fail", (target, "net.ftp.anonymous", loc)
        if port == 445 and h.smb_v1:
            yield "fail", (target, "net.smb.v1", loc)
    for check in sorted(set(RISKY.values())):  # pass at ip: every port scanned, none open
        ports = [p for p, c in RISKY.items() if c == check]
        if all(p in _PORTS and p not in opened for p in ports):
            yield "pass", (target, check, h.ip)


def _port_xml(h: NmapHost, port: int, idx: int | None) -> str:
    if idx is None:
        state = (
            ("filtered", "no-response", "0") if port in h.filtered else ("closed", "reset", "64")
        )
        return (
            f'<port protocol="tcp" portid="{port}"><state state="{state[0]}" '
            f'reason="{state[1]}" reason_ttl="{state[2]}"/><service name="'
            f'{_SERVICES[port][0][0]}" method="table" conf="3"/></port>\n'
        )
    svc, product, version, extra, cpe, tunnel = _SERVICES[port][idx]
    attrs = f'name="{svc}"'
    for label, value in (
        ("product", product),
        ("version", version),
        ("extrainfo", extra),
        ("tunnel", tunnel),
    ):
        if value:
            attrs += f" {label}={quoteattr(value)}"
    probed = product or version
    attrs += ' method="probed" conf="10"' if probed else ' method="table" conf="3"'
    inner = f"<cpe>{escape(cpe)}</cpe>" if cpe and probed else ""
    scripts = ""
    if port == 21 and h.ftp_anon:
        out = (
            "Anonymous FTP login allowed (FTP code 230)\ndrwxr-xr-x  2 0  0  4096 Jan 12  2024 pub"
        )
        scripts += f'<script id="ftp-anon" output={quoteattr(out)}/>'
    if h.vulners and cpe in _VULNERS:
        rows = "".join(f"\n    \t{c}\t{s}\thttps://vulners.com/cve/{c}" for c, s in _VULNERS[cpe])
        table = "".join(
            f'<table>\n<elem key="cvss">{s}</elem>\n<elem key="id">{c}</elem>\n'
            '<elem key="type">cve</elem>\n<elem key="is_exploit">false</elem>\n</table>\n'
            for c, s in _VULNERS[cpe]
        )
        scripts += (
            f'<script id="vulners" output={quoteattr(f"{chr(10)}  {cpe}: {rows}")}>'
            f'<table key="{cpe}">\n{table}</table>\n</script>'
        )
    return (
        f'<port protocol="tcp" portid="{port}"><state state="open" reason="syn-ack" '
        f'reason_ttl="64"/><service {attrs}>{inner}</service>{scripts}</port>\n'
    )


def nmap_host_xml(h: NmapHost, epoch: int) -> str:
    if not h.up:
        return (
            f'<host><status state="down" reason="no-response" reason_ttl="0"/>\n'
            f'<address addr="{h.ip}" addrtype="ipv4"/>\n</host>\n'
        )
    names = f'<hostname name="{h.name}" type="user"/>\n' if h.name else ""
    parts = [
        f'<host starttime="{epoch}" endtime="{epoch + 31}"><status state="up" '
        f'reason="echo-reply" reason_ttl="63"/>\n<address addr="{h.ip}" addrtype="ipv4"/>\n'
        f"<hostnames>\n{names}</hostnames>\n<ports>"
    ]
    opened = dict(h.open)
    parts += [_port_xml(h, p, opened.get(p)) for p in _PORTS]
    parts.append("</ports>\n")
    if 445 in opened and h.smb_v1:
        dialects = ("NT LM 0.12 (SMBv1) [dangerous, but default]", "2:0:2", "2:1:0", "3:0:0")
        out = "\n  dialects: \n    " + "\n    ".join(dialects)
        elems = "".join(f"<elem>{escape(d)}</elem>\n" for d in dialects)
        parts.append(
            f'<hostscript><script id="smb-protocols" output={quoteattr(out)}>'
            f'<table key="dialects">\n{elems}</table>\n</script></hostscript>\n'
        )
    parts.append('<times srtt="512" rttvar="210" to="100000"/>\n</host>\n')
    return "".join(parts)


def gen_nmap(out: Path, hosts_n: int, seed: int, drift: float) -> dict[str, Any]:
    rng = random.Random(seed)
    hosts = [make_nmap_host(rng, h) for h in make_hosts(rng, hosts_n)]
    base = {k: state for h in hosts for state, k in expected_nmap(h)}
    start = SCAN_START
    if drift:  # on the problems: ports closed, risky services newly exposed
        base_fail = {k for k, state in base.items() if state == "fail"}
        hosts = _drift_nmap(random.Random(seed + 1), hosts, base_fail, drift)
        start += NEWER_SCAN
    epoch = int(start.timestamp())
    ports = ",".join(map(str, _PORTS))
    args = (
        f"nmap -v -sV -p {ports} --script vulners,ftp-anon,smb-protocols -oX {out.name} 10.0.0.0/16"
    )
    with out.open("w", encoding="utf-8") as fh:
        fh.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
            '<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>\n'
            # nmap writes "--" as "-&#45;" in this comment ("--" may not appear in a comment)
            f"<!-- Nmap 7.94SVN scan initiated as: {escape(args).replace('--', '-&#45;')} -->\n"
            f'<nmaprun scanner="nmap" args={quoteattr(args)} start="{epoch}" '
            f'startstr="{start:%a %b %d %H:%M:%S %Y}" version="7.94SVN" '
            'xmloutputversion="1.05">\n'
            f'<scaninfo type="syn" protocol="tcp" numservices="{len(_PORTS)}" '
            f'services="{ports}"/>\n<verbose level="1"/>\n<debugging level="0"/>\n'
        )
        for i, h in enumerate(hosts):
            fh.write(nmap_host_xml(h, epoch + i // 50))
        up = sum(h.up for h in hosts)
        end = epoch + len(hosts) // 50 + 40
        fh.write(
            f'<runstats><finished time="{end}" elapsed="{end - epoch}" exit="success"/>'
            f'<hosts up="{up}" down="{len(hosts) - up}" total="{len(hosts)}"/>\n'
            "</runstats>\n</nmaprun>\n"
        )
    return _summary(
        out,
        "nmap-xml",
        [o for h in hosts for o in expected_nmap(h)],
        base if drift else None,
        hosts=hosts_n,
        hosts_down=len(hosts) - up,
    )


def _drift_nmap(
    rng: random.Random, hosts: list[NmapHost], base: set[Key], drift: float
) -> list[NmapHost]:
    """Close ports until ``drift`` of the FAIL findings are gone; open risky ports for half that."""
    hosts = list(hosts)
    gone = new = 0
    for i in rng.sample(range(len(hosts)), len(hosts)):
        before = {k for s, k in expected_nmap(hosts[i]) if s == "fail"}
        if gone < len(base) * drift and hosts[i].open:  # a service was shut down
            drop = rng.choice(hosts[i].open)
            hosts[i] = replace(hosts[i], open=tuple(p for p in hosts[i].open if p != drop))
        elif new < len(base) * drift / 2 and hosts[i].up:  # a service newly exposed
            port = rng.choice((3389, 5900, 6379, 23))
            if port not in dict(hosts[i].open):
                hosts[i] = replace(hosts[i], open=tuple(sorted((*hosts[i].open, (port, 0)))))
        after = {k for s, k in expected_nmap(hosts[i]) if s == "fail"}
        gone, new = gone + len(before - after), new + len(after - before)
        if gone >= len(base) * drift and new >= len(base) * drift / 2:
            break
    return hosts


# -- summary and command line -------------------------------------------------------------


def _summary(
    out: Path,
    fmt: str,
    observed: list[tuple[str, Key]],
    base: dict[Key, str] | None,
    **extra: Any,
) -> dict[str, Any]:
    """File size, observations, distinct findings (by fingerprint) by status and family and,
    with --drift, the findings gone, new and kept against the report made without drift."""
    status: dict[Key, str] = {}
    for state, key in observed:
        status.setdefault(key, state)
    summary: dict[str, Any] = {
        "file": str(out),
        "format": fmt,
        "bytes": out.stat().st_size,
        **extra,
        "observations": len(observed),
        "distinct_findings": len(status),
        "by_status": dict(sorted(Counter(status.values()).items())),
        "by_check_family": dict(sorted(Counter(_family(k[1]) for k in status).items())),
    }
    if base is not None:
        gone, new = base.keys() - status.keys(), status.keys() - base.keys()
        summary |= {
            "base_distinct_findings": len(base),
            "gone": len(gone),
            "new": len(new),
            "kept": len(base.keys() & status.keys()),
            "gone_by_status": dict(sorted(Counter(base[k] for k in gone).items())),
            "new_by_status": dict(sorted(Counter(status[k] for k in new).items())),
        }
    return summary


def _family(check: str) -> str:
    """ "tls.protocol" for catalog ids, the tool for others ("nuclei")."""
    parts = check.split(".")
    return ".".join(parts[:2]) if parts[0] in ("net", "tls", "web") else parts[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("nuclei", "nmap"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--findings", type=int, default=100_000, help="nuclei lines")
    parser.add_argument("--hosts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--drift",
        type=float,
        default=0.0,
        help="newer report: this share of findings gone, half of it new",
    )
    args = parser.parse_args(argv)
    if args.kind == "nuclei":
        summary = gen_nuclei(args.out, args.findings, args.hosts, args.seed, args.drift)
    else:
        summary = gen_nmap(args.out, args.hosts, args.seed, args.drift)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
