"""A second generator of article-like knowledge folders, independent of ``bench/corpus_gen.py``.

A benchmark on the project's own generator alone could flatter the bot: the same people wrote
the generator and tuned the core on it. This one shares no code and no word list with it, and
follows another recipe at every level:

- **Words**: real English nouns, verbs, adjectives and adverbs (built in below), inflected by
  English spelling rules (plurals, past tenses, third person), real first names, surnames and
  place names. Beyond the built-in lists, new words are derived as English derives them
  (prefix + root + suffix: "counterreform", "regrowthism") and new names by name-forming
  endings ("Hallberg", "Ostrovsk"), so the vocabulary keeps growing with the corpus.
- **Frequencies**: not a fixed Zipf table but a Pitman-Yor-like preferential-attachment process
  per word class: each draw is a new word with probability ``(theta + d * K) / (theta + n)``
  (``K`` words seen, ``n`` draws), else a copy of a uniformly chosen earlier draw, so frequent
  words get more frequent and the vocabulary grows as ``n ** d`` (Heaps' law).
- **Sentences**: a small grammar of clauses (noun phrases with determiners, adjectives,
  compounds and prepositional phrases; past, present, perfect and future verbs; reported speech
  in curly quotes, "according to", lists after a colon, parentheses, semicolons), with years,
  dates, percentages, sums of money, thousands separators ("37 000", "1,250") and decimals.
- **Sizes**: sentences per paragraph are 1 + geometric (mean about 4, up to 16), paragraphs per
  file log-normal (median 16, 1 to 400), sections every few paragraphs (``#``/``##``/``###``).

Deterministic by seed (Python's own ``random.Random``, not numpy). ``generate(n)`` makes exactly
``n`` *paragraphs* (blank-line-separated blocks of prose, as the bot's loader counts them;
headings are not paragraphs); the bot splits long ones into several chunks, so a corpus has more
chunks than paragraphs. Questions are a few words drawn from sampled paragraphs, in everyday
phrasings, plus about 15 % off-topic questions whose words the corpus never uses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.corpus_files import write_files

NOUNS = """
account action activity address administration advantage advice agency agreement aid aircraft
airport alliance allowance amount analysis anger animal answer anxiety apartment appeal approach
area argument army arrangement arrival article artist assembly asset assistance attack attempt
attention attitude audience authority average award balance ballot bank bargain barrier basis
battle beach bed behaviour belief bench benefit bill billion bird birth board boat body bond
border bottle boundary box brain branch bread breakfast bridge brother budget building bureau
business cabinet cable campaign camp canal candidate capacity capital captain car card care
career cargo carrier case cash castle cattle cause ceiling cell census centre century ceremony
chain chair chairman challenge chamber champion chance change channel chapter character charge
charity chart chemical chief child childhood choice church circle citizen city claim class
client climate clinic clock coal coast coalition code coffee collapse colleague collection
college colony column combat comfort command comment commerce commission commitment committee
community company comparison competition complaint compromise computer concept concern concert
conclusion condition conference confidence conflict congress connection consensus consequence
constitution construction consumer contact content contest context contract contribution
control convention conversation copper corner corporation correspondent corridor cost cottage
council count country countryside county couple courage course court cousin coverage crew crime
crisis critic crop crowd crown culture currency custom customer cycle dam damage danger data
daughter deadline deal death debate debt decade decision declaration decline defeat defence
deficit degree delay delegate delegation demand democracy department deposit deputy desert
design desk detail development device diplomat direction director disaster discipline discovery
discussion disease dispute distance district division doctor document dollar domain door draft
drama dream drink driver drought drug duty economy edge edition editor education effect effort
election electricity element embassy emergency emperor empire employee employer energy engine
engineer enterprise entry environment episode equipment era error escape essay estate estimate
event evidence exam example exchange exercise exhibition exile existence expansion expense
experience experiment expert explosion export exposure extent factory failure faith family farm
farmer fashion fault fear feature federation fee festival fiction field figure film finance
fire firm fish flag fleet flight flood floor flow folk food force forecast forest fortune forum
foundation fraction frame freedom friend frontier fuel fund funeral future gallery game gap
garden gas gate generation genre gift girl glass goal gold government governor grain grant
grass ground group growth guard guest guide gun habit hall harbour harvest head headquarters
health hearing heart heat height heritage hero highway hill history holiday home horse hospital
host hotel hour house household housing hunger husband idea identity image impact import
incident income increase independence index industry inflation influence information
infrastructure initiative injury inquiry insight inspector institute institution instrument
insurance intelligence interest interior interview invasion investigation investment invitation
iron island issue item job journal journalist journey judge judgement jury justice key kingdom
kitchen knowledge label labour lake land landscape language law lawyer layer leader leadership
league lecture legacy legislation lesson letter level liberty library licence life light limit
line link list literature loan lobby location lord loss majority manager manufacturer map march
margin market marriage mass material matter mayor meal measure media medicine meeting member
membership memory merchant message metal method midnight migration military mill mind mine
minister ministry minority minute mission model moment monarch money monitor month monument
mood morning mortgage mother motion mountain movement museum music nation navy neighbour network
newspaper night noise norm note notice novel number nurse object observer occasion ocean offer
office officer oil opening operation opinion opponent opportunity opposition option order
organisation origin outcome output owner package page pain painting palace panel paper parent
parish park parliament part participant partner partnership party passage passenger past path
patient pattern payment peace peak penalty pension people percentage performance period permit
person phase phone photograph pilot pipeline place plan planet plant platform player plot poem
poet police policy politician poll pollution pool population port portrait position post pottery
poverty power practice prayer premier presence president press pressure price pride priest
prince principle prison prisoner prize problem procedure process producer product production
profession profit programme progress project promise proof property proposal prosecutor prospect
protection protest province public publication purpose quality quarter queen question quota
race radio railway rain range rate reaction reader reality reason rebellion recession record
recovery reform refugee regime region register regulation relation relationship release
religion remark rent report republic reputation request rescue research reserve resident
resistance resolution resource response responsibility restaurant result retirement return
revenue review revolution reward rice right ring riot risk river road role roof room round route
rule ruler rumour safety salary sale salt sample sanction satellite scale scandal scene schedule
scheme scholar school science scientist score screen sea season seat secretary section sector
security senate senator sense sentence sequence series servant service session settlement
settler shadow share shelter shift ship shop shore shortage show side sign signal silence silver
site situation size skill sky slave soil soldier solution song source south sovereignty space
speaker speech speed spirit sport spring square staff stage stake standard star start state
statement station statue status steel step stock stone storm story strategy stream street
strength strike structure student studio study style subject success suggestion summer summit
supply support surface surgeon survey survival suspect symbol system table talk target task tax
teacher team technique technology telephone television temple tension term territory test
testimony text theatre theme theory threat ticket timber tissue title tobacco tool total tour
tourism town trade tradition traffic tragedy trail train transfer transport treasury treaty trend
trial tribe troop truck trust truth tunnel union unit university valley value vehicle venture
verdict version vessel veteran victim victory village violence vision visit visitor voice volume
vote voter wage wall war warning waste water wave wealth weapon weather week weight welfare west
wheat widow wife will wind window winter witness woman wood wool worker workshop world writer
yard year youth zone
""".split()

VERBS = """
accept accuse achieve acquire act add admit adopt advise affect afford agree aim allow alter
announce appear apply appoint approve argue arrange arrest arrive ask assess assign assist assume
attach attack attempt attend attract avoid award back ban bear beat become begin believe belong
blame block boost borrow break bring build burn buy call campaign cancel capture carry cast catch
cause celebrate challenge change charge check choose claim clean clear close collapse collect
combine come comment commit compare compete complain complete concede concern conclude condemn
conduct confirm connect consider consist construct consult contain continue contribute control
convert convince cooperate cost count cover create criticise cross cut damage deal debate decide
declare decline defeat defend delay deliver demand deny depend deploy describe deserve design
destroy detect determine develop die direct disappear discover discuss dismiss dispute dissolve
distribute divide dominate double draft draw dress drink drive drop earn ease elect eliminate
emerge employ enable encourage end endorse enforce engage enjoy ensure enter escape establish
estimate evacuate examine exceed exchange exclude execute exist expand expect explain explore
export expose express extend face fail fall favour fear feed feel fight file fill finance find
finish fire fit fix flee fly focus follow force forecast forget form found free freeze fund gain
gather generate give govern grant grow guarantee guard guide halt handle happen harvest head hear
help hide hire hit hold host hunt identify ignore illustrate imagine impose improve include
increase indicate influence inform inherit insist inspect install intend introduce invade invest
investigate invite involve issue join judge justify keep kill know lack land last launch lead
learn leave lend let lift limit link list live load lobby locate lose maintain make manage march
mark marry matter mean measure meet mention merge migrate mind miss mobilise modernise monitor
move name need negotiate nominate note notice object observe obtain occupy occur offer open
operate oppose order organise own paint participate pass pay perform permit persuade pick place
plan plant play pledge point possess postpone pour praise predict prefer prepare present preserve
press prevent print proceed produce promise promote propose prosecute protect protest prove
provide publish pull purchase pursue push qualify question raise reach react read realise
rebuild receive recognise recommend record recover recruit reduce refer reflect reform refuse
regain regard register reject relate release rely remain remember remove rename repair repeal
replace reply report represent request require rescue resign resist resolve respond restore
restrict retain retire return reveal review revise reward ride rise risk rule run sail save say
score search secure see seek seize select sell send sentence separate serve set settle shape
share shift ship shoot show sign sing sink sit smuggle solve speak spend split sponsor spread
stand start state stay steal stop strengthen stress strike struggle study submit succeed suffer
suggest supply support surrender survey survive suspend sustain switch take talk target teach
tell tend test thank threaten throw tolerate top trade train transfer transform translate
transport travel treat trigger trust try turn undergo understand unite urge use veto visit vote
wait walk want warn watch weaken wear welcome win wish withdraw witness work worry write yield
""".split()

ADJECTIVES = """
able absolute academic active actual additional administrative adult agricultural alternative
ambitious ancient angry annual anxious apparent armed artistic assistant automatic available
average aware bad basic beautiful bitter black blind blue bold brave brief bright brilliant
broad brown busy calm capable careful central certain cheap chemical chief chronic civil
classic clean clear clever close coastal cold colonial commercial common communist comparable
competitive complete complex comprehensive concrete confident conservative considerable
constant constitutional contemporary continental conventional cool corporate corrupt costly
creative criminal critical crucial cultural curious current dangerous dark dead dear decent
decisive deep democratic dense dependent desperate detailed different difficult digital direct
dirty distant distinct divine domestic dominant double dramatic dry due dull dynamic eager early
eastern economic educational effective efficient elderly electoral electric elegant eligible
emotional empty endless enormous entire environmental equal essential ethnic eventual evident
exact excellent exceptional excessive exclusive existing expensive experimental explicit extra
extreme fair faithful false familiar famous fantastic fat federal fellow female fierce final
financial fine firm fiscal fit flat flexible fond foreign formal former fortunate free frequent
fresh friendly front full fundamental funny future general generous gentle genuine global golden
good gradual grand grateful great green grey gross guilty handsome happy hard harsh healthy
heavy helpful hidden high historic historical holy honest hostile hot huge human humble hungry
ideal illegal immediate imperial important impossible impressive independent indigenous
individual industrial inevitable informal initial inner innocent intellectual intense internal
international invisible isolated joint junior just keen key kind large late lateral leading
legal legislative liberal light likely limited liquid literary little live lively local logical
lonely long loose loud loyal lucky magnetic main major male marginal marine marked massive
mature medical medieval mental mere middle mild military minimal minor mixed mobile moderate
modern modest monetary moral multiple municipal musical mutual naked narrow national native
natural naval near neat necessary negative nervous neutral new nice noble normal northern notable
novel nuclear numerous obvious odd official old open operational opposite optimistic oral
ordinary organic original outer overall overseas painful pale parallel parliamentary partial
particular passive patient peaceful permanent personal physical plain pleasant plastic polite
political poor popular positive possible potential powerful practical precious precise pregnant
present presidential pretty previous primary prime principal prior private probable productive
professional profound progressive prominent promising proper proud provincial psychological
public pure quick quiet radical rapid rare raw ready real reasonable recent red regional regular
relative relevant reliable religious reluctant remarkable remote representative republican
residential respective responsible rich rigid rival romantic rough round royal rural sacred sad
safe scared scientific seasonal secondary secret secular secure senior sensitive separate serious
severe sharp short significant silent similar simple sincere single slight slow small smart smooth
social soft solar sole solid sophisticated southern sovereign spatial special specific spiritual
stable standard steady steep sticky still straight strange strategic strict striking strong
structural subsequent substantial subtle successful sudden sufficient suitable super superior
supreme sure surprised suspicious sweet symbolic sympathetic tall technical temporary tender
terrible territorial thick thin tight tiny total tough toxic traditional tremendous tribal
tropical true typical ugly ultimate unable uncertain unemployed unexpected unfair unhappy unique
united universal unknown unlikely unusual upper urban urgent useful usual vague valid valuable
various vast verbal vertical violent virtual visible visual vital vulnerable warm weak wealthy
weekly western wet white whole wide wild willing wise wooden written wrong young
""".split()

ADVERBS = """
again almost already also always briefly carefully certainly clearly closely completely
currently deeply directly early easily effectively entirely eventually exactly fairly finally
firmly formally frequently fully generally gradually greatly hardly heavily highly immediately
increasingly initially largely lately likely mainly merely mostly nearly never newly normally
notably officially often only openly originally partly perhaps possibly previously primarily
probably promptly publicly quickly quietly rapidly rarely readily really recently regularly
reportedly roughly sharply shortly significantly simply slightly slowly sometimes soon steadily
strongly suddenly surely swiftly today together twice typically ultimately usually widely
""".split()

FIRST_NAMES = """
Aaron Abigail Adam Adrian Agnes Aisha Alan Albert Alexander Alice Amara Amelia Ana Andrew Anna
Anton Arjun Arthur Astrid Beatrice Benjamin Bernard Bianca Boris Bruno Camille Carlos Caroline
Catherine Cecilia Charles Chen Chloe Christopher Clara Claude Daniel David Diana Dmitri Eleanor
Elena Elijah Elizabeth Emil Emma Erik Esther Eva Fatima Felix Fernando Fiona Francis Frederick
Gabriel George Grace Hannah Harold Hassan Helen Henry Hugo Ibrahim Ingrid Irene Isaac Ivan Jacob
James Jan Jane Javier John Jonas Joseph Julia Karim Katarina Kenji Laura Leo Leon Lucia Luis Magnus
Margaret Maria Marta Martin Matthew Maya Michael Miguel Mohammed Nadia Natalia Nicholas Nina Olga
Omar Oscar Patrick Paul Peter Philip Priya Rachel Rafael Robert Rosa Ruth Samuel Sara Sebastian
Sofia Stefan Susan Theodore Thomas Tomas Ursula Victor Viktor Walter William Yusuf Zara
""".split()

SURNAMES = """
Abbott Adler Alvarez Andersen Armstrong Baker Barnes Becker Bell Bennett Berg Bishop Blake Bauer
Brooks Brown Campbell Carter Castillo Chang Clarke Cohen Collins Cooper Costa Cruz Dahl Davies
Dubois Duncan Eriksson Evans Fischer Fleming Flores Foster Fraser Garcia Gibson Gomez Graham Grant
Gray Green Gupta Hall Hansen Harris Hayes Hoffman Holm Hughes Hunter Ivanov Jackson Jansen Jensen
Johansson Jones Kaminski Kaur Keller Kelly Khan Kim Klein Kovacs Kowalski Kruger Larsen Lee
Lindqvist Lopez Marsh Martin Meyer Miller Mitchell Moreau Morgan Murphy Nagy Nielsen Novak Olsen
Ortiz Owens Park Patel Perez Petrov Popescu Price Quinn Reed Reyes Richter Rivera Roberts Rossi
Russo Sanchez Schmidt Schneider Scott Shaw Silva Singh Smith Sokolov Stewart Sullivan Svensson
Tanaka Taylor Thompson Torres Turner Vargas Vogel Wagner Walker Wang Ward Watson Weber Wells White
Wilson Wood Wright Young Zhang Ziegler
""".split()

PLACES = """
Aberdeen Accra Adelaide Alexandria Algiers Amsterdam Ankara Antwerp Athens Auckland Baghdad Baku
Bangkok Barcelona Basel Beirut Belgrade Bergen Berlin Bilbao Bologna Bordeaux Bratislava Brisbane
Bristol Brussels Bucharest Budapest Cairo Calgary Cardiff Casablanca Chicago Cologne Copenhagen
Cork Dakar Dallas Delhi Denver Dresden Dublin Dundee Durban Edinburgh Florence Frankfurt Galway
Gdansk Geneva Genoa Glasgow Gothenburg Granada Hamburg Hanoi Havana Helsinki Houston Istanbul
Jakarta Kampala Kiev Kingston Krakow Lagos Leeds Leipzig Lima Lisbon Liverpool Ljubljana London
Lyon Madrid Malaga Manchester Marseille Melbourne Milan Minsk Montreal Moscow Munich Nairobi Nantes
Naples Nice Odessa Oslo Ottawa Palermo Paris Perth Porto Prague Quebec Reykjavik Riga Rome
Rotterdam Salzburg Santiago Sarajevo Seville Sofia Stockholm Strasbourg Stuttgart Sydney Tallinn
Tampere Tbilisi Toronto Toulouse Tunis Turin Utrecht Valencia Vancouver Venice Vienna Vilnius
Warsaw Wellington Yerevan Zagreb Zurich
""".split()

ORGANISATION_KINDS = """
Agency Alliance Assembly Association Authority Bank Board Bureau Centre Coalition College
Commission Committee Company Congress Council Court Federation Foundation Front Fund Group
Institute League Ministry Movement Office Party Society Trust Union University
""".split()

IRREGULAR_PAST = {
    "bear": ("bore", "borne"), "beat": ("beat", "beaten"), "become": ("became", "become"),
    "begin": ("began", "begun"), "break": ("broke", "broken"), "bring": ("brought", "brought"),
    "build": ("built", "built"), "buy": ("bought", "bought"), "cast": ("cast", "cast"),
    "catch": ("caught", "caught"), "choose": ("chose", "chosen"), "come": ("came", "come"),
    "cost": ("cost", "cost"), "cut": ("cut", "cut"), "deal": ("dealt", "dealt"), "draw": ("drew", "drawn"),
    "drink": ("drank", "drunk"), "drive": ("drove", "driven"), "fall": ("fell", "fallen"),
    "feed": ("fed", "fed"), "feel": ("felt", "felt"), "fight": ("fought", "fought"),
    "find": ("found", "found"), "flee": ("fled", "fled"), "fly": ("flew", "flown"),
    "forget": ("forgot", "forgotten"), "freeze": ("froze", "frozen"), "give": ("gave", "given"),
    "grow": ("grew", "grown"), "hide": ("hid", "hidden"), "hit": ("hit", "hit"), "hold": ("held", "held"),
    "keep": ("kept", "kept"), "know": ("knew", "known"), "lead": ("led", "led"), "leave": ("left", "left"),
    "lend": ("lent", "lent"), "let": ("let", "let"), "lose": ("lost", "lost"), "make": ("made", "made"),
    "mean": ("meant", "meant"), "meet": ("met", "met"), "pay": ("paid", "paid"), "put": ("put", "put"),
    "read": ("read", "read"), "ride": ("rode", "ridden"), "rise": ("rose", "risen"), "run": ("ran", "run"),
    "say": ("said", "said"), "see": ("saw", "seen"), "seek": ("sought", "sought"), "sell": ("sold", "sold"),
    "send": ("sent", "sent"), "set": ("set", "set"), "shoot": ("shot", "shot"), "show": ("showed", "shown"),
    "sing": ("sang", "sung"), "sink": ("sank", "sunk"), "sit": ("sat", "sat"), "speak": ("spoke", "spoken"),
    "spend": ("spent", "spent"), "split": ("split", "split"), "spread": ("spread", "spread"),
    "stand": ("stood", "stood"), "steal": ("stole", "stolen"), "strike": ("struck", "struck"),
    "take": ("took", "taken"), "teach": ("taught", "taught"), "tell": ("told", "told"),
    "throw": ("threw", "thrown"), "understand": ("understood", "understood"),
    "undergo": ("underwent", "undergone"), "wear": ("wore", "worn"), "win": ("won", "won"),
    "withdraw": ("withdrew", "withdrawn"), "write": ("wrote", "written"),
}

PREFIXES = "re pre counter sub inter over under co post non micro anti neo trans multi out mis".split()
NOUN_SUFFIXES = ["", "ation", "ment", "ism", "ist", "ship", "hood", "ity", "ness", "ery", "ology", "ware"]
SURNAME_ENDINGS = "berg son sen ova ski vic ez ani elli ton ford man stein quist ard".split()
PLACE_ENDINGS = "ford burg grad ville stadt mouth field holm bridge haven port dorf ovo".split()
MONTH_NAMES = ("January February March April May June July August September October November "
               "December").split()
PREPOSITIONS = ("of", "in", "for", "with", "on", "at", "from", "against", "between", "across", "near",
                "after", "before", "without", "under", "over", "beyond", "along", "among", "towards")
DETERMINERS = (("the", 40), ("a", 14), ("this", 4), ("that", 3), ("its", 4), ("their", 5),
               ("his", 3), ("her", 2), ("every", 1), ("some", 3), ("no", 1), ("another", 1),
               ("", 19))
CONJUNCTIONS = ("but", "and", "while", "although", "because", "as", "after", "before", "since",
                "whereas", "so")
REPORTING = ("said", "argued", "noted", "told reporters", "wrote", "insisted", "added", "recalled",
             "warned", "explained")

# Words no generated text ever holds: the off-topic questions are made of these.
OFF_TOPIC = """
pizza guitar ukulele smartphone recipe knitting volcano dinosaur skateboard lasagne crossword
chocolate espresso sushi yoga marathon poodle parrot hamster karaoke tattoo crochet origami
sandcastle snorkel trampoline cupcake pancake avocado broccoli zucchini lipstick nintendo
playstation wifi bluetooth podcast emoji selfie hashtag bitcoin spreadsheet printer keyboard
""".split()
_OFF_TOPIC_FORMS = ("What is the best {0} for a {1}?", "How do I fix my {0}?",
                    "Where can I buy a cheap {0} and a {1}?", "Is {0} better than {1}?",
                    "Can you recommend a good {0} {1}?", "My {0} ate my {1}, what now?")
_QUESTION_FORMS = ("{0} {1}", "What about {0} and {1}?", "Tell me about {0}, {1} and {2}.",
                   "What happened to the {0} in {1}?", "Why did {0} matter for {1}?",
                   "Who was involved in {0} {1}?", "{0} {1} {2} {3}", "How was {0} linked to {1}?",
                   "When did {0} {1} happen?", "What did the article say about {0} {1}?")
_VOWELS = frozenset("aeiou")


def _plural(noun: str) -> str:
    if noun.endswith(("ies", "news")):
        return noun
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith("f") and not noun.endswith("ff"):
        return noun[:-1] + "ves"
    return noun + "s"


def _past(verb: str) -> str:
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb][0]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in _VOWELS:
        return verb[:-1] + "ied"
    if len(verb) <= 4 and verb[-1] in "bdgmnpt" and verb[-2] in _VOWELS and verb[-3] not in _VOWELS:
        return verb + verb[-1] + "ed"
    return verb + "ed"


def _participle(verb: str) -> str:
    return IRREGULAR_PAST[verb][1] if verb in IRREGULAR_PAST else _past(verb)


def _third_person(verb: str) -> str:
    if verb in ("have",):
        return "has"
    return _plural(verb)  # the same spelling rules: "watches", "carries"


def _derived_words(roots: list[str], suffixes: list[str], salt: int) -> Iterator[str]:
    """New words as English forms them: prefix + root + suffix, in a scrambled but fixed order."""
    combos = len(PREFIXES) * len(roots) * len(suffixes)
    step = 7919  # prime, coprime with the combination count below (checked)
    while math.gcd(step, combos) != 1:
        step += 2
    i = salt % combos
    seen: set[str] = set()
    for _ in range(combos):
        i = (i + step) % combos
        p, rest = divmod(i, len(roots) * len(suffixes))
        r, s = divmod(rest, len(suffixes))
        root = roots[r]
        suffix = suffixes[s]
        if suffix and root.endswith("e") and suffix[0] in _VOWELS:
            root = root[:-1]
        word = PREFIXES[p] + root + suffix
        if word not in seen and word not in _OFF_TOPIC_SET:
            seen.add(word)
            yield word
    for n in range(10 ** 9):  # practically never reached
        yield f"{roots[n % len(roots)]}{n}"


def _name_words(base: list[str], endings: list[str], salt: int) -> Iterator[str]:
    yield from base
    stems = [w[:max(3, len(w) - 2)] for w in base]
    combos = len(stems) * len(endings)
    step = 104_729
    while math.gcd(step, combos) != 1:
        step += 2
    i = salt % combos
    for _ in range(combos):
        i = (i + step) % combos
        st, e = divmod(i, len(endings))
        yield stems[st] + endings[e]
    for n in range(10 ** 9):
        yield f"{stems[n % len(stems)]}{endings[n % len(endings)]}{n}"


_OFF_TOPIC_SET = frozenset(OFF_TOPIC)


class _Lexicon:
    """Words of one class, drawn by preferential attachment (Pitman-Yor-like, ``d`` and ``theta``)."""

    def __init__(self, source: Iterator[str], d: float, theta: float, rng: random.Random) -> None:
        self._source = source
        self._d = d
        self._theta = theta
        self._random = rng.random
        self._draws: list[str] = []
        self.distinct = 0

    def draw(self) -> str:
        n = len(self._draws)
        if n == 0 or self._random() * (self._theta + n) < self._theta + self._d * self.distinct:
            word = next(self._source)
            self.distinct += 1
        else:
            word = self._draws[int(self._random() * n)]
        self._draws.append(word)
        return word


@dataclass(frozen=True)
class IndependentCorpus:
    """Files as ``{file name: bytes}``, questions, and how many paragraphs and files were made."""

    files: dict[str, bytes]
    questions: tuple[str, ...]
    paragraphs: int

    def write(self, folder: Path) -> Path:
        return write_files(self.files, folder)


class _Writer:
    """The grammar: noun phrases, clauses, sentences, paragraphs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        r = rng.random
        self.r = r
        self.nouns = _Lexicon(_chain(rng.sample(NOUNS, len(NOUNS)),
                                     _derived_words(NOUNS, NOUN_SUFFIXES, rng.randrange(10**6))),
                              d=0.62, theta=60.0, rng=rng)
        self.verbs = _Lexicon(_chain(rng.sample(VERBS, len(VERBS)),
                                     _derived_words(VERBS, [""], rng.randrange(10**6))),
                              d=0.45, theta=40.0, rng=rng)
        self.adjectives = _Lexicon(_chain(rng.sample(ADJECTIVES, len(ADJECTIVES)),
                                          _derived_words(ADJECTIVES, ["", "ish", "less"],
                                                         rng.randrange(10**6))),
                                   d=0.5, theta=30.0, rng=rng)
        self.adverbs = _Lexicon(iter(_cycle(rng.sample(ADVERBS, len(ADVERBS)))), d=0.0, theta=25.0, rng=rng)
        self.first = _Lexicon(_name_words(rng.sample(FIRST_NAMES, len(FIRST_NAMES)), ["a", "o", "ine", "el"],
                                          rng.randrange(10**6)), d=0.35, theta=20.0, rng=rng)
        self.surnames = _Lexicon(_name_words(rng.sample(SURNAMES, len(SURNAMES)), SURNAME_ENDINGS,
                                             rng.randrange(10**6)), d=0.72, theta=50.0, rng=rng)
        self.places = _Lexicon(_name_words(rng.sample(PLACES, len(PLACES)), PLACE_ENDINGS,
                                           rng.randrange(10**6)), d=0.6, theta=30.0, rng=rng)
        self.determiners = [w for w, n in DETERMINERS for _ in range(n)]
        self.content: list[str] | None = None  # words worth asking about, while a paragraph is sampled

    # ---- pieces ------------------------------------------------------------------------------

    def _note(self, *words: str) -> None:
        if self.content is not None:
            self.content.extend(words)

    def pick(self, seq: tuple[str, ...] | list[str]) -> str:
        return seq[int(self.r() * len(seq))]

    def year(self) -> str:
        r = self.r()
        return str(int(1990 + 35 * r)) if r < 0.7 else str(int(1800 + 190 * self.r()))

    def number(self) -> str:
        r = self.r()
        if r < 0.35:
            return str(int(2 + self.r() * 97))
        if r < 0.55:
            n = int(1000 + self.r() ** 3 * 900_000)
            return f"{n:,}" if self.r() < 0.6 else f"{n:,}".replace(",", " ")
        if r < 0.7:
            return f"{self.r() * 99:.1f}"
        if r < 0.8:
            return self.pick(("two", "three", "four", "five", "six", "seven", "ten", "twelve", "dozens of",
                              "hundreds of", "thousands of"))
        if r < 0.9:
            return f"{int(self.r() * 90) + 2}%"
        unit = self.pick(("million", "billion", "thousand"))
        return f"${self.r() * 50:.1f} {unit}" if self.r() < 0.5 else f"€{int(self.r() * 900) + 5} {unit}"

    def date(self) -> str:
        r = self.r()
        if r < 0.4:
            return f"in {self.year()}"
        if r < 0.7:
            return f"on {int(self.r() * 28) + 1} {self.pick(MONTH_NAMES)} {self.year()}"
        if r < 0.85:
            return f"in {self.pick(MONTH_NAMES)} {self.year()}"
        return f"in the {int(self.r() * 9) + 1}0s" if self.r() < 0.5 else f"since {self.year()}"

    def person(self) -> str:
        r = self.r()
        if r < 0.45:
            first, last = self.first.draw(), self.surnames.draw().capitalize()
            self._note(first, last)
            return f"{first} {last}"
        last = self.surnames.draw().capitalize()
        self._note(last)
        if r < 0.6:
            title = self.pick(("Dr.", "Mr.", "Ms.", "Prof.", "General", "President", "Minister", "Judge"))
            return f"{title} {last}"
        return last

    def place(self) -> str:
        place = self.places.draw().capitalize()
        self._note(place)
        return place

    def organisation(self) -> str:
        r = self.r()
        kind = self.pick(ORGANISATION_KINDS)
        if r < 0.4:
            name = f"{self.place()} {kind}"
        elif r < 0.7:
            adj = self.adjectives.draw().capitalize()
            self._note(adj)
            name = f"{adj} {kind} of {self.place()}"
        else:
            noun = self.nouns.draw().capitalize()
            self._note(noun)
            name = f"{noun} {kind}"
        if self.r() < 0.15:  # and its acronym
            acronym = "".join(w[0] for w in name.split() if w[0].isupper())
            if len(acronym) >= 2:
                name += f" ({acronym})"
        return "the " + name

    def noun_phrase(self, depth: int = 0) -> str:
        r = self.r()
        if r < 0.1:
            return self.person()
        if r < 0.15:
            return self.place()
        if r < 0.2:
            return self.organisation()
        if r < 0.26:
            noun = self.nouns.draw()
            self._note(noun)
            return f"{self.number()} {_plural(noun)}"
        words = []
        det = self.pick(self.determiners)
        plural = self.r() < 0.3 and det in ("the", "their", "its", "his", "her", "some", "no", "")
        if self.r() < 0.35:
            adj = self.adjectives.draw()
            self._note(adj)
            words.append(adj)
            if self.r() < 0.15:
                words.insert(0, self.adverbs.draw())
        if self.r() < 0.15:
            words.append(self.nouns.draw())
        noun = self.nouns.draw()
        self._note(noun, *words[-1:])
        words.append(_plural(noun) if plural else noun)
        if det == "a" and words[0][0] in _VOWELS:
            det = "an"
        elif det == "" and not plural and self.r() < 0.7:
            det = "the"
        phrase = f"{det} {' '.join(words)}" if det else " ".join(words)
        if depth == 0 and self.r() < 0.3:
            phrase += f" {self.pick(PREPOSITIONS)} {self.noun_phrase(1)}"
        return phrase

    def verb_phrase(self) -> str:
        verb = self.verbs.draw()
        self._note(verb)
        r = self.r()
        if r < 0.55:
            form = _past(verb)
        elif r < 0.75:
            form = _third_person(verb)
        elif r < 0.88:
            form = f"has {_participle(verb)}"
        elif r < 0.95:
            form = f"will {verb}"
        else:
            form = f"was {_participle(verb)} by"
        if self.r() < 0.12:
            form = f"{self.adverbs.draw()} {form}"
        out = f"{form} {self.noun_phrase()}"
        r = self.r()
        if r < 0.25:
            out += f" {self.pick(PREPOSITIONS)} {self.noun_phrase(1)}"
        elif r < 0.35:
            out += f" {self.date()}"
        return out

    def clause(self) -> str:
        r = self.r()
        if r < 0.08:
            adj = self.adjectives.draw()
            self._note(adj)
            return f"{self.noun_phrase()} {self.pick(('was', 'is', 'remained', 'became', 'seemed'))} {adj}"
        return f"{self.noun_phrase()} {self.verb_phrase()}"

    def sentence(self) -> str:
        r = self.r()
        if r < 0.1:
            body = f"{self.clause()}, {self.pick(CONJUNCTIONS)} {self.clause()}"
        elif r < 0.17:
            opener = self.date()
            body = f"{opener[0].upper()}{opener[1:]}, {self.clause()}"
        elif r < 0.24:
            return f"“{_cap(self.clause())},” {self.person()} {self.pick(REPORTING)}."
        elif r < 0.29:
            body = f"According to {self.noun_phrase(1)}, {self.clause()}"
        elif r < 0.33:
            body = f"{self.clause()}; {self.clause()}"
        elif r < 0.37:
            items = [self.noun_phrase(1) for _ in range(2 + int(self.r() * 3))]
            body = f"{self.clause()}: {', '.join(items[:-1])} and {items[-1]}"
        elif r < 0.41:
            body = f"{self.clause()} ({self.noun_phrase(1)})"
        elif r < 0.46:
            body = f"{self.person()} {self.pick(REPORTING)} that {self.clause()}"
        elif r < 0.5:
            body = f"{self.noun_phrase()}, {self.noun_phrase(1)}, {self.verb_phrase()}"
        else:
            body = self.clause()
        end = self.r()
        mark = "." if end < 0.95 else ("?" if end < 0.98 else "!")
        return _cap(body) + mark

    def paragraph(self) -> str:
        n = 1
        while n < 16 and self.r() > 0.27:
            n += 1
        return " ".join(self.sentence() for _ in range(n))

    def heading(self) -> str:
        words = [self.nouns.draw() for _ in range(1 + int(self.r() * 3))]
        if self.r() < 0.5:
            words.insert(0, self.adjectives.draw())
        if self.r() < 0.3:
            words.append(f"in {self.place()}")
        if self.r() < 0.2:
            words.append(self.year())
        return _cap(" ".join(words))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    seen = set(first)
    for word in rest:
        if word not in seen:
            yield word


