-- The size rule of every industry code that occurs: the longest matching prefix wins (a 4-digit class beats its
-- 2-digit division, which beats the section letter; '*' matches all). Same as shoudai.reference.size.rule_for.
WITH codes AS (
    SELECT industry_code AS code FROM entities WHERE industry_code IS NOT NULL
    UNION
    SELECT industry_code AS code FROM tax WHERE industry_code IS NOT NULL
),
parsed AS (
    SELECT
        code,
        CASE WHEN substr(code, 1, 1) BETWEEN 'A' AND 'Z' THEN substr(code, 2) ELSE code END AS digits,
        CASE WHEN substr(code, 1, 1) BETWEEN 'A' AND 'Z' THEN substr(code, 1, 1) END AS letter
    FROM codes
),
sectioned AS (
    SELECT p.code, p.digits, coalesce(p.letter, s.section) AS section
    FROM parsed AS p
    LEFT JOIN ref_section AS s
        ON p.letter IS NULL
        AND length(p.digits) >= 2
        AND TRY_CAST(substr(p.digits, 1, 2) AS INTEGER) BETWEEN s.division_from AND s.division_to
),
matched AS (
    SELECT
        c.code,
        m.rule,
        row_number() OVER (PARTITION BY c.code ORDER BY m.match_len DESC, m.rule_ord ASC) AS rn
    FROM sectioned AS c
    JOIN ref_size_match AS m
        ON (m.match_kind = 'digits' AND substr(c.digits, 1, length(m.match)) = m.match)
        OR (m.match_kind = 'section' AND c.section = m.match)
        OR m.match_kind = 'any'
)
SELECT code AS industry_code, rule FROM matched WHERE rn = 1
