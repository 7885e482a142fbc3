"""organizer customers: an organizer user's list walks its own name order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 20:00:00

An organizer user's page walked the name order of all customers and probed each one's
purchasing powers for the user's grants: one over the organizer's share of all
customers per row of the page (at a million customers, 356 customers probed for a
page of 51, where the organizer holds 14 % of them). `organizer_customers` holds one
row per (organizer, customer) pair of the purchasing powers, with the pair's service
set and the customer's ordering keys, so that the page is a range of the organizer's
own rows in name order (data/search.py, `_page_by_grants`). Built here from the
purchasing powers and the service sets, grouped in Python as `derive_service_sets`
does (a migration must not import code that later changes).
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_CHUNK = 10_000


def _derive() -> None:
    bind = op.get_bind()
    members: dict[int, set[str]] = {}
    organizer_of: dict[int, str] = {}
    for set_id, organizer_id, service_id in bind.execute(sa.text(
        'SELECT set_id, organizer_id, service_id FROM service_set_members'
    )):
        members.setdefault(set_id, set()).add(service_id)
        organizer_of[set_id] = organizer_id
    number = {
        (organizer_of[set_id], frozenset(services)): set_id
        for set_id, services in members.items()
    }
    rows = bind.execute(sa.text(
        'SELECT pp.organizer_id, pp.customer_id, pp.service_id, c.last_name_lower,'
        ' c.first_name_lower FROM purchasing_powers pp JOIN customers c ON c.id = pp.customer_id'
        ' ORDER BY pp.organizer_id, pp.customer_id'
    ))
    insert = sa.text(
        'INSERT INTO organizer_customers'
        ' (organizer_id, customer_id, set_id, last_name_lower, first_name_lower)'
        ' VALUES (:o, :c, :s, :l, :f)'
    )
    pending: list[dict[str, object]] = []
    pair: tuple[str, str, str, str] | None = None
    services: set[str] = set()

    def close_pair() -> None:
        if pair is not None:
            set_id = number[(pair[0], frozenset(services))]
            pending.append({'o': pair[0], 'c': pair[1], 's': set_id, 'l': pair[2], 'f': pair[3]})
            if len(pending) >= _CHUNK:
                bind.execute(insert, pending)
                pending.clear()

    for organizer_id, customer_id, service_id, last, first in rows.all():
        if pair is None or (organizer_id, customer_id) != pair[:2]:
            close_pair()
            pair, services = (organizer_id, customer_id, last, first), set()
        services.add(service_id)
    close_pair()
    if pending:
        bind.execute(insert, pending)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.create_table('organizer_customers',
    sa.Column('organizer_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('last_name_lower', sa.String(length=200), nullable=False),
    sa.Column('first_name_lower', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], ),
    sa.ForeignKeyConstraint(['set_id'], ['service_sets.id'], ),
    sa.PrimaryKeyConstraint('organizer_id', 'customer_id')
    )
    if postgresql:
        # C-collated as the lists' ORDER BY is, the set beside each entry: the page is
        # an index-only range of the organizer's rows.
        op.execute(
            'CREATE INDEX ix_organizer_customers_order ON organizer_customers'
            ' (organizer_id, last_name_lower COLLATE "C", first_name_lower COLLATE "C",'
            ' customer_id COLLATE "C") INCLUDE (set_id)'
        )
        # A viewer who sees few of the organizer's customers reads its sets' rows
        # instead, and sorts those.
        op.execute(
            'CREATE INDEX ix_organizer_customers_set ON organizer_customers'
            ' (set_id, last_name_lower COLLATE "C", first_name_lower COLLATE "C",'
            ' customer_id COLLATE "C")'
        )
    else:
        op.create_index(
            'ix_organizer_customers_order', 'organizer_customers',
            ['organizer_id', 'last_name_lower', 'first_name_lower', 'customer_id'],
        )
        op.create_index(
            'ix_organizer_customers_set', 'organizer_customers',
            ['set_id', 'last_name_lower', 'first_name_lower', 'customer_id'],
        )
    _derive()
    if postgresql:
        op.execute('ANALYZE organizer_customers')


def downgrade() -> None:
    op.drop_table('organizer_customers')
