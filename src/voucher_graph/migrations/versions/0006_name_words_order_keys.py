"""name words carry their customer's ordering keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 07:50:00

A name search lists its matches in name order. Without the ordering keys beside the
words, PostgreSQL either walked the whole name-order index probing each customer's
words, or fetched every match from `customers` to sort it: at a million customers an
organizer ADMIN's "kor" walked 320,000 customers (615 ms) because every match sorts
under K. With the keys copied into `customer_name_words` (written together with the
customer, never changed), the search takes the matching words from the word index,
keeps the visible ones, sorts them and reads `customers` for the page alone. On
PostgreSQL the word index carries the keys, so that takes no table read either.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer_name_words', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_name_lower', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('first_name_lower', sa.String(length=200), nullable=True))
    op.execute(
        'UPDATE customer_name_words SET '
        'last_name_lower = (SELECT c.last_name_lower FROM customers c '
        'WHERE c.id = customer_name_words.customer_id), '
        'first_name_lower = (SELECT c.first_name_lower FROM customers c '
        'WHERE c.id = customer_name_words.customer_id)'
    )
    with op.batch_alter_table('customer_name_words', schema=None) as batch_op:
        batch_op.alter_column('last_name_lower', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('first_name_lower', existing_type=sa.String(length=200), nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_customer_name_words_word', table_name='customer_name_words')
        op.execute(
            'CREATE INDEX ix_customer_name_words_word ON customer_name_words '
            '(word varchar_pattern_ops, customer_id) INCLUDE (last_name_lower, first_name_lower)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_customer_name_words_word', table_name='customer_name_words')
        op.execute(
            'CREATE INDEX ix_customer_name_words_word ON customer_name_words '
            '(word varchar_pattern_ops, customer_id)'
        )
    with op.batch_alter_table('customer_name_words', schema=None) as batch_op:
        batch_op.drop_column('first_name_lower')
        batch_op.drop_column('last_name_lower')
