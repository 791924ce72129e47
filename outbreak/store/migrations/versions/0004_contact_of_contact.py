"""contact-of-contact: second-degree contacts and requests for contacts' movements

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_ids', sa.Text(), nullable=False, server_default='[]'))
    with op.batch_alter_table('trace_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('degree', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('via_contact_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_trace_contact_via_contact_id'), ['via_contact_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_trace_contact_via_contact_id_trace_contact'), 'trace_contact', ['via_contact_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('uq_trace_contact_investigation_id_key64_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_trace_contact_investigation_id_key64_kind_degree'), ['investigation_id', 'key64', 'kind', 'degree'])
        batch_op.create_check_constraint(batch_op.f('ck_trace_contact_degree'), 'degree IN (1, 2)')


def downgrade() -> None:
    with op.batch_alter_table('trace_contact', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_trace_contact_degree'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_trace_contact_investigation_id_key64_kind_degree'), type_='unique')
        batch_op.execute('DELETE FROM trace_contact WHERE degree = 2')
        batch_op.create_unique_constraint(batch_op.f('uq_trace_contact_investigation_id_key64_kind'), ['investigation_id', 'key64', 'kind'])
        batch_op.drop_constraint(batch_op.f('fk_trace_contact_via_contact_id_trace_contact'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_trace_contact_via_contact_id'))
        batch_op.drop_column('via_contact_id')
        batch_op.drop_column('degree')
    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.drop_column('contact_ids')
