"""service sets: rules B and C's exact count from a few rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00

An organizer user's `totalCount` counted the distinct customers of every purchasing
power the user manages: at a million customers 233,000 index entries for the biggest
organizer, hashed past `work_mem` (55 ms of a 65 ms page). Each (organizer, customer)
pair is in one service set, the services of the customer's purchasing powers of that
organizer; the count is the sum of the matching sets' `customer_count`
(data/service_sets.py). Built here from the existing purchasing powers, grouped in
Python as `derive_service_sets` does (a migration must not import code that later
changes).
"""
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _derive() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT organizer_id, customer_id, service_id FROM purchasing_powers'
        ' ORDER BY organizer_id, customer_id'
    ))
    counts: Counter[tuple[str, frozenset[str]]] = Counter()
    pair: tuple[str, str] | None = None
    services: set[str] = set()
    for organizer_id, customer_id, service_id in rows:
        if (organizer_id, customer_id) != pair:
            if pair is not None:
                counts[(pair[0], frozenset(services))] += 1
            pair, services = (organizer_id, customer_id), set()
        services.add(service_id)
    if pair is not None:
        counts[(pair[0], frozenset(services))] += 1
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], sorted(item[0][1])))
    if not ordered:
        return
    bind.execute(
        sa.text('INSERT INTO service_sets (id, organizer_id, customer_count) VALUES (:i, :o, :c)'),
        [{'i': n, 'o': o, 'c': c} for n, ((o, _s), c) in enumerate(ordered, start=1)],
    )
    bind.execute(
        sa.text(
            'INSERT INTO service_set_members (set_id, service_id, organizer_id) VALUES (:i, :s, :o)'
        ),
        [
            {'i': n, 's': s, 'o': o}
            for n, ((o, services_of_set), _c) in enumerate(ordered, start=1)
            for s in sorted(services_of_set)
        ],
    )


def upgrade() -> None:
    op.create_table('service_sets',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organizer_id', sa.String(length=64), nullable=False),
    sa.Column('customer_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('service_set_members',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('organizer_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.ForeignKeyConstraint(['set_id'], ['service_sets.id'], ),
    sa.PrimaryKeyConstraint('set_id', 'service_id')
    )
    with op.batch_alter_table('service_set_members', schema=None) as batch_op:
        batch_op.create_index('ix_service_set_members_grant', ['organizer_id', 'service_id', 'set_id'], unique=False)
    _derive()
    if op.get_bind().dialect.name == 'postgresql':
        # Statistics now (ANALYZE runs in a transaction; VACUUM would not): without
        # them the planner guesses the sets' size until autovacuum gets to them.
        op.execute('ANALYZE service_sets, service_set_members')


def downgrade() -> None:
    with op.batch_alter_table('service_set_members', schema=None) as batch_op:
        batch_op.drop_index('ix_service_set_members_grant')
    op.drop_table('service_set_members')
    op.drop_table('service_sets')
