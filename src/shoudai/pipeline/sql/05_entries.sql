-- The kept entities as list entries (columns of list_entry), marked new or carried against the previous version
-- (same uscc or same reg_no); first_listed_year is carried over. The text columns come from the entity's registry row.
WITH prev_u AS (
    SELECT uscc, min(first_listed_year) AS fy FROM prev_entries WHERE uscc IS NOT NULL GROUP BY uscc
),
prev_r AS (
    SELECT reg_no, min(first_listed_year) AS fy FROM prev_entries WHERE reg_no IS NOT NULL GROUP BY reg_no
)
SELECT
    CAST(k.entity_key AS VARCHAR) AS entity_key,
    CAST(CASE WHEN k.entity_kind = 'individual' THEN 'individual' ELSE 'sme' END AS VARCHAR) AS list_kind,
    CAST(k.uscc AS VARCHAR) AS uscc,
    CAST(k.reg_no AS VARCHAR) AS reg_no,
    CAST(g.name AS VARCHAR) AS name,
    CAST(k.entity_kind AS VARCHAR) AS entity_kind,
    CAST(g.registry_type AS VARCHAR) AS registry_type,
    CAST(k.county_code AS VARCHAR) AS county_code,
    CAST(k.industry_code AS VARCHAR) AS industry_code,
    CAST(CASE WHEN substr(k.industry_code, 1, 1) BETWEEN 'A' AND 'Z' THEN substr(k.industry_code, 1, 1) END AS VARCHAR)
        AS industry_section,
    CAST(g.address AS VARCHAR) AS address,
    CAST(CASE WHEN length(g.legal_rep) > 0 THEN substr(g.legal_rep, 1, 1) || '*' END AS VARCHAR) AS legal_rep_masked,
    CAST(g.established_on AS VARCHAR) AS established_on,
    CAST(k.tax_status AS VARCHAR) AS tax_status,
    CAST(k.tax_grade AS VARCHAR) AS tax_grade,
    CAST(CASE
        WHEN k.link_rank IS NULL THEN 'C'
        WHEN k.tax_grade IN ('A', 'B', 'M') THEN 'A'
        ELSE 'B'
    END AS VARCHAR) AS tier,
    CAST(k.size_class AS VARCHAR) AS size_class,
    CAST(CASE WHEN pu.fy IS NULL AND pr.fy IS NULL THEN 'new' ELSE 'carried' END AS VARCHAR) AS change,
    CAST(coalesce(pu.fy, pr.fy, bp.year) AS INTEGER) AS first_listed_year,
    CAST(concat_ws(
        '；',
        '登记状态：' || k.status,
        CASE
            WHEN k.link_rank IS NULL THEN '纳税：无税务登记信息（仅有登记数据）'
            ELSE '纳税：' || k.tax_status || '（'
                || CASE WHEN k.tax_grade IS NULL THEN '未评信用等级' ELSE '信用等级' || k.tax_grade END
                || CASE k.link_rank WHEN 2 THEN '，按原纳税人识别号关联' WHEN 3 THEN '，按经营者身份关联' ELSE '' END
                || '）'
        END,
        '征信：无贷款及票据贴现记录',
        CASE k.size_class
            WHEN 'micro' THEN '规模：微型'
            WHEN 'small' THEN '规模：小型'
            WHEN 'unknown' THEN '规模：无法判定（缺少税务规模数据）'
        END
    ) AS VARCHAR) AS reasons
FROM classified AS k
JOIN registry AS g ON g.row_no = k.row_no
CROSS JOIN build_params AS bp
LEFT JOIN prev_u AS pu ON pu.uscc = k.uscc
LEFT JOIN prev_r AS pr ON pr.reg_no = k.reg_no
WHERE k.reason_code IS NULL
