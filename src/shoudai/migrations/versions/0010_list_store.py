"""list entries: on PostgreSQL one partition per list version, so a build loads and indexes its own table

Revision ID: 0010
Revises: 0009

PostgreSQL: list_entry is partitioned by LIST (version_id). Inserting a list_version row creates that version's
partition list_entry_v<id> (itself partitioned, with one DEFAULT leaf list_entry_v<id>_0 for rows inserted one by
one) and attaches it with SHARE UPDATE EXCLUSIVE only, which no reader or writer waits for. A build then COPYs its
rows into a new bare leaf and indexes it before attaching it under its version (shoudai.registry.store): readers of
other versions never see, wait for or pay for the load. The primary key becomes (id, version_id), as a partitioned
table's unique keys must hold the partition key; id stays unique, drawn from the same sequence.

Both engines: the oversight tables' foreign keys to list_entry.id are dropped (no unique key on id alone can exist
on a partitioned table); shoudai.registry.store.delete_version_rows applies their ON DELETE rules itself, and the
oversight code only ever stores the id of an entry it has just read.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FILTER_COLUMNS = "list_kind, tier, industry_section, change, address, name"
COLUMNS = """
    id integer NOT NULL DEFAULT nextval('list_entry_id_seq'),
    version_id integer NOT NULL,
    entity_key varchar(32) NOT NULL,
    list_kind varchar(16) NOT NULL,
    uscc varchar(18),
    reg_no varchar(15),
    name varchar(200) NOT NULL,
    entity_kind varchar(16) NOT NULL,
    registry_type varchar(50),
    county_code varchar(6) NOT NULL,
    industry_code varchar(5),
    industry_section varchar(1),
    address varchar(300),
    legal_rep_masked varchar(50),
    established_on varchar(10),
    tax_status varchar(8),
    tax_grade varchar(2),
    tier varchar(1) NOT NULL,
    size_class varchar(8),
    change varchar(8) NOT NULL,
    first_listed_year integer NOT NULL,
    reasons text NOT NULL