def _cycle(words: list[str]) -> Iterator[str]:
    while True:
        yield from words


def _slug(title: str) -> str:
    return "-".join(w.lower() for w in title.split() if w.isalnum())[:40] or "article"


def generate(n_paragraphs: int, seed: int = 7, n_questions: int = 200,
             off_topic_share: float = 0.15) -> IndependentCorpus:
    """Exactly ``n_paragraphs`` paragraphs of article-like Markdown files, and questions."""
    rng = random.Random(seed)
    w = _Writer(rng)
    n_sampled = min(n_paragraphs, max(1, round(n_questions * (1 - off_topic_share))))
    sampled = set(rng.sample(range(n_paragraphs), n_sampled)) if n_paragraphs else set()
    picked: list[list[str]] = []
    files: dict[str, bytes] = {}
    made = 0
    doc = 0
    while made < n_paragraphs:
        doc += 1
        wanted = max(1, min(400, round(math.exp(rng.gauss(math.log(16), 0.9)))))
        wanted = min(wanted, n_paragraphs - made)
        title = w.heading()
        lines = ["---", f'title: "{title}"']
        if rng.random() < 0.8:
            lines.append(f"published: {int(2000 + rng.random() * 25)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d}")
        if rng.random() < 0.5:
            lines.append(f"author: {w.person()}")
        if rng.random() < 0.4:
            lines.append(f"url: https://news.example.net/{doc}/{_slug(title)}")
        lines += ["---", ""]
        if rng.random() < 0.4:
            lines += [f"# {title}", ""]
        until_heading = 1 + int(rng.expovariate(1 / 5))
        for _ in range(wanted):
            until_heading -= 1
            if until_heading <= 0:
                level = "##" if rng.random() < 0.8 else "###"
                lines += [f"{level} {w.heading()}", ""]
                until_heading = 1 + int(rng.expovariate(1 / 5))
            if made in sampled:
                w.content = []
            lines += [w.paragraph(), ""]
            if w.content is not None:
                picked.append(w.content)
                w.content = None
            made += 1
        files[f"{doc:05d}-{_slug(title)}.md"] = "\n".join(lines).encode("utf-8")
    aliases = ["aliases:"]
    for _ in range(3):
        place = w.places.draw().capitalize()
        aliases.append(f"  - [{place}, {place} City, {place}ers]")
    files["aliases.yaml"] = ("\n".join(aliases) + "\n").encode("utf-8")
    return IndependentCorpus(files, tuple(_questions(picked, n_questions, rng, off_topic_share)), made)


def _questions(picked: list[list[str]], n: int, rng: random.Random, off_topic_share: float) -> Iterator[str]:
    """About ``off_topic_share`` of ``n`` off topic, the rest a few words of a sampled paragraph."""
    on_topic: list[str] = []
    for words in picked:
        distinct = list(dict.fromkeys(words))
        if len(distinct) < 2:
            continue
        k = min(len(distinct), 2 + int(rng.random() * 3))
        chosen = rng.sample(distinct, k)
        form = rng.choice([f for f in _QUESTION_FORMS if f.count("{") <= k])
        on_topic.append(form.format(*chosen))
    on_topic = on_topic[: n - round(n * off_topic_share)]
    out = on_topic + [rng.choice(_OFF_TOPIC_FORMS).format(*rng.sample(OFF_TOPIC, 2))
                      for _ in range(n - len(on_topic))]
    rng.shuffle(out)
    yield from out
