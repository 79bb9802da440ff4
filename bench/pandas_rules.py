"""The list rules of docs/design/two-lists.md written plainly in pandas, as an analyst would: the speed-up baseline.

It follows the same rules (normalisation, check digits, legacy links, credit hits, tiers, size classes) so the ratio
compares like with like; it does not write rejects reports, Parquet, Excel or the database.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pandas as pd

from bench.baselines import sniff_encoding
from shoudai.config import get_settings
from shoudai.reference.loaders import division_code_map
from shoudai.reference.size import classify, rule_for

FULL = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ（）　"
HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz() "
WIDTH = str.maketrans(FULL, HALF)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
RIC_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def code(s: pd.Series) -> pd.Series:
    return s.fillna("").str.translate(WIDTH).str.replace(r"\s+", "", regex=True).str.upper()


def uscc_ok(c: str) -> bool:
    if len(c) != 18 or any(ch not in USCC_CHARS for ch in c):
        return False
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(c[:17], USCC_W, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == c[17]


def ric_ok(c: str) -> bool:
    if len(c) != 18 or not c[:17].isdigit():
        return False
    return "10X98765432"[sum(int(ch) * w for ch, w in zip(c[:17], RIC_W, strict=True)) % 11] == c[17]


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, encoding=sniff_encoding(path), keep_default_na=False)


def pandas_rules(city: Path) -> dict[str, int]:
    key = get_settings().blind_index_key
    pkey = lambda v: hashlib.sha256(f"{key}|{v}".encode()).hexdigest() if v else None
    reg, tax, cred = read(city / "registry.csv"), read(city / "tax.csv"), read(city / "credit.csv")
    reg = reg.drop_duplicates()
    reg["uscc"] = code(reg["统一社会信用代码"])
    reg["行业代码"] = code(reg.get("行业代码", pd.Series("", index=reg.index)))
    reg["reg_no"] = code(reg.get("注册号", pd.Series("", index=reg.index)))
    reg = reg[(reg["uscc"] == "") & (reg["reg_no"].str.len() == 15) | reg["uscc"].apply(uscc_ok)]
    counties = division_code_map()
    reg["county"] = code(reg["行政区划代码"]).map(counties)
    reg = reg[reg["county"].notna() & (reg["主体名称"].str.strip() != "")]
    reg["kind"] = reg["uscc"].str[:2].map({"91": "enterprise", "92": "individual", "93": "cooperative"})
    no_code = reg["uscc"] == ""
    reg.loc[no_code, "kind"] = reg.loc[no_code, "主体类型"].map(
        lambda t: "individual" if "个体" in t else "cooperative" if "合作社" in t else "enterprise"
    )
    reg["kind"] = reg["kind"].fillna("other")
    pid = code(reg.get("证件号码", pd.Series("", index=reg.index)))
    reg["person_key"] = pid.where(pid.apply(ric_ok), "").map(pkey)
    reg["key"] = reg["uscc"].where(reg["uscc"] != "", "R:" + reg["reg_no"])
    reg = reg.drop_duplicates("key")

    tax["tid"] = code(tax["纳税人识别号"])
    tax = tax.drop_duplicates("tid")
    cols = ["纳税人状态", "从业人数", "上年营业收入(万元)", "资产总额(万元)"]
    by_uscc = tax[tax["tid"].apply(uscc_ok)][["tid", *cols]].rename(columns={"tid": "uscc"})
    legacy = tax[tax["tid"].str.len() == 15].assign(org=lambda d: d["tid"].str[6:])[["org", *cols]]
    pid = tax["tid"].str[:18].where(tax["tid"].str.len().isin([18, 20]), "")
    personal = tax[pid.apply(ric_ok)].assign(person_key=pid.map(pkey))[["person_key", *cols]]

    reg["org"] = reg["uscc"].str[8:17]
    reg["ind_pk"] = reg["person_key"].where(reg["kind"] == "individual")
    linked = reg.merge(by_uscc, on="uscc", how="left")
    via_org = reg[["key", "org"]].merge(legacy.drop_duplicates("org"), on="org").drop_duplicates("key")
    via_pk = reg[["key", "ind_pk"]].merge(personal.drop_duplicates("person_key"), left_on="ind_pk",
                                          right_on="person_key").drop_duplicates("key")
    for fallback in (via_org, via_pk):
        fb = linked[["key"]].merge(fallback, on="key", how="left")
        missing = linked["纳税人状态"].isna()
        for c in cols:
            linked.loc[missing, c] = fb.loc[missing, c].values

    cred["id"] = code(cred["主体标识"])
    hit = cred[(cred["有贷款记录"].str.strip() == "是") | (cred["有票据贴现记录"].str.strip() == "是")]
    hit_uscc = set(hit.loc[hit["标识类型"].str.contains("信用"), "id"])
    hit_person = set(hit.loc[hit["标识类型"].str.contains("身份"), "id"].map(pkey))

    ok = linked["登记状态"].str.strip().isin(["存续", "在业"]) & (linked["kind"] != "other")
    ok &= ~linked["uscc"].isin(hit_uscc)
    ok &= ~((linked["kind"] == "individual") & linked["person_key"].isin(hit_person))
    ok &= linked["纳税人状态"].isna() | (linked["纳税人状态"].str.strip() == "正常")
    kept = linked[ok].copy()

    def num(v):
        return Decimal(v) if isinstance(v, str) and v.strip() else None

    def too_big(row) -> bool:
        figures = {"employees": num(row["从业人数"]), "revenue": num(row["上年营业收入(万元)"]),
                   "assets": num(row["资产总额(万元)"])}
        return classify(rule_for(row.get("行业代码") or None), figures) in ("large", "medium")

    sme = kept[kept["kind"] != "individual"]
    sme = sme[~sme.apply(too_big, axis=1)]
    return {"sme": len(sme), "individual": int((kept["kind"] == "individual").sum())}


if __name__ == "__main__":
    import sys
    import time

    t0 = time.perf_counter()
    print(pandas_rules(Path(sys.argv[1])), f"{time.perf_counter() - t0:.1f}s")
