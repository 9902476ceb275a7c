"""The contact strategy file: stages, tiers, cadence, templates and contact rules, validated.

A mistake is refused when the file is loaded (at start, and in CI by a test that loads the real
file) with a `StrategyError` naming the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.accounts.stages import Stage
from bot.disclosure import pre_verification_violation

OPT_OUT_TEXT = {"en": "Reply STOP to opt out", "zh": "回复TD退订"}
LOCALES = ("en", "zh")
TIERS = ("low", "medium", "high")
CADENCE_STAGES = (Stage.PRE_DUE, Stage.M1, Stage.M2_M3, Stage.M4_PLUS)
_PLACEHOLDERS = {"bank_name": "Harbour Bank", "bank_phone": "+1 800 555 0100"}
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# A cardholder's stated contact hours: 00:00-23:59 each side, or 24:00 as the end of the day.
HOURS_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)"
_HOURS = re.compile(HOURS_PATTERN)
_END_OF_DAY = time(23, 59, 59, 999999)
Path_ = tuple[str | int, ...]


class StrategyError(ValueError):
    """The strategy file is wrong; the message names the file and line."""


@dataclass(frozen=True)
class Window:
    """Local wall-clock hours in which outreach may be sent: [start, end)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def intersect(self, other: Window) -> Window:
        return Window(max(self.start, other.start), min(self.end, other.end))

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    @property
    def label(self) -> str:
        """The window as written, e.g. "18:00-20:00" (an end of day reads 24:00)."""
        end = "24:00" if self.end == _END_OF_DAY else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"

    @classmethod
    def parse_hours(cls, text: str) -> Window:
        """A cardholder's contact hours, "HH:MM-HH:MM", start before end within one day."""
        if not _HOURS.fullmatch(text):
            raise ValueError(f"{text!r} is not HH:MM-HH:MM, e.g. 18:00-20:00")
        start = time.fromisoformat(text[:5])
        end = _END_OF_DAY if text[6:] == "24:00" else time.fromisoformat(text[6:])
        if end <= start:
            raise ValueError(f"{text!r} must start before it ends, within one day")
        return cls(start, end)


@dataclass(frozen=True)
class ContactRules:
    window: Window
    max_per_day: int
    max_per_7_days: int


@dataclass(frozen=True)
class Template:
    template_id: str
    version: int
    texts: dict[str, str]

    def render(self, locale: str, *, bank_name: str, bank_phone: str) -> str:
        language = "zh" if locale.lower().startswith("zh") else "en"
        return self.texts[language].format(bank_name=bank_name, bank_phone=bank_phone)


@dataclass(frozen=True)
class Cadence:
    channel: str
    template: str
    may_offer_plans: bool
    every_days: int | None = None
    days_before_due: tuple[int, ...] = ()


@dataclass(frozen=True)
class TierRule:
    dpd_at_least: int | None = None
    behaviour_score_below: int | None = None
    broken_promises_at_least: int | None = None
    bank_tier: str | None = None
    overdue_minor_at_least: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Strategy:
    source: str
    profiles: dict[str, ContactRules]
    bank: ContactRules
    consumer_initiated_hours: int
    default_time_zone: str
    holidays: frozenset[date]
    pre_due_days: int
    # (stage, first DPD, last DPD or None) for the past-due stages, in order.
    dpd_ranges: tuple[tuple[Stage, int, int | None], ...]
    tiers: dict[str, TierRule]
    cadence: dict[tuple[Stage, str], Cadence]
    promise_reminder_days_before: int
    promise_grace_days: int
    promise_tolerance_percent: int
    promise_template: str
    templates: dict[str, Template]

    def rules(self, profile: str) -> ContactRules:
        """The stricter of the profile and the bank's own settings."""
        if profile not in self.profiles:
            raise StrategyError(f"{self.source}: no contact profile {profile!r}")
        chosen = self.profiles[profile]
        return ContactRules(
            window=chosen.window.intersect(self.bank.window),
            max_per_day=min(chosen.max_per_day, self.bank.max_per_day),
            max_per_7_days=min(chosen.max_per_7_days, self.bank.max_per_7_days),
        )

    def stage(self, days_past_due: int, days_until_due: int) -> Stage:
        for stage, first, last in self.dpd_ranges:
            if days_past_due >= first and (last is None or days_past_due <= last):
                return stage
        if days_past_due == 0 and 0 <= days_until_due <= self.pre_due_days:
            return Stage.PRE_DUE
        return Stage.CURRENT


