"""The accounts row checks as one SQL statement over the raw text of a file (PostgreSQL only).

The statement accepts a row only when `AccountRowChecker` would stage it with the same values;
it is deliberately narrower (ASCII digits, dates in plain form, names without odd characters
in odd places), and every row it does not accept goes back to `AccountRowChecker`, which stages
it or gives every reason it is refused. So the reasons an analyst reads always come from one
place, and a test holds the two paths to the same rows on every kind of row.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from pydantic import SecretStr

from bot.money import minor_digits
from bot.portfolio.fields import SUPPORTED_CURRENCIES
from bot.reminders.strategy import HOURS_PATTERN

RAW = "portfolio_raw_accounts"
STAGED = "portfolio_staged_accounts"
KNOWN = (
    "account_id",
    "cardholder_id",
    "full_name",
    "phone",
    "time_zone",
    "locale",
    "date_of_birth",
    "card_last4",
    "currency",
    "credit_limit",
    "statement_balance",
    "minimum_due",
    "overdue_amount",
    "due_date",
    "days_past_due",
    "as_of",
    "behaviour_score",
    "risk_tier",
    "deceased",
    "bankruptcy",
    "charged_off",
    "closed",
    "contact_hours",
)
_DIGITS = "'0123456789'"
_AMOUNTS = ("credit_limit", "statement_balance", "minimum_due", "overdue_amount")
_FLAGS = ("deceased", "bankruptcy", "charged_off", "closed")
_SHORTEST_CARD_NUMBER = 13


def hash_key_pads(key: SecretStr) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys, so SQL computes the same HMAC with sha256()."""
    secret = key.get_secret_value().encode()
    if len(secret) > 64:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in secret), bytes(b ^ 0x5C for b in secret)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@lru_cache(maxsize=1)
def _whitespace() -> str:
    """What Python's str.strip() removes (it never includes NUL, which PostgreSQL cannot hold)."""
    return "".join(chr(c) for c in range(1, 0x110000) if chr(c).isspace())


@lru_cache(maxsize=1)
def _printable_class() -> str:
    """A bracket expression of the characters Python calls printable (ASCII and the BMP)."""
    ranges, start = [" -~"], None
    for code in range(0xA0, 0x10001):
        printable = code < 0x10000 and not 0xD800 <= code <= 0xDFFF and chr(code).isprintable()
        if printable and start is None:
            start = code
        elif not printable and start is not None:
            ranges.append(f"{chr(start)}-{chr(code - 1)}" if code - 1 > start else chr(start))
            start = None
    return "[" + "".join(ranges) + "]"


def _ascii(v: str) -> str:
    return f"octet_length({v}) = char_length({v})"


def _text(v: str, max_length: int, control_free: bool) -> str:
    control = "".join(chr(c) for c in (*range(1, 32), 127))
    ascii_printable = "true" if control_free else f"translate({v}, {_quoted(control)}, '') = {v}"
    return (
        f"({v} <> '' AND char_length({v}) <= {max_length} AND CASE WHEN {_ascii(v)} "
        f"THEN {ascii_printable} ELSE {v} ~ {_quoted('^' + _printable_class() + '*$')} END)"
    )


def _digits_only(v: str) -> str:
    return f"({v} <> '' AND ltrim({v}, {_DIGITS}) = '')"


def _amount(v: str, digits: int) -> tuple[str, str]:
    point = f"position('.' in {v})"
    whole = f"CASE WHEN {point} = 0 THEN {v} ELSE left({v}, {point} - 1) END"
    fraction = f"CASE WHEN {point} = 0 THEN '' ELSE substr({v}, {point} + 1) END"
    valid = (
        f"(char_length({whole}) BETWEEN 1 AND 15 AND {_digits_only(whole)} AND "
        f"({point} = 0 OR (char_length({fraction}) BETWEEN 1 AND {digits} "
        f"AND {_digits_only(fraction)})))"
    )
    value = f"(({whole})::bigint * {10**digits} + rpad({fraction}, {digits}, '0')::bigint)"
    return valid, value


def _whole(v: str, maximum: int) -> str:
    return (
        f"(CASE WHEN char_length({v}) BETWEEN 1 AND 7 AND {_digits_only(v)} "
        f"THEN {v}::int <= {maximum} ELSE false END)"
    )


def _might_hold_card_number(v: str) -> str:
    # Only a value of 13 characters or more can hold 13 digits; any non-ASCII one is left to Python.
    return (
        f"(char_length({v}) >= {_SHORTEST_CARD_NUMBER} AND (NOT {_ascii(v)} OR "
        f"char_length({v}) - char_length(translate({v}, {_DIGITS}, '')) "
        f">= {_SHORTEST_CARD_NUMBER}))"
    )


def stripped_sql(column: str) -> str:
    """`column` of the raw table as Python's str.strip() leaves it ('' when missing)."""
    return f"btrim(coalesce({column}, ''), {_quoted(_whitespace())})"


