"""Vulnerability intelligence: KEV, OSV, NVD CPE ranges, EPSS, CVSS; matching (no Django)."""
