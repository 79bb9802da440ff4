-- Each tax row links to at most one entity, by the first key that matches: uscc; the 9-char organisation code inside
-- a uscc (legacy 15-char taxpayer IDs); the operator's person_key (individual businesses only). An entity with several
-- linked rows takes the best-linked one, then the earliest row. Choices are made with min() over packed keys
-- (rank before entity key; rank before row number) rather than window functions, which cost far more at scale; and
-- only tax rows that carry a second key can have a second candidate, so only those are ranked per row.
WITH by_uscc AS (
    SELECT t.row_no AS tax_row, e.entity_key, 1 AS link_rank, (t.org_code IS NULL AND t.person_key IS NULL) AS only_key
    FROM tax AS t JOIN entities AS e ON t.uscc = e.uscc
),
others AS (
    SELECT tax_row, entity_key, link_rank FROM by_uscc WHERE NOT only_key
    UNION ALL
    SELECT t.row_no AS tax_row, e.entity_key, 2 AS link_rank
    FROM tax AS t JOIN entities AS e ON t.org_code = e.org_code
    UNION ALL
    SELECT t.row_no AS tax_row, e.entity_key, 3 AS link_rank
    FROM tax AS t JOIN entities AS e ON t.person_key = e.person_key AND e.entity_kind = 'individual'
),
per_row AS (
    SELECT tax_row, entity_key, link_rank FROM by_uscc WHERE only_key
    UNION ALL
    SELECT tax_row, substr(packed, 2) AS entity_key, CAST(substr(packed, 1, 1) AS INTEGER) AS link_rank
    FROM (
        SELECT tax_row, min(CAST(link_rank AS VARCHAR) || entity_key) AS packed
        FROM others
        GROUP BY tax_row
    ) AS x
),
per_entity AS (
    SELECT entity_key, min(CAST(link_rank AS BIGINT) * 4294967296 + tax_row) AS packed_row
    FROM per_row
    GROUP BY entity_key
)
SELECT
    p.entity_key,
    CAST(floor(p.packed_row / 4294967296) AS INTEGER) AS link_rank,
    t.tax_status,
    t.tax_grade,
    t.industry_code,
    t.revenue,
    t.employees,
    t.assets
FROM per_entity AS p
JOIN tax AS t ON t.row_no = p.packed_row % 4294967296
