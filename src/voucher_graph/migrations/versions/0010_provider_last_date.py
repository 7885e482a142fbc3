"""rule A's relation keeps one latest date, and its classes are counted per provider

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 18:00:00

- `provider_customers`: `last_event_date` and `last_reservation_end` become one
  `last_date`, the latest of the pair's non-deleted event dates and reservation ends.
  Rule A reads them alike (either inside the window), so the policy reads the one
  date (policies/polar/customers.polar) and means the same.
- `provider_name_words` carries the same facts as the relation (rebuilt here).
- `provider_customer_counts`: the relation grouped by (provider, `last_date`,
  `reservation_open`), so that a provider's exact count of visible customers sums a
  few thousand classes instead of reading every pair (data/provider_counts.py).

All three are rebuilt from the events and reservations, as `load` and `generate` build
them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The same rows as data/access_relation.py, data/scoped_words.py and
# data/provider_counts.py derive, in SQL that both databases accept (a migration must
# not import code that later changes).
DERIVE_PAIRS = """
INSERT INTO provider_customers (provider_id, customer_id, last_date, reservation_open)
SELECT provider_id, customer_id, max(day), max(is_open) = 1
FROM (
    SELECT provider_id, customer_id, service_date AS day, 0 AS is_open
    FROM events WHERE NOT deleted
    UNION ALL
    SELECT provider_id, customer_id, valid_to,
           CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END
    FROM reservations
) AS facts
GROUP BY provider_id, customer_id
"""
DERIVE_WORDS = """
INSERT INTO provider_name_words
    (provider_id, word, customer_id, last_date, reservation_open, last_name_lower,
     first_name_lower)
SELECT pc.provider_id, w.word, w.customer_id, pc.last_date, pc.reservation_open,
       w.last_name_lower, w.first_name_lower
FROM provider_customers pc JOIN customer_name_words w ON w.customer_id = pc.customer_id
"""
DERIVE_COUNTS = """
INSERT INTO provider_customer_counts
    (provider_id, dated, date_key, reservation_open, last_date, customer_count)
SELECT provider_id, last_date IS NOT NULL, coalesce(last_date, DATE '0001-01-01'),
       reservation_open, last_date, count(*)
FROM provider_customers
GROUP BY provider_id, last_date, reservation_open
"""
DERIVE_COUNTS_SQLITE = DERIVE_COUNTS.replace("DATE '0001-01-01'", "'0001-01-01'")
# Downgrade: the two dates of revision 0009 again.
DERIVE_PAIRS_0009 = """
INSERT INTO provider_customers
    (provider_id, customer_id, last_event_date, reservation_open, last_reservation_end)
SELECT provider_id, customer_id, max(event_date), max(is_open) = 1, max(reservation_end)
FROM (
    SELECT provider_id, customer_id, service_date AS event_date, 0 AS is_open,
           CAST(NULL AS DATE) AS reservation_end
    FROM events WHERE NOT deleted
    UNION ALL
    SELECT provider_id, customer_id, CAST(NULL AS DATE),
           CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END, valid_to
    FROM reservations
) AS facts
GROUP BY provider_id, customer_id
"""
DERIVE_WORDS_0009 = """
INSERT INTO provider_name_words
    (provider_id, word, customer_id, last_event_date, reservation_open,
     last_reservation_end, last_name_lower, first_name_lower)
SELECT pc.provider_id, w.word, w.customer_id, pc.last_event_date, pc.reservation_open,
       pc.last_reservation_end, w.last_name_lower, w.first_name_lower
FROM provider_customers pc JOIN customer_name_words w ON w.customer_id = pc.customer_id
"""


def _word(postgresql: bool) -> sa.String:
    return sa.String(length=200, collation='C') if postgresql else sa.String(length=200)


def _create_pairs(facts: list[sa.Column[object]], fact_names: list[str]) -> None:
    op.create_table('provider_customers',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    *facts,
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('provider_id', 'customer_id')
    )
    op.create_index('ix_provider_customers_customer', 'provider_customers', ['customer_id', 'provider_id'])
    # Covering: rule A's probes read this index alone.
    op.create_index('ix_provider_customers_facts', 'provider_customers', ['provider_id', 'customer_id', *fact_names])


def _create_words(postgresql: bool, facts: list[sa.Column[object]], fact_names: list[str]) -> None:
    key = 'provider_id, word, customer_id'
    op.create_table('provider_name_words',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('word', _word(postgresql), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    *facts,
    sa.Column('last_name_lower', sa.String(length=200), nullable=False),
    sa.Column('first_name_lower', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['provider_id', 'customer_id'], ['provider_customers.provider_id', 'provider_customers.customer_id'], ),
    sa.ForeignKeyConstraint(['customer_id', 'word'], ['customer_name_words.customer_id', 'customer_name_words.word'], ),
    *([] if postgresql else [sa.PrimaryKeyConstraint(*key.split(', '))]),
    )
    if postgresql:
        # As in 0009: the key carries the other columns, which SQLAlchemy cannot say.
        covered = ', '.join([*fact_names, 'last_name_lower', 'first_name_lower'])
        op.execute(
            f'ALTER TABLE provider_name_words ADD CONSTRAINT provider_name_words_pkey'
            f' PRIMARY KEY ({key}) INCLUDE ({covered})'
        )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.drop_table('provider_name_words')
    op.drop_table('provider_customers')
    _create_pairs(
        [sa.Column('last_date', sa.Date(), nullable=True),
         sa.Column('reservation_open', sa.Boolean(), nullable=False)],
        ['last_date', 'reservation_open'],
    )
    op.execute(DERIVE_PAIRS)
    _create_words(
        postgresql,
        [sa.Column('last_date', sa.Date(), nullable=True),
         sa.Column('reservation_open', sa.Boolean(), nullable=False)],
        ['last_date', 'reservation_open'],
    )
    op.execute(DERIVE_WORDS)
    op.create_table('provider_customer_counts',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('dated', sa.Boolean(), nullable=False),
    sa.Column('date_key', sa.Date(), nullable=False),
    sa.Column('reservation_open', sa.Boolean(), nullable=False),
    sa.Column('last_date', sa.Date(), nullable=True),
    sa.Column('customer_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('provider_id', 'dated', 'date_key', 'reservation_open')
    )
    op.execute(DERIVE_COUNTS if postgresql else DERIVE_COUNTS_SQLITE)
    if postgresql:
        for table in ('provider_customers', 'provider_name_words', 'provider_customer_counts'):
            op.execute(f'ANALYZE {table}')


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.drop_table('provider_customer_counts')
    op.drop_table('provider_name_words')
    op.drop_table('provider_customers')
    facts = ['last_event_date', 'reservation_open', 'last_reservation_end']

    def columns() -> list[sa.Column[object]]:
        return [
            sa.Column('last_event_date', sa.Date(), nullable=True),
            sa.Column('reservation_open', sa.Boolean(), nullable=False),
            sa.Column('last_reservation_end', sa.Date(), nullable=True),
        ]

    _create_pairs(columns(), facts)
    op.execute(DERIVE_PAIRS_0009)
    _create_words(postgresql, columns(), facts)
    op.execute(DERIVE_WORDS_0009)
