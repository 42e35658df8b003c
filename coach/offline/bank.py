"""The offline coach's curated data (question bank and domain lexicon), validated once on load."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coach.config import PROMPTS_DIR
from coach.errors import ConfigError
from coach.offline.phrases import Words
from coach.offline.subject import ALL_SLOTS, SLOTS, SUBJECT_SLOTS, SubjectKind

BANK_FILE = "question_bank.yaml"
DOMAINS_FILE = "domains.yaml"
WORDS_FILE = "wish_words.yaml"

Goal = Literal["understand", "get better at", "move into", "start doing"]
# What a subject is decides which templates fit it and which slots they may use (coach/offline/subject.py):
# a field or industry reads "in machine learning", a role "as a tech lead", a skill and a topic only as an
# object ("about negotiation", "about our data warehouse").
Kind = SubjectKind
DomainKind = SubjectKind
GOALS: tuple[Goal, ...] = ("understand", "get better at", "move into", "start doing")
QUESTION_PLACEHOLDERS = ALL_SLOTS
SUBJECT_PLACEHOLDERS = SUBJECT_SLOTS


def placeholders(text: str) -> set[str]:
    """The `{names}` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_placeholders(text: str, allowed: frozenset[str], where: str) -> None:
    unknown = placeholders(text) - allowed
    if unknown:
        raise ValueError(
            f"{where}: unknown placeholder(s) {sorted(unknown)} in {text!r}; use {sorted(allowed)}"
        )


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Template(_Strict):
    """One question template with its reason and the profile words that answer it."""

    text: str = Field(min_length=10)
    why: str = Field(min_length=5)
    keywords: list[str] = Field(min_length=1)
    why_by_goal: dict[Goal, str] = Field(default_factory=dict)
    kinds: list[Kind] = Field(default_factory=lambda: list[Kind](["field", "industry"]), min_length=1)
    goals: list[Goal] = Field(default_factory=list)  # empty: suits every goal

    def suits(self, goal: Goal) -> bool:
        return not self.goals or goal in self.goals

    def check_slots(self, kinds: list[Kind], where: str) -> None:
        """Each kind fills only its own slots: a role has no {unit}, a topic no {in_domain}."""
        used = placeholders(self.text) | {
            p for why in [self.why, *self.why_by_goal.values()] for p in placeholders(why)
        }
        for kind in kinds:
            extra = used - SLOTS[kind]
            if extra:
                raise ValueError(
                    f"{where}: {self.text!r} is marked for {kind} subjects but uses {sorted(extra)}, which a "
                    f"{kind} does not fill; use {sorted(SLOTS[kind])} or drop {kind} from kinds"
                )

    @model_validator(mode="after")
    def _placeholders(self) -> Template:
        _check_placeholders(self.text, QUESTION_PLACEHOLDERS, "question")
        self.check_slots(self.kinds, "question")
        if not placeholders(self.text) & SUBJECT_PLACEHOLDERS:
            raise ValueError(
                f"question {self.text!r} must name the subject with {{domain}}, {{in_domain}} or {{unit}}"
            )
        if not self.text.rstrip().endswith("?"):
            raise ValueError(f"question {self.text!r} must end with '?'")
        for why in [self.why, *self.why_by_goal.values()]:
            _check_placeholders(why, QUESTION_PLACEHOLDERS, "why")
        return self


class Facet(_Strict):
    """One side of a subject worth asking about; domain-only facets have no generic questions."""

    label: str
    cues: list[str] = Field(default_factory=list)
    questions: list[Template] = Field(default_factory=list)
    fallback: str | None = None  # the generic facet to use for domains without questions for this one


class GoalPlan(_Strict):
    facets: list[str] = Field(min_length=3)
    lead: str | None = None
    clarify: str | None = None
    fallback_domain: str | None = None  # when no subject was ever named; else the bank's fallback_domain


class Choice(_Strict):
    """A clickable answer and what picking it tells the coach."""

    label: str = Field(min_length=2)
    domain: str | None = None
    goal: Goal | None = None
    facet: str | None = None
    follow_up: str | None = None


class ClarifyStep(_Strict):
    question: str = Field(min_length=5)
    choices: list[Choice] = Field(min_length=3, max_length=5)


class DomainChoice(_Strict):
    label: str
    facet: str


