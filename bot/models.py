"""Every mapped model, imported in one place so metadata and migrations see them all."""

from bot.accounts.models import CardAccount, Cardholder, Payment, RiskTier
from bot.audit.models import AuditEvent
from bot.collectors.models import Collector, ConsoleSession, Role
from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.handoff.models import (
    CaseNote,
    Disposition,
    Escalation,
    EscalationReason,
    EscalationStatus,
)
from bot.messaging.models import ContactConsent
from bot.persistence import Base
from bot.plans.models import InstalmentPlan, PlanStatus
from bot.policy.models import ContactDecision, DecisionPoint
from bot.portfolio.models import FeedKind, ImportStatus, PortfolioImport
from bot.promises.models import PaymentClaim, PaymentClaimStatus, PromiseStatus, PromiseToPay
from bot.reminders.models import Reminder, ReminderPurpose
from bot.verification.models import IdentityCheck, PossessionCode

__all__ = [
    "AuditEvent",
    "Author",
    "Base",
    "CardAccount",
    "Cardholder",
    "CaseNote",
    "Channel",
    "Collector",
    "ConsoleSession",
    "ContactConsent",
    "ContactDecision",
    "Conversation",
    "ConversationState",
    "DecisionPoint",
    "Direction",
    "Disposition",
    "Escalation",
    "EscalationReason",
    "EscalationStatus",
    "FeedKind",
    "IdentityCheck",
    "ImportStatus",
    "InstalmentPlan",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Payment",
    "PaymentClaim",
    "PaymentClaimStatus",
    "PlanStatus",
    "PortfolioImport",
    "PossessionCode",
    "PromiseStatus",
    "PromiseToPay",
    "Reminder",
    "ReminderPurpose",
    "RiskTier",
    "Role",
]