"""
NAMES = ("id, version_id, entity_key, list_kind, uscc, reg_no, name, entity_kind, registry_type, county_code, "
         "industry_code, industry_section, address, legal_rep_masked, established_on, tax_status, tax_grade, tier, "
         "size_class, change, first_listed_year, reasons")
OV_FKS = (
    ("ov_first_loan", "fk_ov_first_loan_list_entry_id_list_entry", "SET NULL"),
    ("ov_list_conversion", "fk_ov_list_conversion_list_entry_id_list_entry", "CASCADE"),
)

# A version's partition: created as a plain table and then attached, so the parent is only ever locked SHARE UPDATE
# EXCLUSIVE (CREATE TABLE … PARTITION OF would lock it ACCESS EXCLUSIVE, every reader waiting until the build commits).
ADD_PARTITION = """
CREATE FUNCTION list_entry_add_partition(v integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p text := 'list_entry_v' || v;
BEGIN
    EXECUTE format('CREATE TABLE %I (LIKE list_entry INCLUDING DEFAULTS) PARTITION BY LIST (version_id)', p);
    EXECUTE format('CREATE TABLE %I (LIKE list_entry INCLUDING DEFAULTS)', p || '_0');
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', p, p || '_0');
    EXECUTE format('ALTER TABLE list_entry ATTACH PARTITION %I FOR VALUES IN (%s)', p, v);
END
$$
"""
ON_VERSION = """
CREATE FUNCTION list_version_partition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM list_entry_add_partition(NEW.id);
    RETURN NULL;
END
$$
"""


def _fk_clause(name: str, ondelete: str) -> str:
    return f", \n\tCONSTRAINT {name} FOREIGN KEY(list_entry_id) REFERENCES list_entry (id) ON DELETE {ondelete}"


def _sqlite_fk(table: str, name: str, ondelete: str, *, add: bool) -> None:
    """Rewrite a SQLite table's CREATE statement in place: SQLite's documented way to drop (or add) a foreign key.

    Not batch mode: that copies the table and DROPs the original, and with foreign keys on the DROP's implicit
    DELETE would cascade to (or be refused by) every table that references ov_first_loan."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    clause = _fk_clause(name, ondelete)
    if add:
        new = sql[:sql.rindex("\n)")] + clause + "\n)"
    elif clause in sql:
        new = sql.replace(clause, "")
    else:
        raise RuntimeError(f"unexpected definition of {table}, no {clause!r} in {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new, table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, name, ondelete in OV_FKS:
        if sqlite:
            _sqlite_fk(table, name, ondelete, add=False)
        else:
            op.drop_constraint(name, table, type_="foreignkey")
    if sqlite:
        return
    op.execute("ALTER TABLE list_entry RENAME TO list_entry_old")
    for name in ("pk_list_entry", "uq_list_entry_version_id", "ix_list_entry_county", "ix_list_entry_uscc"):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
    op.execute(f"CREATE TABLE list_entry ({COLUMNS}) PARTITION BY LIST (version_id)")
    op.execute("ALTER SEQUENCE list_entry_id_seq OWNED BY list_entry.id")
    op.execute("ALTER TABLE list_entry_old ALTER COLUMN id DROP DEFAULT")
    op.execute("ALTER TABLE list_entry ADD CONSTRAINT pk_list_entry PRIMARY KEY (id, version_id)")
    op.execute("ALTER TABLE list_entry ADD CONSTRAINT uq_list_entry_version_id UNIQUE (version_id, entity_key)")
    op.execute("ALTER TABLE list_entry ADD CONSTRAINT fk_list_entry_version_id_list_version "
               "FOREIGN KEY (version_id) REFERENCES list_version (id) ON DELETE CASCADE")
    op.execute(f"CREATE INDEX ix_list_entry_county ON list_entry (version_id, county_code, entity_key) "
               f"INCLUDE ({FILTER_COLUMNS})")
    op.execute("CREATE INDEX ix_list_entry_uscc ON list_entry (uscc)")
    op.execute(ADD_PARTITION)
    op.execute(ON_VERSION)
    op.execute("CREATE TRIGGER list_version_partition AFTER INSERT ON list_version "
               "FOR EACH ROW EXECUTE FUNCTION list_version_partition()")
    # The existing versions get their partitions as if just inserted; their rows move across with their ids.
    op.execute("SELECT list_entry_add_partition(id) FROM list_version ORDER BY id")
    op.execute(f"INSERT INTO list_entry ({NAMES}) SELECT {NAMES} FROM list_entry_old")
    op.execute("DROP TABLE list_entry_old")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER list_version_partition ON list_version")
        op.execute("DROP FUNCTION list_version_partition()")
        op.execute("DROP FUNCTION list_entry_add_partition(integer)")
        op.execute("ALTER TABLE list_entry RENAME TO list_entry_parts")
        for name in ("pk_list_entry", "uq_list_entry_version_id", "ix_list_entry_county", "ix_list_entry_uscc"):
            op.execute(f"ALTER INDEX {name} RENAME TO {name}_parts")
        op.execute(f"CREATE TABLE list_entry ({COLUMNS})")
        op.execute("ALTER SEQUENCE list_entry_id_seq OWNED BY list_entry.id")
        op.execute(f"INSERT INTO list_entry ({NAMES}) SELECT {NAMES} FROM list_entry_parts")
        op.execute("DROP TABLE list_entry_parts CASCADE")
        op.execute("ALTER TABLE list_entry ADD CONSTRAINT pk_list_entry PRIMARY KEY (id)")
        op.execute("ALTER TABLE list_entry ADD CONSTRAINT uq_list_entry_version_id UNIQUE (version_id, entity_key)")
        op.execute("ALTER TABLE list_entry ADD CONSTRAINT fk_list_entry_version_id_list_version "
                   "FOREIGN KEY (version_id) REFERENCES list_version (id) ON DELETE CASCADE")
        op.execute(f"CREATE INDEX ix_list_entry_county ON list_entry (version_id, county_code, entity_key) "
                   f"INCLUDE ({FILTER_COLUMNS})")
        op.execute("CREATE INDEX ix_list_entry_uscc ON list_entry (uscc)")
    # What the foreign keys would have done while they were off: forget or drop links to entries that are gone.
    op.execute("UPDATE ov_first_loan SET list_entry_id = NULL WHERE list_entry_id NOT IN (SELECT id FROM list_entry)")
    op.execute("DELETE FROM ov_list_conversion WHERE list_entry_id NOT IN (SELECT id FROM list_entry)")
    for table, name, ondelete in OV_FKS:
        if bind.dialect.name == "sqlite":
            _sqlite_fk(table, name, ondelete, add=True)
        else:
            op.create_foreign_key(name, table, "list_entry", ["list_entry_id"], ["id"], ondelete=ondelete)