class Domain(_Strict):
    """One subject of the lexicon: how to recognise it and how to word questions about it."""

    name: str = Field(min_length=2)
    kind: DomainKind = "field"
    aliases: list[str] = Field(default_factory=list)
    weak_aliases: list[str] = Field(default_factory=list)  # everyday words: count only if no alias is found
    role_aliases: list[str] = Field(default_factory=list)
    thing_aliases: list[str] = Field(default_factory=list)  # one thing of the domain ("data warehouse")
    unit: str | None = None
    in_domain: str | None = None
    keywords: list[str] = Field(default_factory=list)
    choices: list[DomainChoice] = Field(default_factory=list, max_length=4)
    clarify: str | None = None
    facets: list[str] = Field(default_factory=list)
    questions: dict[str, list[Template]] = Field(default_factory=dict)
    exclusive: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Domain:
        if len(self.choices) == 1:
            raise ValueError(f"domain {self.name!r}: give 2-4 choices or none")
        for facet, templates in self.questions.items():
            for template in templates:
                template.check_slots([self.kind], f"domain {self.name!r} {facet}")
        if self.clarify is not None:
            _check_placeholders(self.clarify, frozenset(), f"domain {self.name!r} clarify")
        # a word of the name or its stem: "as a manager" for people management
        words = [w[:6] for w in re.findall(r"[\w&-]+", self.name.lower()) if len(w) >= 3] or [
            self.name.lower()
        ]
        for label, phrase in (("unit", self.unit), ("in_domain", self.in_domain)):
            if phrase is not None and not any(word in phrase.lower() for word in words):
                raise ValueError(f"domain {self.name!r}: {label} {phrase!r} must contain a word of the name")
        return self


class BankFile(_Strict):
    """question_bank.yaml."""

    version: int
    other_label: str
    fallback_domain: str
    user_question_why: str
    focus_question: str
    other_language: str
    unknown_words: str
    as_written_label: str = Field(min_length=2)
    introduction: dict[Goal, str]
    introduction_unsure: str
    role_introduction: dict[Goal, str]
    domain_question: dict[str, str]
    goals: dict[Goal, GoalPlan]
    clarifications: dict[str, ClarifyStep]
    facets: dict[str, Facet]

    @model_validator(mode="after")
    def _refs(self) -> BankFile:
        _check_placeholders(self.focus_question, frozenset({"focus"}), "focus_question")
        _check_placeholders(self.other_language, frozenset({"language"}), "other_language")
        _check_placeholders(self.unknown_words, frozenset({"words"}), "unknown_words")
        for key, table, slot in (
            ("introduction", self.introduction, "domain"),
            ("role_introduction", self.role_introduction, "a_role"),
        ):
            if set(table) != set(GOALS):
                raise ValueError(f"{key} needs one entry per goal: {list(GOALS)}")
            for goal, text in table.items():
                _check_placeholders(text, frozenset({slot}), f"{key}[{goal!r}]")
        for key, text in self.domain_question.items():
            if key and key not in GOALS:
                raise ValueError(f"domain_question: unknown goal {key!r}; use '' or one of {list(GOALS)}")
            _check_placeholders(text, frozenset({"domain"}), f"domain_question[{key!r}]")
        if set(self.domain_question) != {"", *GOALS}:
            raise ValueError("domain_question needs one entry per goal and one for '' (no goal yet)")
        if set(self.goals) != set(GOALS):
            raise ValueError(f"goals needs exactly {list(GOALS)}")
        if "start" not in self.clarifications:
            raise ValueError("clarifications needs a 'start' step (asked when nothing is known)")
        for goal, plan in self.goals.items():
            for facet in [*plan.facets, *([plan.lead] if plan.lead else [])]:
                self._need_generic_facet(facet, f"goals[{goal!r}]")
            if plan.clarify and plan.clarify not in self.clarifications:
                raise ValueError(f"goals[{goal!r}].clarify: no clarification {plan.clarify!r}")
        for name, definition in self.facets.items():
            if definition.fallback:
                self._need_generic_facet(definition.fallback, f"facets[{name!r}].fallback")
        for name, step in self.clarifications.items():
            if self.other_label not in [choice.label for choice in step.choices]:
                raise ValueError(f"clarifications[{name!r}] must offer {self.other_label!r}")
            for choice in step.choices:
                if choice.facet and choice.facet not in self.facets:
                    raise ValueError(f"clarifications[{name!r}]: unknown facet {choice.facet!r}")
                if choice.follow_up and choice.follow_up not in self.clarifications:
                    raise ValueError(f"clarifications[{name!r}]: unknown follow_up {choice.follow_up!r}")
        return self

    def _need_generic_facet(self, facet: str, where: str) -> None:
        if facet not in self.facets:
            raise ValueError(f"{where}: unknown facet {facet!r}; define it under facets")
        if not self.facets[facet].questions:
            raise ValueError(f"{where}: facet {facet!r} has no generic questions")