class _Reader:
    """Turns PyYAML nodes into plain values while remembering each value's line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path_, int] = {}
        self._scalars = yaml.SafeLoader("")

    def load(self, text: str) -> Any:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            raise StrategyError(f"{self.source}: not valid YAML: {error}") from error
        if node is None:
            raise StrategyError(f"{self.source}: the file is empty")
        return self._value(node, ())

    def _value(self, node: yaml.Node, path: Path_) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in result:
                    self.lines[(*path, key)] = key_node.start_mark.line + 1
                    self.fail((*path, key), f"{key!r} appears twice")
                result[key] = self._value(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._value(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalars.construct_object(node)

    def fail(self, path: Path_, message: str) -> None:
        line = None
        probe = path
        while line is None and probe:
            line = self.lines.get(probe)
            probe = probe[:-1]
        where = f"{self.source}, line {line}" if line else self.source
        dotted = ".".join(str(p) for p in path)
        raise StrategyError(f"{where} ({dotted}): {message}")

    def get(
        self, data: dict[str, Any], path: Path_, key: str, kind: type | tuple[type, ...]
    ) -> Any:
        if not isinstance(data, dict) or key not in data:
            self.fail(path, f"{key!r} is required")
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail((*path, key), f"{key!r} has the wrong type ({type(value).__name__})")
        return value


def _window(reader: _Reader, text: Any, path: Path_) -> Window:
    match = _WINDOW.match(str(text))
    if not match:
        reader.fail(path, f"window {text!r} is not HH:MM-HH:MM")
    assert match is not None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2, m2) <= (h1, m1):
        reader.fail(path, f"window {text!r} must start before it ends, within one day")
    end = _END_OF_DAY if (h2, m2) >= (24, 0) else time(h2, m2)
    return Window(time(h1, m1), end)


def _rules(reader: _Reader, data: Any, path: Path_) -> ContactRules:
    if not isinstance(data, dict):
        reader.fail(path, "must be a mapping")
    rules = ContactRules(
        window=_window(reader, reader.get(data, path, "window", str), (*path, "window")),
        max_per_day=reader.get(data, path, "max_per_day", int),
        max_per_7_days=reader.get(data, path, "max_per_7_days", int),
    )
    if rules.max_per_day < 0 or rules.max_per_7_days < rules.max_per_day:
        reader.fail(path, "caps must be 0 or more, and the 7-day cap at least the daily one")
    return rules


def _stages(reader: _Reader, data: Any) -> tuple[int, tuple[tuple[Stage, int, int | None], ...]]:
    path: Path_ = ("stages",)
    if not isinstance(data, dict):
        reader.fail(path, "must be a mapping of stage to DPD range")
    pre_due_days = 0
    ranges: list[tuple[Stage, int, int | None]] = []
    for name, spec in data.items():
        here = (*path, name)
        try:
            stage = Stage(name)
        except ValueError:
            known = ", ".join(s.value for s in Stage if s is not Stage.CURRENT)
            reader.fail(here, f"unknown stage {name!r} (known: {known})")
        if stage is Stage.CURRENT:
            reader.fail(here, "'current' is what is in no stage; it is not configured")
        if stage is Stage.PRE_DUE:
            pre_due_days = reader.get(spec, here, "days_before_due", int)
            continue
        bounds = reader.get(spec, here, "dpd", list)
        if len(bounds) != 2 or not isinstance(bounds[0], int) or bounds[0] < 1:
            reader.fail((*here, "dpd"), "dpd must be [first, last] with first >= 1")
        first, last = bounds
        if last is not None and (not isinstance(last, int) or last < first):
            reader.fail((*here, "dpd"), "the last DPD must be a number not below the first")
        for other, o_first, o_last in ranges:
            if (last is None or o_first <= last) and (o_last is None or first <= o_last):
                reader.fail((*here, "dpd"), f"DPD range overlaps that of {other.value}")
        ranges.append((stage, first, last))
    ranges.sort(key=lambda r: r[1])
    return pre_due_days, tuple(ranges)


def _tiers(reader: _Reader, data: Any) -> dict[str, TierRule]:
    path: Path_ = ("tiers",)
    if not isinstance(data, dict):
        reader.fail(path, "must be a mapping of tier to rules")
    known = set(TierRule.__dataclass_fields__)
    tiers = {}
    for name, spec in data.items():
        here = (*path, name)
        if name not in ("medium", "high"):
            reader.fail(here, f"unknown tier {name!r}: rules are given for medium and high")
        if not isinstance(spec, dict) or not spec:
            reader.fail(here, "give at least one rule")
        for key in spec:
            if key not in known:
                reader.fail((*here, key), f"unknown rule {key!r} (known: {', '.join(known)})")
        tiers[name] = TierRule(**spec)
    return tiers


def _templates(reader: _Reader, data: Any) -> dict[str, Template]:
    path: Path_ = ("templates",)
    if not isinstance(data, dict):
        reader.fail(path, "must be a mapping of template id to texts")
    templates = {}
    for template_id, spec in data.items():
        here = (*path, template_id)
        version = reader.get(spec, here, "version", int)
        texts = {}
        for locale in LOCALES:
            text = reader.get(spec, here, locale, str)
            where = (*here, locale)
            try:
                rendered = text.format(**_PLACEHOLDERS)
            except (KeyError, IndexError, ValueError) as error:
                reader.fail(where, f"unknown placeholder {error} (known: bank_name, bank_phone)")
            if OPT_OUT_TEXT[locale] not in rendered:
                reader.fail(where, f"the template lacks the opt-out text {OPT_OUT_TEXT[locale]!r}")
            violation = pre_verification_violation(rendered)
            if violation:
                reader.fail(where, f"not limited content: it {violation}")
            texts[locale] = text
        templates[template_id] = Template(template_id, version, texts)
    return templates


def _cadence(
    reader: _Reader, data: Any, templates: dict[str, Template]
) -> dict[tuple[Stage, str], Cadence]:
    path: Path_ = ("cadence",)
    if not isinstance(data, dict):
        reader.fail(path, "must be a mapping of stage to tiers")
    cadence = {}
    for name, per_tier in data.items():
        here = (*path, name)
        try:
            stage = Stage(name)
        except ValueError:
            reader.fail(here, f"unknown stage {name!r}")
        if stage not in CADENCE_STAGES:
            reader.fail(here, f"stage {name!r} gets no automated contact")
        if not isinstance(per_tier, dict):
            reader.fail(here, "must be a mapping of tier to cadence")
        for tier in per_tier:
            if tier not in TIERS:
                reader.fail((*here, tier), f"unknown tier {tier!r}")
        for tier in TIERS:
            spec = reader.get(per_tier, here, tier, dict)
            at = (*here, tier)
            channel = reader.get(spec, at, "channel", str)
            if channel != "sms":
                reader.fail((*at, "channel"), f"channel {channel!r} is not supported (sms)")
            template = reader.get(spec, at, "template", str)
            if template not in templates:
                reader.fail((*at, "template"), f"no template {template!r}")
            entry = Cadence(
                channel=channel,
                template=template,
                may_offer_plans=reader.get(spec, at, "may_offer_plans", bool),
            )
            if stage is Stage.PRE_DUE:
                days = reader.get(spec, at, "days_before_due", list)
                if not days or not all(isinstance(d, int) and d >= 0 for d in days):
                    reader.fail((*at, "days_before_due"), "a list of days, 0 or more")
                entry = Cadence(**{**entry.__dict__, "days_before_due": tuple(sorted(days))})
            else:
                every = reader.get(spec, at, "every_days", int)
                if every < 1:
                    reader.fail((*at, "every_days"), "every_days must be 1 or more")
                entry = Cadence(**{**entry.__dict__, "every_days": every})
            cadence[(stage, tier)] = entry
    for stage in CADENCE_STAGES:
        if (stage, "low") not in cadence:
            reader.fail(path, f"stage {stage.value!r} has no cadence")
    return cadence


def parse_strategy(text: str, source: str) -> Strategy:
    """Validate the strategy text; `source` names it in errors."""
    reader = _Reader(source)
    data = reader.load(text)
    if not isinstance(data, dict):
        reader.fail((), "the file must be a mapping")
    root: Path_ = ()
    known = {"version", "profiles", "bank", "holidays", "stages", "tiers", "cadence"}
    known |= {"promises", "templates"}
    for key in data:
        if key not in known:
            reader.fail((key,), f"unknown section {key!r}")
    profiles_data = reader.get(data, root, "profiles", dict)
    profiles = {
        name: _rules(reader, spec, ("profiles", name)) for name, spec in profiles_data.items()
    }
    bank_data = reader.get(data, root, "bank", dict)
    bank = _rules(reader, bank_data, ("bank",))
    default_zone = reader.get(bank_data, ("bank",), "default_time_zone", str)
    try:
        ZoneInfo(default_zone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail(("bank", "default_time_zone"), f"unknown time zone {default_zone!r}")
    holidays = reader.get(data, root, "holidays", list)
    for i, day in enumerate(holidays):
        if not isinstance(day, date):
            reader.fail(("holidays", i), f"{day!r} is not a date (YYYY-MM-DD)")
    pre_due_days, dpd_ranges = _stages(reader, reader.get(data, root, "stages", dict))
    templates = _templates(reader, reader.get(data, root, "templates", dict))
    promises = reader.get(data, root, "promises", dict)
    promise_template = reader.get(promises, ("promises",), "template", str)
    if promise_template not in templates:
        reader.fail(("promises", "template"), f"no template {promise_template!r}")
    tolerance = reader.get(promises, ("promises",), "tolerance_percent", int)
    if not 0 < tolerance <= 100:
        reader.fail(("promises", "tolerance_percent"), "between 1 and 100")
    return Strategy(
        source=source,
        profiles=profiles,
        bank=bank,
        consumer_initiated_hours=reader.get(bank_data, ("bank",), "consumer_initiated_hours", int),
        default_time_zone=default_zone,
        holidays=frozenset(holidays),
        pre_due_days=pre_due_days,
        dpd_ranges=dpd_ranges,
        tiers=_tiers(reader, reader.get(data, root, "tiers", dict)),
        cadence=_cadence(reader, reader.get(data, root, "cadence", dict), templates),
        promise_reminder_days_before=reader.get(
            promises, ("promises",), "reminder_days_before", int
        ),
        promise_grace_days=reader.get(promises, ("promises",), "grace_days", int),
        promise_tolerance_percent=tolerance,
        promise_template=promise_template,
        templates=templates,
    )


def load_strategy(path: Path) -> Strategy:
    """Read and validate the strategy file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StrategyError(f"{path}: cannot be read: {error}") from error
    return parse_strategy(text, str(path))
