"""The evidence-level vocabulary (see ``card-writing.md``), strongest first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvidenceLevel:
    id: str
    label: str
    meaning: str
    default_caveat: str
    needs_attribution: bool = False

    @property
    def rank(self) -> int:
        """0 is the strongest level."""
        return LEVEL_IDS.index(self.id)


LEVELS: tuple[EvidenceLevel, ...] = (
    EvidenceLevel(
        "systematic-review",
        "Systematic review",
        "a systematic review or meta-analysis of controlled trials",
        "Check that the review's trials match the situation the card describes.",
    ),
    EvidenceLevel(
        "rct",
        "Randomised trial",
        "a randomised controlled trial",
        "One trial: it needs replication before it is relied on.",
    ),
    EvidenceLevel(
        "observational",
        "Observational study",
        "a cohort, case-control or controlled before-after study",
        "Not randomised: other differences between groups may explain the result.",
    ),
    EvidenceLevel(
        "case-report",
        "Case report",
        "a published case report or case series with no control group",
        "No control group: the outcome may have happened without the treatment.",
    ),
    EvidenceLevel(
        "mechanism",
        "Mechanism",
        "reasoning from physiology or first principles, without outcome data",
        "Reasoning, not outcome data: plausible mechanisms often fail in trials.",
    ),
    EvidenceLevel(
        "expert-opinion",
        "Expert opinion",
        "a practitioner's or an organisation's judgement, stated without data",
        "One expert's judgement, stated without data.",
        needs_attribution=True,
    ),
    EvidenceLevel(
        "practitioner-anecdote",
        "Practitioner anecdote",
        "a practitioner's informal recollection of his or her own patients",
        "Recalled from memory: no protocol, no record, no comparison group.",
        needs_attribution=True,
    ),
    EvidenceLevel(
        "testimonial",
        "Testimonial",
        "a patient's, caregiver's or reader's first-person account",
        "One person's account: no comparison, other treatments not ruled out.",
        needs_attribution=True,
    ),
)

LEVEL_IDS: tuple[str, ...] = tuple(level.id for level in LEVELS)
BY_ID: dict[str, EvidenceLevel] = {level.id: level for level in LEVELS}
