"""whether a provider works on a purchasing power: index probes, not hashes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 07:10:00

A provider's user may read a purchasing power on which the provider holds a
reservation or has a live event. Asked for the vouchers of a page of customers,
PostgreSQL had no index on (purchasing power, provider) and hashed all of the
provider's events and reservations for every page instead (4,453 events for the demo's
biggest provider: 1.6 ms of a 10-customer page; at a million customers the biggest
provider has 660,000). With these indexes each voucher is one index-only probe (0.4 ms).
The reservations index also serves every lookup by purchasing power alone, so it
replaces the single-column one.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_events_pp_provider_live', ['purchasing_power_id', 'provider_id'], unique=False,
            postgresql_where=sa.text('NOT deleted'), sqlite_where=sa.text('NOT deleted'),
        )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_reservations_pp_provider', ['purchasing_power_id', 'provider_id'], unique=False
        )
        batch_op.drop_index('ix_reservations_purchasing_power_id')


def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_reservations_purchasing_power_id', ['purchasing_power_id'], unique=False
        )
        batch_op.drop_index('ix_reservations_pp_provider')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_pp_provider_live')
