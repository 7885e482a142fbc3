"""grant statistics: the planner learns that a service names its organizer

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00

Rule B selects purchasing powers by `organizer_id = o AND (service_id = s1 OR ...)`,
the services of the viewer's teams. PostgreSQL multiplies the two conditions'
selectivities as if they were independent, but a service is of one organizer: at a
million customers it expected 13,642 of the biggest organizer's 210,000 powers. Taking
them for few, a STAFF name search hashed all of them (page 43 ms) instead of probing
the matching words' customers (14 ms). Functional-dependency statistics on
(organizer_id, service_id) let it estimate them as the services alone say (234,885).
PostgreSQL only: SQLite keeps no such statistics.
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

NAME = 'st_purchasing_powers_grant'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE STATISTICS {NAME} (dependencies) ON organizer_id, service_id'
            ' FROM purchasing_powers'
        )
        # Built by ANALYZE only (load and generate run it; an existing database now).
        op.execute('ANALYZE purchasing_powers')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP STATISTICS {NAME}')
