"""Links a hand-typed list to the register with Splink 5 (DuckDB backend), for the linkage
benchmark (`cargo run --release -p xaso-bench --bin linkage`).

Reads the register CSV (the format `xaso import registry` reads) and the list CSV
(`STT,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Thôn,Số điện thoại`), standardises both in DuckDB,
trains a link_only model (u by random sampling, the prior from deterministic rules, m by EM on
two blocking rules), predicts, keeps each list row's best candidate, and writes
`row,personal_id,match_weight,match_probability` (one line per linked list row) for the Rust
harness to score. Phase timings go to the --summary JSON file.

The model, as a competent user of Splink would write it for Vietnamese records:
- name keys: lower case, tones and diacritics stripped (DuckDB's strip_accents, đ → d; checked
  against a Python NFD stripper on every distinct name), the regional family spellings
  Võ/Vũ and Huỳnh/Hoàng folded, the filler middle names Văn/Thị dropped for a "core" key;
- comparisons: given name (exact with term frequencies, Jaro-Winkler 0.92 / 0.80), family and
  middle names (exact with term frequencies, exact without Văn/Thị, Jaro-Winkler 0.92 / 0.80),
  date of birth (exact, one edit, day/month swapped, same year with one side year-only,
  year ±1), ID (12-digit exact, CMND exact, one edit or transposition), sex, village
  (exact with term frequencies, Jaro-Winkler 0.88);
- blocking for predictions: ID, CMND, date of birth, core name + birth year, core name +
  village, given name + birth year + village;
- one link per list row: the best-scoring register person at or above the threshold; a row
  whose best two candidates tie is left unlinked (ambiguous). Several list rows may link to the
  same person (lists hold second entries).
"""

import argparse
import json
import logging
import sys
import time
import unicodedata

import duckdb
import splink
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def strip_tones(s: str) -> str:
    """Tones and other diacritics removed, đ/Đ (and the look-alike Ð) as d/D."""
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.replace("đ", "d").replace("Đ", "D").replace("ð", "d").replace("Ð", "D")


def sql_strip(expr: str) -> str:
    """The same in DuckDB SQL (checked against strip_tones on the data's distinct names)."""
    return (
        f"replace(replace(strip_accents(lower({expr})), 'đ', 'd'), 'ð', 'd')"
    )


def sql_words(expr: str) -> str:
    """Lower case, tone-free, single-spaced words of a name, as a list."""
    return (
        f"string_split(trim(regexp_replace({sql_strip(expr)}, '\\s+', ' ', 'g')), ' ')"
    )


# A village: tone-free, without "Thôn"/"Xóm"/"Tổ dân phố", without the commune after a comma,
# numbers without leading zeros.
def sql_village(expr: str) -> str:
    v = f"trim(split_part({sql_strip(expr)}, ',', 1))"
    v = f"regexp_replace({v}, '^(thon|xom|to dan pho|ban|lang|ap)\\s+', '')"
    v = f"regexp_replace({v}, '\\b0+([0-9])', '\\1', 'g')"
    return f"nullif(trim({v}), '')"


STANDARD_COLUMNS = """
    unique_id, given, surname, surname_core, name_key, name_core,
    dob, dob_str, dob_year, dob_month, dob_day, sex, id12, cmnd, village
"""


def standardise(con, source: str, table: str, id_expr: str, id12_expr: str,
                cmnd_expr: str, name: str, dob: str, sex: str, village: str) -> None:
    """Creates `table` with the standard columns from the CSV relation `source`."""
    q(con, f"""
        create or replace table {table} as
        with raw as (
            select
                {id_expr} as unique_id,
                {sql_words(name)} as w,
                nullif(trim({dob}), '') as dob_raw,
                nullif(trim({sex}), '') as sex,
                {id12_expr} as id12,
                {cmnd_expr} as cmnd,
                {sql_village(village)} as village
            from {source}
        ), parts as (
            select *,
                case w[1] when 'vo' then 'vu' when 'huynh' then 'hoang' else w[1] end
                    as family,
                case when len(w) >= 2 then w[len(w)] end as given,
                case when len(w) >= 3 then list_slice(w, 2, len(w) - 1) else [] end
                    as middle,
                try_strptime(dob_raw, '%d/%m/%Y')::date as dob
            from raw
        )
        select
            unique_id,
            given,
            array_to_string(list_prepend(family, middle), ' ') as surname,
            array_to_string(
                list_prepend(family, list_filter(middle, lambda x: x not in ('van', 'thi'))), ' '
            ) as surname_core,
            array_to_string(list_append(list_prepend(family, middle), given), ' ')
                as name_key,
            array_to_string(list_append(list_prepend(family,
                list_filter(middle, lambda x: x not in ('van', 'thi'))), given), ' ') as name_core,
            dob,
            strftime(dob, '%Y-%m-%d') as dob_str,
            try_cast(regexp_extract(dob_raw, '([0-9]{{4}})$', 1) as integer) as dob_year,
            month(dob) as dob_month,
            day(dob) as dob_day,
            sex, id12, cmnd, village
        from parts
    """)


