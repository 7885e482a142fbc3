"""a generation number for the reference tables, bumped by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 04:00:00

Services, contents and settlement dates are read by every request and change only
when a world is loaded or generated. A server caches them with the generation they
were read at and compares it with this one row (read inside the viewer's statement),
so a request costs no statement for them. Triggers bump the number on every write to
those tables, whoever writes: the loader, the generator, a migration or a hand-made
fix in psql.
"""
import time

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

REFERENCE_TABLES = ('services', 'contents', 'settlement_dates')
BUMP = 'UPDATE reference_generation SET generation = generation + 1 WHERE id = 1'


def upgrade() -> None:
    op.create_table('reference_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # Starting from the clock (in microseconds), not from 1: a table dropped and made
    # again (a downgrade and upgrade under a running server) never repeats a number
    # that server may still hold rows for.
    start = time.time_ns() // 1000
    op.execute(f'INSERT INTO reference_generation (id, generation) VALUES (1, {start})')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'CREATE FUNCTION bump_reference_generation() RETURNS trigger LANGUAGE plpgsql AS '
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in REFERENCE_TABLES:
            # Once per statement (COPY, TRUNCATE included), not once per row.
            op.execute(
                f'CREATE TRIGGER {table}_bump_reference_generation '
                f'AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} '
                'FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_generation()'
            )
    else:
        # SQLite has row triggers only; these tables hold hundreds of rows, not millions.
        for table in REFERENCE_TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(
                    f'CREATE TRIGGER {table}_{change.lower()}_bump_reference_generation '
                    f'AFTER {change} ON {table} BEGIN {BUMP}; END'
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in REFERENCE_TABLES:
            op.execute(f'DROP TRIGGER {table}_bump_reference_generation ON {table}')
        op.execute('DROP FUNCTION bump_reference_generation()')
    else:
        for table in REFERENCE_TABLES:
            for change in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER {table}_{change}_bump_reference_generation')
    op.drop_table('reference_generation')
