"""The diagnostic: maturity index, action plan and sector benchmark, in plain Python.

``model`` holds the shared types; ``maturity`` scores answers (the formula is in
``docs/maturity.md``), ``plan`` merges answer gaps and open findings into one ranked list,
``benchmark`` places a business among its peers. No framework import (import-linter).
"""
