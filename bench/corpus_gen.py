"""Deterministic, article-like knowledge bases of any size, for benchmarks and tests.

Real text matters for a fair benchmark: the cost of text analysis, the vocabulary size and
the posting-list lengths all follow from the word distribution. Words are drawn from a
Zipf distribution (frequency ∝ 1/rank) over real English function words, then common
content words, then a long tail of generated proper names whose count grows with the
corpus (vocabulary grows with corpus size, as in real collections). Sentences,
paragraphs, section headings and YAML front matter follow the knowledge-file format, and
the same seed always yields the same files, so runs are comparable.

Size: ``generate(n)`` makes exactly ``n`` chunks *as the bot counts them*, i.e.
``len(load_snapshot(folder, settings).chunks)`` for the :class:`RetrievalSettings` passed in
(default: the bot's defaults). A chunk is a paragraph, or one window of sentences of a long
paragraph, so a corpus has fewer paragraphs than chunks (``GeneratedCorpus.paragraphs`` says how
many). Each paragraph is counted with the bot's own chunker (``chunk_document``), not a copy of it.
This is the project's own generator; ``bench/independent_corpus.py`` is a second one that shares
no code with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.corpus_files import write_files
from bot.core.config import RetrievalSettings
from bot.core.knowledge.chunking import chunk_document
from bot.core.knowledge.documents import Document, Paragraph

FUNCTION_WORDS = """
the of and to a in is that for it as was with be by on not he this are or his from at which but have an
had they you were their one all we can her has there been if more when will would who so no she other its
may these than into only some could them what about then over also after two such most made any many
before should those through where must much our while up each both under same well between being very
just during here against since because without still within however however among toward per upon
""".split()

CONTENT_WORDS = """
government people year time state country city war world president minister policy party election
people report analysis economy market company bank trade price energy gas oil border army troops
military security defence alliance treaty agreement union council parliament court law rights
protest movement opposition leader regime power region territory population capital history century
decade month week day morning evening night season spring summer autumn winter village town river
mountain forest field road bridge railway station port airport ship aircraft missile weapon attack
invasion offensive operation campaign strategy plan goal decision vote referendum constitution reform
sanction export import currency inflation budget debt loan investment industry factory worker farmer
teacher student school university hospital doctor patient health disease vaccine medicine science
research study data evidence result finding question answer problem solution example case issue
change growth decline crisis conflict peace negotiation talks summit meeting conference statement
interview speech letter article newspaper television radio internet website network media journalist
editor author writer reader audience public society community family child woman man citizen
migrant refugee prisoner soldier officer general commander ambassador diplomat envoy spokesman
analyst expert official agency ministry department office committee commission organisation institute
foundation church religion culture language literature music film theatre museum library archive
record document source account story memory tradition identity nation nationalism independence
sovereignty integration cooperation competition influence pressure support assistance aid relief
food water land soil harvest grain wheat coal steel iron copper gold silver timber cotton wool
machine engine vehicle truck tank car train bus cable pipeline grid plant reactor nuclear warhead
satellite space rocket drone radar sensor signal code software computer phone device system service
network platform model method process structure function role position status level rate share
number amount cost value quality quantity size scale range area zone sector branch unit member
partner neighbour ally rival enemy friend colleague successor predecessor founder owner employee
manager director chairman secretary governor mayor senator deputy candidate voter campaigner
activist volunteer observer monitor inspector investigator judge lawyer prosecutor witness victim
announce approve argue arrest build claim close collect complete confirm consider continue control
create cross cut defend deliver deny deploy describe design destroy develop discuss elect enable
end enter establish expand expect fail fight follow force gain grow hold host impose improve include
increase introduce invest join keep launch lead leave limit maintain manage meet mobilise move need
negotiate observe offer open oppose organise participate pass pay plan prepare present prevent
produce propose protect provide publish raise reach receive recognise reduce refuse reject release
remain remove replace report represent require resist respond restore return reveal rise risk rule
send serve settle share sign start stop strengthen suffer suggest supply support suspend take threaten
train transfer travel treat trust try turn understand unite use visit wait want warn watch weaken win
withdraw work write
ancient annual available basic brief broad central certain civil clear close common complex critical
current decisive deep direct domestic early eastern economic effective entire external fair federal
final financial foreign formal former free full global great heavy historic huge illegal important
independent industrial initial internal international joint key large late legal limited local
long low main major military modern national natural negative neutral new northern official open
ordinary particular peaceful personal political popular possible powerful practical present primary
private public quick rapid rare real recent regional relevant rich rural secret serious significant
similar single small social southern special stable strategic strong successful sudden technical
temporary total traditional tight unusual urban useful various vast violent visible vital weak
western whole wide young
""".split()

_SYLLABLES = (
              "ka ra lo mi ne ta vo si du be len gor vik sha tin mar dos pel kur zan ov sk ev ich"
              " an el ro ba ki to na sa ri vi ga le ho mu").split()
_ABBREVIATIONS = frozenset(("no", "nos", "co", "st", "dec", "mar", "jan", "feb", "apr", "jun", "jul", "aug",
                            "sep", "sept", "oct", "nov", "inc", "ltd", "corp"))


def name_word(i: int) -> str:
    """The ``i``-th generated proper name (deterministic, pronounceable, unique per ``i``)."""
    parts = []
    n = i + len(_SYLLABLES)  # at least two syllables
    while n:
        n, r = divmod(n, len(_SYLLABLES))
        parts.append(_SYLLABLES[r])
    return "".join(parts).capitalize()


@dataclass(frozen=True)
class GeneratedCorpus:
    """Files as ``{file name: bytes}`` plus questions about their content."""

    files: dict[str, bytes]
    questions: tuple[str, ...]
    chunks: int  # chunks as the bot counts them (exactly the ``n_chunks`` asked for)
    paragraphs: int

    def write(self, folder: Path) -> Path:
        return write_files(self.files, folder)


def chunks_of(text: str, settings: RetrievalSettings) -> int:
    """How many chunks the bot's chunker makes of one paragraph of ``text``."""
    paragraph = Paragraph(1, text, 1, None)
    doc = Document("p", "p", None, None, None, None, (paragraph,), "p", "")
    return len(chunk_document(doc, settings).chunk_para)


