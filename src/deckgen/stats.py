"""``deckgen stats``: each seed's cards, paragraphs cited and evidence levels, and the media the
cards show.

Every card file is checked as ``deckgen check`` does, a file per core in big projects
(:func:`deckgen.pipeline.each_file`), and each file's cards are summarised where the file was
checked: only what the figures need of each card (:class:`~deckgen.coverage.CardCitation` and the
media files it shows) comes back, never the cards themselves.
"""

from __future__ import annotations

from .cards import LoadedFile
from .coverage import CardCitation, seed_figures, stats_table
from .media import Media, check_card, load_media
from .media import stats_text as media_text
from .notes import NoteSpec
from .pipeline import each_file
from .project import Project
from .seeds import load_seeds

# what stats keeps of one card: its citations, and the declared media files it shows
Summary = list[tuple[CardCitation, list[str]]]


class Summariser:
    """What stats keeps of each checked card file (the media files each card shows only when
    the project declares any: otherwise there are none to count)."""

    def __init__(self, media: Media) -> None:
        self.media = media

    def __call__(self, loaded: LoadedFile, notes: list[NoteSpec]) -> Summary:
        media = self.media
        return [(CardCitation.of(rc), check_card(rc.card, media)[1] if media.declared else [])
                for rc in loaded.cards]


def project_stats(project: Project) -> str:
    """The text ``deckgen stats`` prints: the table of :func:`deckgen.coverage.stats_table`,
    then the media lines (if the project declares media). Raises :class:`DeckgenError` with
    every error ``deckgen check`` would report (the card-writing rules aside)."""
    seeds = load_seeds(project.seeds_dir)
    media = load_media(project.media_dir)
    cards = [card for summary in each_file(project, Summariser(media), seeds=seeds, media=media)
             for card in summary]
    return (stats_table(seed_figures(seeds, (cited for cited, _ in cards)))
            + media_text(media, ((cited.id, files) for cited, files in cards)))
