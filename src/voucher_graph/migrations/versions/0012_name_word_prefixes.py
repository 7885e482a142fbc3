"""name word prefixes: a name search's page stops after its page

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:00:00

A name search read every visible match of its first word (an index range of the
viewer's words by word, data/scoped_words.py) to count them and keep the first in name
order: 2,620 rows for the biggest provider's "kor" at a million customers, against
17-30 at ten thousand. These indexes hold a provider's (an organizer's) words by their
first three characters and then in name order, so that the matches of a word of three
characters or more are one range already in the page's order: the page stops after
its customers, and the exact total is an index-only count of the range with no hash
and no sort (data/search.py, `_page_by_prefix`). The other columns the search reads
ride in the index (INCLUDE). PostgreSQL only: SQLite keeps its plain statements.
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_ORDER = 'last_name_lower COLLATE "C", first_name_lower COLLATE "C", customer_id COLLATE "C"'


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        'CREATE INDEX ix_provider_name_words_prefix ON provider_name_words'
        f' (provider_id, left(word, 3), {_ORDER})'
        ' INCLUDE (word, last_date, reservation_open)'
    )
    op.execute(
        'CREATE INDEX ix_grant_name_words_prefix ON grant_name_words'
        f' (organizer_id, left(word, 3), {_ORDER}) INCLUDE (word, service_id)'
    )
    # Statistics of the new expression, for the planner to cost the prefix's range.
    op.execute('ANALYZE provider_name_words')
    op.execute('ANALYZE grant_name_words')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX ix_grant_name_words_prefix')
    op.execute('DROP INDEX ix_provider_name_words_prefix')