def q(con, sql: str) -> list:
    """Runs SQL to the end (DuckDB 2 refuses new work while a result is unread)."""
    return con.execute(sql).fetchall()


def digits(expr: str) -> str:
    return f"regexp_replace(coalesce({expr}, ''), '[^0-9]', '', 'g')"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--register", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--out", required=True, help="links CSV: row,personal_id,...")
    ap.add_argument("--summary", help="JSON with phase timings and counts")
    ap.add_argument("--tmp", help="DuckDB spill directory")
    ap.add_argument("--threshold", type=float, default=0.5,
                    help="match probability a link needs (default 0.5)")
    ap.add_argument("--u-max-pairs", type=float, default=5e6)
    ap.add_argument("--em-max-pairs", type=float, default=5e6)
    args = ap.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    phases = []  # [name, seconds], in order
    started = time.perf_counter()
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases.append([name, round(now - mark, 3)])
        print(f"== {name}: {now - mark:.2f} s", file=sys.stderr, flush=True)
        mark = now

    con = duckdb.connect()
    if args.tmp:
        q(con, f"set temp_directory = '{args.tmp}'")
    q(con, f"""
        create table register_raw as
        select * from read_csv('{args.register}', header = true, all_varchar = true)
    """)
    q(con, f"""
        create table list_raw as
        select * from read_csv('{args.list}', header = true, all_varchar = true)
    """)
    id12_reg = "nullif(" + digits('"Số định danh cá nhân"') + ", '')"
    cmnd_reg = "nullif(" + digits('"Số CMND"') + ", '')"
    list_digits = digits('"Số CCCD"')
    standardise(
        con, "register_raw", "register_std",
        id_expr='"Số định danh cá nhân"',
        id12_expr=id12_reg,
        cmnd_expr=cmnd_reg,
        name='"Họ và tên"', dob='"Ngày sinh"', sex='"Giới tính"',
        village='coalesce("Nơi thường trú", "Nơi ở hiện tại")',
    )
    standardise(
        con, "list_raw", "list_std",
        id_expr='"STT"',
        id12_expr=f"case when length({list_digits}) = 12 then {list_digits} end",
        cmnd_expr=f"case when length({list_digits}) = 9 then {list_digits} end",
        name='"Họ và tên"', dob='"Ngày sinh"', sex='"Giới tính"', village='"Thôn"',
    )
    # The SQL tone stripping must agree with the Python one on every distinct name.
    names = q(con, """
        select distinct "Họ và tên" from register_raw union
        select distinct "Họ và tên" from list_raw
    """)
    sql_keys = dict(q(con, f"""
        select n, array_to_string({sql_words('n')}, ' ') from
        (select distinct "Họ và tên" as n from register_raw union
         select distinct "Họ và tên" from list_raw) where n is not null
    """))
    bad = [n for (n,) in names if n is not None
           and " ".join(strip_tones(n).lower().split()) != sql_keys.get(n)]
    if bad:
        print(f"tone stripping disagrees on {len(bad)} names, e.g. {bad[:5]}",
              file=sys.stderr)
        return 2
    n_register = q(con, "select count(*) from register_std")[0][0]
    n_list = q(con, "select count(*) from list_std")[0][0]
    phase("load_and_standardise")

    name_levels = lambda col, core: [  # noqa: E731
        cll.NullLevel(col),
        cll.ExactMatchLevel(col, term_frequency_adjustments=True),
        *([cll.ExactMatchLevel(core).configure(label_for_charts=f"{core} exact")]
          if core else []),
        cll.JaroWinklerLevel(col, 0.92),
        cll.JaroWinklerLevel(col, 0.80),
        cll.ElseLevel(),
    ]
    comparisons = [
        cl.CustomComparison(name_levels("given", None), output_column_name="given"),
        cl.CustomComparison(name_levels("surname", "surname_core"),
                            output_column_name="surname"),
        cl.CustomComparison([
            cll.CustomLevel("dob_year_l is null or dob_year_r is null").configure(
                is_null_level=True),
            cll.CustomLevel("dob_l = dob_r", label_for_charts="exact"),
            cll.CustomLevel("damerau_levenshtein(dob_str_l, dob_str_r) <= 1",
                            label_for_charts="one edit"),
            cll.CustomLevel("dob_day_l = dob_month_r and dob_month_l = dob_day_r "
                            "and dob_year_l = dob_year_r",
                            label_for_charts="day/month swapped"),
            cll.CustomLevel("(dob_l is null or dob_r is null) and dob_year_l = dob_year_r",
                            label_for_charts="year only, same year"),
            # Both dates full and different: a typo in the year mostly, so one level for
            # the same year and the years next to it (a separate "same year" level is never
            # seen among matches, and EM could not train it).
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 1",
                            label_for_charts="year ±1"),
            cll.ElseLevel(),
        ], output_column_name="dob"),
        cl.CustomComparison([
            cll.CustomLevel("(id12_l is null and cmnd_l is null) or "
                            "(id12_r is null and cmnd_r is null)").configure(
                is_null_level=True),
            cll.CustomLevel("id12_l = id12_r", label_for_charts="ID exact"),
            cll.CustomLevel("cmnd_l = cmnd_r", label_for_charts="CMND exact"),
            cll.CustomLevel("damerau_levenshtein(id12_l, id12_r) <= 1",
                            label_for_charts="ID one edit"),
            cll.ElseLevel(),
        ], output_column_name="id"),
        cl.ExactMatch("sex"),
        cl.CustomComparison([
            cll.NullLevel("village"),
            cll.ExactMatchLevel("village", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("village", 0.88),
            cll.ElseLevel(),
        ], output_column_name="village"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("id12"),
            block_on("cmnd"),
            block_on("dob"),
            block_on("name_core", "dob_year"),
            block_on("name_core", "village"),
            block_on("given", "dob_year", "village"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(con)
    reg = db_api.register("register_std", dataset_display_name="register")
    lst = db_api.register("list_std", dataset_display_name="list")
    linker = Linker([reg, lst], settings)

    # The prior: matches found by near-deterministic rules over all pairs, scaled by the
    # recall those rules are believed to have (half the list has no ID).
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id12"), block_on("name_key", "dob")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), max_pairs=args.em_max_pairs)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("id12"), max_pairs=args.em_max_pairs)
    phase("train")

    predictions = linker.inference.predict(threshold_match_probability=args.threshold)
    pairs = q(con, 
        f"select count(*) from {predictions.physical_name}")[0][0]
    phase("predict")

    # One link per list row: the best candidate, unless the best two tie.
    q(con, f"""
        create table links as
        with p as (
            select
                case when source_dataset_l = 'list' then unique_id_l else unique_id_r end
                    as row,
                case when source_dataset_l = 'list' then unique_id_r else unique_id_l end
                    as personal_id,
                match_weight, match_probability
            from {predictions.physical_name}
        ), ranked as (
            select *,
                row_number() over (partition by row order by match_weight desc,
                                   personal_id) as rank,
                lead(match_weight) over (partition by row order by match_weight desc,
                                         personal_id) as next_weight
            from p
        )
        select row, personal_id, match_weight, match_probability
        from ranked
        where rank = 1 and (next_weight is null or next_weight < match_weight)
        order by try_cast(row as bigint)
    """)
    linked = q(con, "select count(*) from links")[0][0]
    candidate_rows = q(con, f"""
        select count(distinct case when source_dataset_l = 'list' then unique_id_l
                                   else unique_id_r end)
        from {predictions.physical_name}
    """)[0][0]
    out = args.out.replace("'", "''")
    q(con, f"copy links to '{out}' (header, delimiter ',')")
    phase("assign_and_write")

    total = time.perf_counter() - started
    summary = {
        "splink_version": splink.__version__,
        "duckdb_version": duckdb.__version__,
        "register_rows": n_register,
        "list_rows": n_list,
        "pairs_above_threshold": pairs,
        "links": linked,
        "rows_left_unlinked_by_ties": candidate_rows - linked,
        "threshold_match_probability": args.threshold,
        "probability_two_random_records_match":
            linker._settings_obj._probability_two_random_records_match,
        "phases": phases,
        "total_seconds": round(total, 3),
    }
    print(json.dumps(summary, indent=2), file=sys.stderr)
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
