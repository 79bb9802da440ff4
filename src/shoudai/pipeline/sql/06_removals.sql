-- Entries of the previous version that are not on this one (matched by uscc or reg_no), with this build's reason
-- for excluding them, or 'gone' when the registry no longer has them at all.
WITH now_u AS (
    SELECT uscc, reason_code FROM classified WHERE uscc IS NOT NULL
),
now_r AS (
    -- Several entities may share a legacy number: it is kept if any of them is, else the first reason by precedence.
    SELECT
        c.reg_no,
        max(CASE WHEN c.reason_code IS NULL THEN 1 ELSE 0 END) AS any_kept,
        min(rr.precedence) AS precedence
    FROM classified AS c LEFT JOIN ref_reason AS rr ON rr.reason_code = c.reason_code
    WHERE c.reg_no IS NOT NULL
    GROUP BY c.reg_no
),
removed AS (
    SELECT p.entity_key, p.list_kind, p.uscc, p.reg_no, p.name, p.county_code,
           coalesce(nu.reason_code, rp.reason_code, 'gone') AS reason_code
    FROM prev_entries AS p
    LEFT JOIN now_u AS nu ON nu.uscc = p.uscc
    LEFT JOIN now_r AS nr ON nr.reg_no = p.reg_no
    LEFT JOIN ref_reason AS rp ON rp.precedence = nr.precedence
    WHERE NOT ((nu.uscc IS NOT NULL AND nu.reason_code IS NULL) OR (nr.reg_no IS NOT NULL AND nr.any_kept = 1))
)
SELECT
    CAST(m.entity_key AS VARCHAR) AS entity_key,
    CAST(m.list_kind AS VARCHAR) AS list_kind,
    CAST(m.uscc AS VARCHAR) AS uscc,
    CAST(m.reg_no AS VARCHAR) AS reg_no,
    CAST(m.name AS VARCHAR) AS name,
    CAST(m.county_code AS VARCHAR) AS county_code,
    CAST(m.reason_code AS VARCHAR) AS reason_code,
    CAST(rr.reason AS VARCHAR) AS reason
FROM removed AS m
LEFT JOIN ref_reason AS rr ON rr.reason_code = m.reason_code
