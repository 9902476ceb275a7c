"""reminders and the send gate

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.persistence

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("slot_date", sa.Date(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("may_offer_plans", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", bot.persistence.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["card_accounts.id"], name=op.f("fk_reminders_account_id_card_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_reminders_cardholder_id_cardholders"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_reminders_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises_to_pay.id"],
            name=op.f("fk_reminders_promise_id_promises_to_pay"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("account_id", "purpose", "slot_date", name="uq_reminders_slot"),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_cardholder_id"), ["cardholder_id"])
        batch_op.create_index(batch_op.f("ix_reminders_message_id"), ["message_id"])

    op.create_table(
        "contact_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decided_at", bot.persistence.UTCDateTime(timezone=True), nullable=False),
        sa.Column("point", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("next_allowed_at", bot.persistence.UTCDateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("cardholder_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("local_time", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["card_accounts.id"],
            name=op.f("fk_contact_decisions_account_id_card_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholders.id"],
            name=op.f("fk_contact_decisions_cardholder_id_cardholders"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_contact_decisions_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_contact_decisions_reminder_id_reminders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_decisions")),
    )
    with op.batch_alter_table("contact_decisions", schema=None) as batch_op:
        for column in ("account_id", "cardholder_id", "message_id", "reminder_id", "run_id"):
            batch_op.create_index(batch_op.f(f"ix_contact_decisions_{column}"), [column])

    # Decisions are the contact record regulators ask for: the database refuses to change them.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION contact_decisions_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'contact_decisions is append-only'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER contact_decisions_append_only BEFORE UPDATE OR DELETE "
            "ON contact_decisions FOR EACH ROW EXECUTE FUNCTION contact_decisions_append_only()"
        )
    elif op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER contact_decisions_no_{verb.lower()} BEFORE {verb} "
                "ON contact_decisions "
                "BEGIN SELECT RAISE(ABORT, 'contact_decisions is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_decisions_append_only ON contact_decisions")
        op.execute("DROP FUNCTION IF EXISTS contact_decisions_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS contact_decisions_no_update")
        op.execute("DROP TRIGGER IF EXISTS contact_decisions_no_delete")
    op.drop_table("contact_decisions")
    op.drop_table("reminders")