class _Vocabulary:
    def __init__(self, n_chunks: int, rng: np.random.Generator) -> None:
        n_names = max(2000, n_chunks // 2)
        self.base = FUNCTION_WORDS + CONTENT_WORDS
        self.size = len(self.base) + n_names
        # Interleave a little so names are not all rarer than every content word.
        ranks = np.arange(1, self.size + 1, dtype=np.float64)
        weights = 1.0 / ranks ** 1.05
        self.cdf = np.cumsum(weights) / weights.sum()
        self.rng = rng
        self.n_function = len(FUNCTION_WORDS)

    def word(self, rank: int) -> str:
        if rank < len(self.base):
            return self.base[rank]
        return name_word(rank - len(self.base))

    def sample(self, n: int) -> np.ndarray:
        return np.searchsorted(self.cdf, self.rng.random(n), side="right")


def _sentence(vocab: _Vocabulary, rng: np.random.Generator) -> tuple[str, list[int]]:
    length = int(rng.integers(6, 29))
    ranks = vocab.sample(length)
    words = [vocab.word(int(r)) for r in ranks]
    # End on a content word that is not an abbreviation, so sentence splitting is unambiguous.
    while (ranks[-1] < vocab.n_function or words[-1].lower() in _ABBREVIATIONS or len(words[-1]) < 2):
        ranks[-1] = int(rng.integers(vocab.n_function, len(vocab.base)))
        words[-1] = vocab.word(int(ranks[-1]))
    if rng.random() < 0.08:
        words.insert(int(rng.integers(1, len(words))), f"in {int(rng.integers(1900, 2030))}")
    if len(words) > 10 and rng.random() < 0.5:
        pos = int(rng.integers(3, len(words) - 3))
        words[pos] += ","
    words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words) + ("?" if rng.random() < 0.03 else "."), [int(r) for r in ranks]


