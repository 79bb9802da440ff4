-- One row per registry entity. entity_key = uscc, else 'R:' || reg_no; where a key occurs twice the first row wins.
-- Legacy division codes are mapped forward (410728 → 410783) even if the importer already did so.
SELECT
    r.entity_key,
    r.uscc,
    r.reg_no,
    r.name,
    r.registry_type,
    coalesce(r.entity_kind, 'other') AS entity_kind,
    r.legal_rep,
    r.person_key,
    r.established_on,
    r.status,
    coalesce(d.current_code, r.county_code) AS county_code,
    r.industry_code,
    r.address,
    CASE WHEN r.uscc IS NOT NULL THEN substr(r.uscc, 9, 9) END AS org_code
FROM (
    SELECT
        g.*,
        coalesce(g.uscc, 'R:' || g.reg_no) AS entity_key,
        row_number() OVER (PARTITION BY coalesce(g.uscc, 'R:' || g.reg_no) ORDER BY g.row_no) AS rn
    FROM registry AS g
    WHERE g.uscc IS NOT NULL OR g.reg_no IS NOT NULL
) AS r
LEFT JOIN ref_division AS d ON d.code = r.county_code
WHERE r.rn = 1
