"""portfolio imports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.persistence

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = bot.persistence.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portfolio_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_imports")),
    )
    with op.batch_alter_table("portfolio_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_imports_checksum_sha256"), ["checksum_sha256"], unique=False
        )

    with op.batch_alter_table("cardholders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deceased", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("bankruptcy", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))

    with op.batch_alter_table("card_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("charged_off", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("snapshot_import_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("snapshot_digest", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_card_accounts_snapshot_import_id_portfolio_imports"),
            "portfolio_imports",
            ["snapshot_import_id"],
            ["id"],
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_payments_import_id"), ["import_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_import_id_portfolio_imports"),
            "portfolio_imports",
            ["import_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payments_import_id_portfolio_imports"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payments_import_id"))
        batch_op.drop_column("import_id")

    with op.batch_alter_table("card_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_card_accounts_snapshot_import_id_portfolio_imports"),
            type_="foreignkey",
        )
        batch_op.drop_column("snapshot_digest")
        batch_op.drop_column("snapshot_import_id")
        batch_op.drop_column("closed")
        batch_op.drop_column("charged_off")

    with op.batch_alter_table("cardholders", schema=None) as batch_op:
        batch_op.drop_column("as_of")
        batch_op.drop_column("bankruptcy")
        batch_op.drop_column("deceased")

    with op.batch_alter_table("portfolio_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_imports_checksum_sha256"))

    op.drop_table("portfolio_imports")
