"""rule A's persisted relation, and indexes that paging and search can walk

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:30:00

- `provider_customers`: per provider and customer, the latest non-deleted event date
  and the reservation state, built here from the existing events and reservations.
- `ix_purchasing_powers_grant` gains `customer_id`: rules B and C read it alone.
- PostgreSQL only: the customer order index is C-collated, as the ORDER BY is, and the
  name-word index uses `varchar_pattern_ops`, so that `LIKE 'kor%'` is an index range
  whatever the database's collation. SQLite compares code points already.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The same facts as data/access_relation.py's derive_provider_customers, in SQL that
# both databases accept (a migration must not import code that later changes).
DERIVE = """
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


def upgrade() -> None:
    op.create_table('provider_customers',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('last_event_date', sa.Date(), nullable=True),
    sa.Column('reservation_open', sa.Boolean(), nullable=False),
    sa.Column('last_reservation_end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ),
    sa.PrimaryKeyConstraint('provider_id', 'customer_id')
    )
    with op.batch_alter_table('provider_customers', schema=None) as batch_op:
        batch_op.create_index('ix_provider_customers_customer', ['customer_id', 'provider_id'], unique=False)
        # Covering: rule A's probes and counts read this index alone.
        batch_op.create_index('ix_provider_customers_facts', ['provider_id', 'customer_id', 'last_event_date', 'reservation_open', 'last_reservation_end'], unique=False)
    op.execute(DERIVE)

    with op.batch_alter_table('purchasing_powers', schema=None) as batch_op:
        batch_op.drop_index('ix_purchasing_powers_grant')
        batch_op.create_index('ix_purchasing_powers_grant', ['organizer_id', 'service_id', 'customer_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_customers_order', table_name='customers')
        op.execute(
            'CREATE INDEX ix_customers_order ON customers '
            '(last_name_lower COLLATE "C", first_name_lower COLLATE "C", id COLLATE "C")'
        )
        op.drop_index('ix_customer_name_words_word', table_name='customer_name_words')
        op.execute(
            'CREATE INDEX ix_customer_name_words_word ON customer_name_words '
            '(word varchar_pattern_ops, customer_id)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_customer_name_words_word', table_name='customer_name_words')
        op.create_index('ix_customer_name_words_word', 'customer_name_words', ['word', 'customer_id'])
        op.drop_index('ix_customers_order', table_name='customers')
        op.create_index('ix_customers_order', 'customers', ['last_name_lower', 'first_name_lower', 'id'])
    with op.batch_alter_table('purchasing_powers', schema=None) as batch_op:
        batch_op.drop_index('ix_purchasing_powers_grant')
        batch_op.create_index('ix_purchasing_powers_grant', ['organizer_id', 'service_id'], unique=False)
    with op.batch_alter_table('provider_customers', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_customers_facts')
        batch_op.drop_index('ix_provider_customers_customer')
    op.drop_table('provider_customers')