def checked_rows_sql(*, control_free: bool) -> str:
    """INSERT into the staging table every raw row the SQL checks accept, with its values.

    Parameters: latest_feed_date, and what Python accepts of the (few) distinct stripped values
    of some columns: time_zones, dates, locales. The hash key's pads are in the one-row table
    portfolio_hash_key. `control_free`: the file holds no ASCII control character or quote.
    """
    digits = {minor_digits(code) for code in SUPPORTED_CURRENCIES}
    assert len(digits) == 1, "the SQL checks assume one number of minor digits for every currency"
    (minor,) = digits
    stripped = ", ".join(f"{stripped_sql(name)} AS {name}" for name in KNOWN)
    amounts = {name: _amount(name, minor) for name in _AMOUNTS}
    valid = [
        _text("account_id", 64, control_free),
        _text("cardholder_id", 64, control_free),
        _text("full_name", 200, control_free),
        "(left(phone, 1) = '+' AND substr(phone, 2, 1) IN ('1','2','3','4','5','6','7','8','9') "
        f"AND char_length(phone) BETWEEN 8 AND 16 AND {_digits_only('substr(phone, 2)')})",
        "(time_zone = ANY(:time_zones))",
        "(locale = ANY(:locales))",
        "(date_of_birth = ANY(:dates))",
        f"(char_length(card_last4) = 4 AND {_digits_only('card_last4')})",
        f'({_ascii("currency")} AND upper(currency COLLATE "C") IN '
        f"({', '.join(_quoted(code) for code in SUPPORTED_CURRENCIES)}))",
        *(check for check, _ in amounts.values()),
        "(due_date = ANY(:dates))",
        _whole("days_past_due", 99_999),
        "(as_of = ANY(:dates))",
        f"(behaviour_score = '' OR {_whole('behaviour_score', 1000)})",
        f"(risk_tier = '' OR ({_ascii('risk_tier')} "
        "AND lower(risk_tier COLLATE \"C\") IN ('low', 'medium', 'high')))",
        *(
            f'({_ascii(flag)} AND lower({flag} COLLATE "C") IN '
            "('', 'true', 'false', 'yes', 'no', 'y', 'n', '1', '0'))"
            for flag in _FLAGS
        ),
        # HH:MM compares as text the way the times compare, so start < end needs no cast.
        f"(contact_hours = '' OR (contact_hours ~ {_quoted('^(' + HOURS_PATTERN + ')$')} "
        'AND left(contact_hours, 5) COLLATE "C" < substr(contact_hours, 7) COLLATE "C"))',
    ]
    suspect = " OR ".join(_might_hold_card_number(name) for name in KNOWN if name not in ("phone",))
    flags = ", ".join(
        f"lower({flag} COLLATE \"C\") IN ('true', 'yes', 'y', '1') AS {flag}" for flag in _FLAGS
    )
    content = [
        "account_ref",
        "cardholder_ref",
        "full_name",
        "phone_e164",
        "time_zone",
        "locale",
        "dob_hash",
        "card_last4",
        "currency",
        *(f"{name}_minor::text" for name in _AMOUNTS),
        "to_char(due_date, 'YYYY-MM-DD')",
        "days_past_due::text",
        "to_char(as_of, 'YYYY-MM-DD')",
        "risk_tier",
        "coalesce(behaviour_score::text, 'None')",
        *(f"CASE WHEN {flag} THEN 'True' ELSE 'False' END" for flag in _FLAGS),
        # NULL (no stated hours) is skipped by concat_ws: the digest Python gives such a row.
        "contact_hours",
    ]
    columns = (
        "source_row, account_ref, cardholder_ref, full_name, phone_e164, time_zone, locale, "
        "dob_hash, card_last4, currency, credit_limit_minor, statement_balance_minor, "
        "minimum_due_minor, overdue_amount_minor, due_date, days_past_due, as_of, risk_tier, "
        "behaviour_score, deceased, bankruptcy, charged_off, closed, contact_hours"
    )
    return f"""
    INSERT INTO {STAGED} ({columns}, digest)
    SELECT {columns},
        encode(sha256(convert_to(concat_ws(chr(31), {", ".join(content)}), 'UTF8')), 'hex')
    FROM (
        SELECT source_row, account_id AS account_ref, cardholder_id AS cardholder_ref,
            full_name, phone AS phone_e164, time_zone,
            CASE WHEN locale = '' THEN 'en' ELSE locale END AS locale,
            encode(sha256(k.opad || sha256(k.ipad || convert_to(
                'dob|' || cardholder_id || '|' || date_of_birth, 'UTF8'))), 'hex') AS dob_hash,
            date_of_birth::date AS birth,
            card_last4, upper(currency COLLATE "C") AS currency,
            {", ".join(f"{value} AS {name}_minor" for name, (_, value) in amounts.items())},
            due_date::date AS due_date, days_past_due::int AS days_past_due,
            as_of::date AS as_of, lower(risk_tier COLLATE "C") AS given_tier,
            CASE WHEN behaviour_score = '' THEN NULL ELSE behaviour_score::int END
                AS behaviour_score,
            {flags},
            CASE WHEN contact_hours = '' THEN NULL ELSE contact_hours END AS contact_hours
        FROM (
            SELECT *, {" AND ".join(valid)} AS valid, ({suspect}) AS suspect
            FROM (SELECT source_row, {stripped} FROM {RAW} WHERE NOT flagged OFFSET 0) s
            OFFSET 0
        ) v CROSS JOIN portfolio_hash_key k
        WHERE valid AND NOT suspect
        OFFSET 0
    ) p, LATERAL (SELECT CASE WHEN given_tier <> '' THEN given_tier
            WHEN days_past_due > 60 OR behaviour_score < 500 THEN 'high'
            WHEN days_past_due > 15 OR overdue_amount_minor > 500000
                OR behaviour_score < 650 THEN 'medium'
            ELSE 'low' END AS risk_tier) tier
    WHERE minimum_due_minor <= statement_balance_minor
      AND birth >= DATE '1900-01-01' AND birth < as_of
      AND as_of <= :latest_feed_date
      AND CASE WHEN days_past_due = 0 THEN overdue_amount_minor = 0
          ELSE overdue_amount_minor > 0 AND as_of - due_date = days_past_due END
    """
