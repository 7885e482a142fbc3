"""name words per provider and per grant: name searches that read the viewer's words

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:00:00

- `provider_name_words`: every `provider_customers` row times its customer's name words,
  with the pair's facts (rule A) and the customer's ordering keys.
- `grant_name_words`: every distinct (organizer, service, customer) of the purchasing
  powers times the customer's name words, with the ordering keys.

A provider's or organizer's name search is then an index range (scope, word prefix)
with the policy's condition evaluated on the range's rows (data/scoped_words.py): at a
million customers "kor" matched 10,406 customers' words in the one word table, each
probed against the viewer's rules, or the biggest provider's 250,000 customers hashed
against them. On PostgreSQL the word is compared by code point (`COLLATE "C"`, so the
key serves a prefix LIKE whatever the database's collation) and the primary key
carries the other columns (INCLUDE), so that a search reads that index alone.
Both are filled here from the existing data, as `load` and `generate` fill them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The same rows as data/scoped_words.py's derive_provider_words and derive_grant_words,
# in SQL that both databases accept (a migration must not import code that later
# changes).
DERIVE_PROVIDER_WORDS = """
INSERT INTO provider_name_words
    (provider_id, word, customer_id, last_event_date, reservation_open,
     last_reservation_end, last_name_lower, first_name_lower)
SELECT pc.provider_id, w.word, w.customer_id, pc.last_event_date, pc.reservation_open,
       pc.last_reservation_end, w.last_name_lower, w.first_name_lower
FROM provider_customers pc JOIN customer_name_words w ON w.customer_id = pc.customer_id
"""
DERIVE_GRANT_WORDS = """
INSERT INTO grant_name_words
    (organizer_id, word, service_id, customer_id, last_name_lower, first_name_lower)
SELECT g.organizer_id, w.word, g.service_id, w.customer_id, w.last_name_lower,
       w.first_name_lower
FROM (SELECT DISTINCT organizer_id, service_id, customer_id FROM purchasing_powers) g
JOIN customer_name_words w ON w.customer_id = g.customer_id
"""


def _word(postgresql: bool) -> sa.String:
    return sa.String(length=200, collation='C') if postgresql else sa.String(length=200)


def _covering_primary_key(table: str, key: str, covered: str) -> None:
    # PostgreSQL: added after the table, with INCLUDE, which SQLAlchemy's constraint
    # cannot say.
    op.execute(
        f'ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})'
        f' INCLUDE ({covered})'
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    provider_key = 'provider_id, word, customer_id'
    op.create_table('provider_name_words',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('word', _word(postgresql), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('last_event_date', sa.Date(), nullable=True),
    sa.Column('reservation_open', sa.Boolean(), nullable=False),
    sa.Column('last_reservation_end', sa.Date(), nullable=True),
    sa.Column('last_name_lower', sa.String(length=200), nullable=False),
    sa.Column('first_name_lower', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['provider_id', 'customer_id'], ['provider_customers.provider_id', 'provider_customers.customer_id'], ),
    sa.ForeignKeyConstraint(['customer_id', 'word'], ['customer_name_words.customer_id', 'customer_name_words.word'], ),
    *([] if postgresql else [sa.PrimaryKeyConstraint(*provider_key.split(', '))]),
    )
    grant_key = 'organizer_id, word, service_id, customer_id'
    op.create_table('grant_name_words',
    sa.Column('organizer_id', sa.String(length=64), nullable=False),
    sa.Column('word', _word(postgresql), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('last_name_lower', sa.String(length=200), nullable=False),
    sa.Column('first_name_lower', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.ForeignKeyConstraint(['customer_id', 'word'], ['customer_name_words.customer_id', 'customer_name_words.word'], ),
    *([] if postgresql else [sa.PrimaryKeyConstraint(*grant_key.split(', '))]),
    )
    if postgresql:
        _covering_primary_key(
            'provider_name_words', provider_key,
            'last_event_date, reservation_open, last_reservation_end,'
            ' last_name_lower, first_name_lower',
        )
        _covering_primary_key(
            'grant_name_words', grant_key, 'last_name_lower, first_name_lower'
        )
    op.execute(DERIVE_PROVIDER_WORDS)
    op.execute(DERIVE_GRANT_WORDS)
    if postgresql:
        op.execute('ANALYZE provider_name_words')
        op.execute('ANALYZE grant_name_words')


def downgrade() -> None:
    op.drop_table('grant_name_words')
    op.drop_table('provider_name_words')
