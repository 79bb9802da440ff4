-- One row per registry entity (a view: cheap to re-read, since the only heavy part, finding duplicates, is done).
-- Legacy division codes are mapped forward (410728 → 410783) even if the importer already did so.
SELECT
    r.row_no,
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
    SELECT g.*, coalesce(g.uscc, 'R:' || g.reg_no) AS entity_key
    FROM registry AS g
    WHERE g.uscc IS NOT NULL OR g.reg_no IS NOT NULL
) AS r
LEFT JOIN duplicates AS f ON f.entity_key = r.entity_key
LEFT JOIN ref_division AS d ON d.code = r.county_code
WHERE f.entity_key IS NULL OR r.row_no = f.first_row