class DomainsFile(BaseModel):
    """domains.yaml; top-level keys other than these are YAML anchors."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    acronyms: list[str] = Field(default_factory=list)
    domains: list[Domain] = Field(min_length=1)


class QuestionBank(BaseModel):
    """Both files, cross-checked: every facet, domain and follow-up that is referenced exists."""

    model_config = ConfigDict(frozen=True)

    bank: BankFile
    domains: dict[str, Domain]
    acronyms: frozenset[str]
    words: Words

    @model_validator(mode="after")
    def _cross_refs(self) -> QuestionBank:
        facets = self.bank.facets
        fallbacks = [
            self.bank.fallback_domain,
            *(p.fallback_domain for p in self.bank.goals.values() if p.fallback_domain),
        ]
        for fallback in fallbacks:
            if fallback not in self.domains:
                raise ValueError(f"fallback domain {fallback!r} is not in domains.yaml")
        for name, step in self.bank.clarifications.items():
            for choice in step.choices:
                if choice.domain and choice.domain not in self.domains:
                    raise ValueError(
                        f"clarifications[{name!r}]: domain {choice.domain!r} is not in domains.yaml"
                    )
        owners: dict[str, str] = {}
        for domain in self.domains.values():
            where = f"domain {domain.name!r}"
            phrases = [
                domain.name,
                *domain.aliases,
                *domain.weak_aliases,
                *domain.role_aliases,
                *domain.thing_aliases,
            ]
            for alias in {_alias_key(a) for a in phrases}:
                if owners.setdefault(alias, domain.name) != domain.name:
                    raise ValueError(
                        f"{where}: alias {alias!r} already means {owners[alias]!r}; keep it in one"
                    )
            for facet in [*domain.facets, *(c.facet for c in domain.choices), *domain.questions]:
                if facet not in facets:
                    raise ValueError(f"{where}: unknown facet {facet!r}; define it in {BANK_FILE}")
                if not domain.questions.get(facet) and (domain.exclusive or not facets[facet].questions):
                    raise ValueError(f"{where}: facet {facet!r} has no questions for this domain")
        return self

    def domain(self, name: str) -> Domain:
        return self.domains[name]

    def templates(
        self, domain: Domain, facet: str, goal: Goal | None = None
    ) -> tuple[list[Template], list[Template]]:
        """The domain's own templates (curated order) and the generic ones that read well for it and the goal."""
        own = [t for t in domain.questions.get(facet, []) if goal is None or t.suits(goal)]
        generic = [] if domain.exclusive else self.bank.facets[facet].questions
        return own, [t for t in generic if domain.kind in t.kinds and (goal is None or t.suits(goal))]

    def facet_available(self, domain: Domain, facet: str, goal: Goal | None = None) -> bool:
        own, generic = self.templates(domain, facet, goal)
        return bool(own or generic)


def _alias_key(phrase: str) -> str:
    """Aliases compare case-insensitively with hyphens and runs of spaces alike."""
    return " ".join(phrase.lower().replace("-", " ").split())


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path} is missing; restore it from the repository or point prompts_dir at it"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc}); fix the file and restart") from exc


def load_question_bank(prompts_dir: Path = PROMPTS_DIR) -> QuestionBank:
    """Read and validate the offline coach's three data files in `prompts_dir`; fails loudly on any mistake."""
    bank_path, domains_path, words_path = (prompts_dir / f for f in (BANK_FILE, DOMAINS_FILE, WORDS_FILE))
    try:
        bank = BankFile.model_validate(_read_yaml(bank_path))
    except ValidationError as exc:
        raise ConfigError(f"{bank_path} is invalid; fix these entries:\n{exc}") from exc
    try:
        words = Words.model_validate(_read_yaml(words_path))
    except ValidationError as exc:
        raise ConfigError(f"{words_path} is invalid; fix these entries:\n{exc}") from exc
    try:
        lexicon = DomainsFile.model_validate(_read_yaml(domains_path))
        names = [domain.name for domain in lexicon.domains]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"{domains_path}: domain names must be unique; rename {duplicates}")
        return QuestionBank(
            bank=bank,
            domains={domain.name: domain for domain in lexicon.domains},
            acronyms=frozenset(a.lower() for a in lexicon.acronyms),
            words=words,
        )
    except ValidationError as exc:
        raise ConfigError(
            f"{domains_path} (checked against {bank_path}) is invalid; fix these entries:\n{exc}"
        ) from exc
