"""The wording of intro and follow-up messages: prompts/intro_templates.yaml, its schema, validated on load.

Every key is required and each template may use only its own {variables} (PLACEHOLDERS); a channel says how
long a message may be and how it is laid out, a tone which sentences it uses.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from coach.config import PROMPTS_DIR
from coach.errors import ConfigError
from coach.models import Channel, Tone
from vectorstore.once import once

TEMPLATES_PATH = PROMPTS_DIR / "intro_templates.yaml"
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "greeting": frozenset({"first_name"}),
    "intro_named": frozenset({"who"}),
    "intro_context_only": frozenset({"context"}),
    "ask_one": frozenset({"q1"}),
    "ask_two": frozenset({"q1", "q2"}),
    "why_them": frozenset({"grounding"}),
    "why_role": frozenset({"title"}),
    "why_generic": frozenset(),
    "time_ask": frozenset({"minutes"}),
    "easy_out": frozenset(),
    "sign_off": frozenset(),
    "thanks": frozenset(),
    "takeaway": frozenset({"takeaway"}),
    "referral": frozenset({"referral_name"}),
    "no_referral": frozenset(),
    "ask_topic": frozenset({"topic"}),
    "subject": frozenset({"minutes", "topic"}),
    "subject_no_topic": frozenset({"minutes"}),
    "follow_up_subject": frozenset(),
}


def _check_placeholders(templates: dict[str, str]) -> None:
    for key, template in templates.items():
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        if used != PLACEHOLDERS[key]:
            raise ValueError(f"{key} uses {sorted(used)} but must use exactly {sorted(PLACEHOLDERS[key])}")


class Wording(BaseModel):
    """One set of sentences for a tone; every key is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    greeting: str
    intro_named: str
    intro_context_only: str
    ask_one: str
    ask_two: str
    ask_topic: str  # when even the shortest whole version of the question does not fit
    why_them: str
    why_role: str
    why_generic: str
    time_ask: str
    easy_out: str
    sign_off: str
    thanks: str
    takeaway: str
    referral: str
    no_referral: str

    @model_validator(mode="after")
    def _placeholders(self) -> Wording:
        _check_placeholders(self.model_dump())
        return self


class ToneWording(BaseModel):
    """Subject lines and the full (email) and brief (chat) wording of one tone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    subject_no_topic: str
    follow_up_subject: str
    full: Wording
    brief: Wording

    @model_validator(mode="after")
    def _placeholders(self) -> ToneWording:
        _check_placeholders(
            {
                "subject": self.subject,
                "subject_no_topic": self.subject_no_topic,
                "follow_up_subject": self.follow_up_subject,
            }
        )
        return self


class ChannelStyle(BaseModel):
    """Length limit and layout of one channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_chars: int
    subject: bool
    wording: Literal["full", "brief"]
    max_questions: Literal[1, 2]
    question_chars: int
    greeting_joiner: str
    paragraph_joiner: str
    sign_off: bool
    sign_with_name: bool


class IntroTemplates(BaseModel):
    """The whole template file: one style per channel and one wording per tone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: dict[Channel, ChannelStyle]
    tones: dict[Tone, ToneWording]

    @model_validator(mode="after")
    def _complete(self) -> IntroTemplates:
        missing = [c.value for c in Channel if c not in self.channels]
        missing += [t.value for t in Tone if t not in self.tones]
        if missing:
            raise ValueError(f"missing sections: {', '.join(missing)}")
        return self

    def wording(self, channel: Channel, tone: Tone) -> Wording:
        tone_wording = self.tones[tone]
        return tone_wording.full if self.channels[channel].wording == "full" else tone_wording.brief


@once
def load_templates(path: Path = TEMPLATES_PATH) -> IntroTemplates:
    """Read and validate the template file once; any missing or unknown key is a ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return IntroTemplates.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ConfigError(
            f"Intro templates at {path} are unusable: {error}. Fix the file (or restore it from git)."
        ) from error
