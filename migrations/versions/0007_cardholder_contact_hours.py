"""the cardholder's own stated contact hours

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


SHAPE = "contact_hours LIKE '__:__-__:__'"


def upgrade() -> None:
    name = op.f("ck_cardholders_contact_hours_shape")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its check in place; no copy of a table others point at.
        op.execute(
            f"ALTER TABLE cardholders ADD COLUMN contact_hours VARCHAR(11) "
            f"CONSTRAINT {name} CHECK ({SHAPE})"
        )
        return
    op.add_column("cardholders", sa.Column("contact_hours", sa.String(length=11), nullable=True))
    op.create_check_constraint(name, "cardholders", SHAPE)


def downgrade() -> None:
    with op.batch_alter_table("cardholders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cardholders_contact_hours_shape"), type_="check")
        batch_op.drop_column("contact_hours")
