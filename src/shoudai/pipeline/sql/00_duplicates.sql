-- Registry keys that occur on more than one row, with the row that wins (the first). entity_key = uscc, else
-- 'R:' || reg_no. One hash aggregate, kept small: ranking every row with a window costs several times more.
SELECT coalesce(uscc, 'R:' || reg_no) AS entity_key, min(row_no) AS first_row
FROM registry
WHERE uscc IS NOT NULL OR reg_no IS NOT NULL
GROUP BY coalesce(uscc, 'R:' || reg_no)
HAVING count(*) > 1
