#!/usr/bin/env python3
"""The crates the named packages link, with versions and licences.

Reads `cargo metadata --format-version 1 --filter-platform TARGET` on stdin;
follows normal dependencies only (build scripts and tests are not shipped)
from the named workspace packages; prints one line per crate.
"""
import json
import sys

meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
roots = [p["id"] for p in meta["packages"] if p["name"] in sys.argv[1:]]
if len(roots) != len(sys.argv) - 1:
    sys.exit(f"rust-crates.py: not all of {sys.argv[1:]} are in the workspace")

seen, todo = set(), list(roots)
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
            seen.add(dep["pkg"])
            todo.append(dep["pkg"])

print("Rust crates linked into paraakh and paraakh-app (name, version, licence, source):")
print()
for pid in sorted(seen, key=lambda i: (packages[i]["name"], packages[i]["version"])):
    p = packages[pid]
    if p["source"] is None:
        continue  # our own crates: Apache-2.0, see copyright
    licence = p.get("license") or f"see {p.get('license_file') or 'the crate'}"
    print(f"{p['name']} {p['version']}  {licence}  {p.get('repository') or ''}".rstrip())
