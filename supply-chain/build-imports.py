#!/usr/bin/env python3
"""Build supply-chain/imports.lock offline, and keep trusted entries in step.

cargo-vet normally fetches the audit sets listed under [imports.*] in
config.toml from their URLs and records them in imports.lock, so that
`cargo vet --locked` (what CI runs) needs no network. This machine cannot
reach those URLs, so this script builds the same imports.lock from the copies
in ../shared/supply-chain-imports/ (or $PLUMB_SHARED/supply-chain-imports):

  bytecodealliance-audits.toml  Wasmtime's supply-chain/audits.toml: the
                                [audits.bytecode-alliance] import
  wasmtime-imports.lock         Wasmtime's imports.lock: the other imports
                                (mozilla, google, embark-studios, isrg, ...)
                                and crates.io publisher facts

What it does (Python 3.11 standard library, plus `cargo vet fmt` at the end):

  1. [audits.<import>] for every import of config.toml, with the audits and
     wildcard audits of crates in Cargo.lock (all of them with --all).
  2. [[publisher.<crate>]] (who published which version on crates.io, what
     wildcard audits and trusted entries match against) for the crates in
     Cargo.lock, from the existing imports.lock and wasmtime-imports.lock.
  3. [[trusted.<crate>]] in audits.toml: for each crate of Cargo.lock that the
     Bytecode Alliance trusts a publisher for, the same trust (same publisher
     and start; end one year from today, as `cargo vet trust` does) unless
     audits.toml already has a trusted entry for that crate.

Publisher facts come from crates.io's API, which this machine cannot reach
either: a trusted entry or wildcard audit only applies offline to a version
whose publisher Wasmtime's imports.lock records. Where the network exists, a
plain `cargo vet` fetches the imports and the missing publisher facts itself
(this script is then not needed), and `cargo vet prune` drops the exemptions
they make unnecessary.

Usage (from the repository root):
  python3 supply-chain/build-imports.py [--all] [--no-trusted]
  cargo vet --locked
"""

import argparse
import datetime
import os
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BA = "bytecode-alliance"


def shared_dir(arg):
    if arg:
        return arg
    base = os.environ.get("PLUMB_SHARED") or os.path.join(ROOT, "..", "shared")
    return os.path.join(base, "supply-chain-imports")


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def locked_versions():
    """Registry packages of Cargo.lock: {name: {version, ...}}."""
    out = {}
    for p in load(os.path.join(ROOT, "Cargo.lock")).get("package", []):
        if "source" in p and p["source"].startswith("registry+"):
            out.setdefault(p["name"], set()).add(p["version"])
    return out


def tval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (datetime.date,)):
        return '"%s"' % v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(tval(x) for x in v) + "]"
    s = str(v)
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"%s"' % s


def entry(header, fields, drop=()):
    lines = ["[[%s]]" % header]
    for k, v in fields.items():
        if k not in drop:
            lines.append("%s = %s" % (k, tval(v)))
    return "\n".join(lines) + "\n"


def import_sets(config, shared, keep):
    """{import name: audits-file dict} for every import of config.toml."""
    ba = load(os.path.join(shared, "bytecodealliance-audits.toml"))
    lock = load(os.path.join(shared, "wasmtime-imports.lock"))
    sets = {}
    for name in config.get("imports", {}):
        if name == BA:
            src = ba
        elif name in lock.get("audits", {}):
            src = lock["audits"][name]
        else:
            sys.exit("error: no offline copy of import %r in %s" % (name, shared))
        excluded = set(config["imports"][name].get("exclude", []))
        sets[name] = {
            kind: {c: l for c, l in src.get(kind, {}).items() if keep(c) and c not in excluded}
            for kind in ("audits", "wildcard-audits")
        }
    return sets, ba, lock


def publishers(lock, versions):
    """Publisher facts for the crates in Cargo.lock, old imports.lock first."""
    out = {}
    sources = []
    mine = os.path.join(HERE, "imports.lock")
    if os.path.exists(mine):
        sources.append(load(mine).get("publisher", {}))
    sources.append(lock.get("publisher", {}))
    for src in sources:
        for crate, entries in src.items():
            for e in entries:
                # Every version of a crate we use: a fact about an older
                # version lets a trusted entry vet it, and our delta audits
                # continue from there.
                if crate in versions:
                    out.setdefault(crate, {}).setdefault(e["version"], e)
    return out


def write_imports(sets, pubs):
    parts = ["\n# cargo-vet imports lock\n"]
    for crate in sorted(pubs):
        for ver in sorted(pubs[crate]):
            parts.append(entry("publisher." + crate, pubs[crate][ver]))
    for name in sorted(sets):
        # An import with nothing relevant still needs its table, so that
        # imports.lock lists exactly the imports of config.toml.
        parts.append("[audits.%s.audits]\n" % name)
        for kind in ("wildcard-audits", "audits"):
            for crate in sorted(sets[name][kind]):
                for e in sets[name][kind][crate]:
                    parts.append(entry("audits.%s.%s.%s" % (name, kind, crate), e))
    with open(os.path.join(HERE, "imports.lock"), "w") as f:
        f.write("\n".join(parts))


def sync_trusted(ba, versions, today):
    """Append BA's trust of a crate's publisher where audits.toml has none."""
    path = os.path.join(HERE, "audits.toml")
    have = load(path).get("trusted", {})
    end = (today + datetime.timedelta(days=365)).isoformat()
    added = []
    text = ""
    for crate in sorted(ba.get("trusted", {})):
        if crate not in versions or crate in have:
            continue
        for e in ba["trusted"][crate]:
            fields = {"criteria": e["criteria"]}
            for k in ("user-id", "trusted-publisher"):
                if k in e:
                    fields[k] = e[k]
            fields["start"] = e["start"]
            fields["end"] = end
            fields["notes"] = "Trusted as the Bytecode Alliance (Wasmtime) trusts this publisher."
            text += "\n" + entry("trusted." + crate, fields)
            added.append(crate)
    if text:
        with open(path, "a") as f:
            f.write(text)
    return sorted(set(added))


def cargo_vet(*args):
    subprocess.run(["cargo", "vet"] + list(args), cwd=ROOT, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", help="folder with the offline copies (default ../shared/supply-chain-imports)")
    ap.add_argument("--all", action="store_true", help="keep every imported audit, not only those of crates in Cargo.lock")
    ap.add_argument("--no-trusted", action="store_true", help="do not add trusted entries to audits.toml")
    args = ap.parse_args()

    today = datetime.date.today()
    shared = shared_dir(args.shared)
    config = load(os.path.join(HERE, "config.toml"))
    versions = locked_versions()
    keep = (lambda c: True) if args.all else (lambda c: c in versions)
    sets, ba, lock = import_sets(config, shared, keep)

    if not args.no_trusted:
        added = sync_trusted(ba, versions, today)
        if added:
            print("added trusted entries for: " + ", ".join(added))

    pubs = publishers(lock, versions)

    write_imports(sets, pubs)
    cargo_vet("fmt")  # cargo-vet's canonical formatting, which --locked checks
    n_aud = sum(len(l) for s in sets.values() for l in s["audits"].values())
    n_wild = sum(len(l) for s in sets.values() for l in s["wildcard-audits"].values())
    n_pub = sum(len(v) for v in pubs.values())
    print("imports.lock: %d imports, %d audits, %d wildcard audits, %d publisher facts"
          % (len(sets), n_aud, n_wild, n_pub))


if __name__ == "__main__":
    main()