def generate(n_chunks: int, seed: int = 1, n_questions: int = 200,
             settings: RetrievalSettings | None = None) -> GeneratedCorpus:
    """Exactly ``n_chunks`` chunks (as the bot counts them with ``settings``) of article-like
    Markdown files, and questions about them."""
    settings = settings or RetrievalSettings()
    rng = np.random.default_rng(seed)
    vocab = _Vocabulary(n_chunks, rng)
    files: dict[str, bytes] = {}
    picked: list[list[int]] = []  # content-word ranks of sampled paragraphs, for questions
    question_every = max(1, n_chunks // (n_questions * 2))
    chunks = paragraphs = 0
    doc = 0
    start_date = dt.date(2015, 1, 1)
    while chunks < n_chunks:
        doc += 1
        title_words = [vocab.word(int(r)) for r in vocab.sample(5) if r >= vocab.n_function] or ["Report"]
        title = " ".join(w.capitalize() for w in title_words)
        author = f"{name_word(int(rng.integers(0, 500)))} {name_word(int(rng.integers(500, 5000)))}"
        published = start_date + dt.timedelta(days=int(rng.integers(0, 3650)))
        lines = ["---", f'title: "{title}"', f"published: {published.isoformat()}",
                 f"url: https://example.org/articles/{doc:07d}", f"author: {author}", "language: en",
                 "---", ""]
        n_paragraphs = int(rng.integers(8, 40))
        for p in range(n_paragraphs):
            if p and p % int(rng.integers(4, 9)) == 0:
                heading = " ".join(vocab.word(int(r)) for r in vocab.sample(3)).capitalize()
                lines += [f"## {heading}", ""]
            n_sent = int(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7]))
            while True:
                sentences = [_sentence(vocab, rng) for _ in range(n_sent)]
                text = " ".join(s for s, _ in sentences)
                count = chunks_of(text, settings)
                if chunks + count <= n_chunks:
                    break
                n_sent = 1  # the last paragraph: short enough to land on n_chunks exactly
            lines += [text, ""]
            chunks += count
            paragraphs += 1
            if chunks // question_every > len(picked):
                picked.append([r for _, ranks in sentences for r in ranks if r >= vocab.n_function])
            if chunks >= n_chunks:
                break
        files[f"article-{doc:07d}.md"] = "\n".join(lines).encode("utf-8")
    groups = [[name_word(i), name_word(i) + "a", name_word(i).lower() + "ov"] for i in range(3)]
    files["aliases.yaml"] = ("aliases:\n" + "".join(f"  - [{', '.join(g)}]\n" for g in groups)).encode()
    return GeneratedCorpus(files, tuple(_questions(picked, vocab, rng, n_questions)), chunks, paragraphs)


_TEMPLATES = ("What happened with {0} and {1}?", "Why did {0} {1}?", "{0} {1} {2}",
              "Tell me about {0}, {1} and {2}.", "How is {0} related to {1}?", "When did {2} {0}?")


def _questions(picked: list[list[int]], vocab: _Vocabulary, rng: np.random.Generator,
               n: int) -> Iterator[str]:
    pool = [p for p in picked if len(set(p)) >= 3] or [[vocab.n_function] * 3]
    for i in range(n):
        ranks = sorted(set(pool[i % len(pool)]), key=lambda r: -r)  # the rarest words of the paragraph
        chosen = [vocab.word(r) for r in ranks[: 3 + i % 2]]
        rng.shuffle(chosen)
        while len(chosen) < 3:
            chosen.append(chosen[0])
        yield _TEMPLATES[i % len(_TEMPLATES)].format(*chosen)
