-- Each tax row links to at most one entity, by the first key that matches: uscc; the 9-char organisation code inside
-- a uscc (legacy 15-char taxpayer IDs); the operator's person_key (individual businesses only). An entity with several
-- linked rows takes the best-linked one, then the earliest row.
WITH candidates AS (
    SELECT t.row_no AS tax_row, e.entity_key, 1 AS link_rank
    FROM tax AS t JOIN entities AS e ON t.uscc = e.uscc
    UNION ALL
    SELECT t.row_no AS tax_row, e.entity_key, 2 AS link_rank
    FROM tax AS t JOIN entities AS e ON t.org_code = e.org_code
    UNION ALL
    SELECT t.row_no AS tax_row, e.entity_key, 3 AS link_rank
    FROM tax AS t JOIN entities AS e ON t.person_key = e.person_key AND e.entity_kind = 'individual'
),
per_row AS (
    SELECT
        tax_row, entity_key, link_rank,
        row_number() OVER (PARTITION BY tax_row ORDER BY link_rank ASC, entity_key ASC) AS rn
    FROM candidates
),
per_entity AS (
    SELECT
        entity_key, tax_row, link_rank,
        row_number() OVER (PARTITION BY entity_key ORDER BY link_rank ASC, tax_row ASC) AS rn
    FROM per_row
    WHERE rn = 1
)
SELECT
    p.entity_key,
    p.link_rank,
    t.tax_status,
    t.tax_grade,
    t.industry_code,
    t.revenue,
    t.employees,
    t.assets
FROM per_entity AS p
JOIN tax AS t ON t.row_no = p.tax_row
WHERE p.rn = 1
