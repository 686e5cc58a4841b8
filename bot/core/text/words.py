"""Word lists of the analysis: stopwords, question fillers, irregular verb forms, number and
month words, and the everyday English words that say little about a question's topic.

Lists, not code: a language other than English would be another module like this one.
"""

from __future__ import annotations

from pathlib import Path

# The classic English stopword list (Snowball/NLTK), plus the filler words of questions
# ("how many", "tell me about", "according to the article") that say nothing about the topic.
ENGLISH_STOPWORDS = frozenset("""
a about above after again all am an and any are aren't as at be because been before being
below between both but by can couldn't could did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me
more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over
own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs
them themselves then there there's these they they'd they'll they're they've this those through to too
under until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're you've
your yours yourself yourselves will shall may might must can't cannot
""".split())
QUESTION_STOPWORDS = frozenset("""
many much tell explain describe according article text author writer say says said mention mentioned
mentions please know known give list name named kind sort thing things way ways also even still yet
whose wha whats hows whos exactly really actually anything something someone somebody happen
happened happens regarding concerning think thought believe lol lmao pls plz hey hi hello guys
gonna wanna gotta kinda anyone anybody ever supposedly basically probably apparently currently
deal long true like go going allegedly reportedly purportedly ostensibly
tbh imo imho idk btw ngl nah yeah yep nope thx omg smh afaik iirc rn
""".split())
# Contractions typed without their apostrophe ("im", "dont", "theyre"): the stopwords they are.
# Not those that are words too ("ill", "id", "wont", "shell", "hell", "well", "wed", "lets").
UNAPOSTROPHED_STOPWORDS = frozenset("""
im ive youre youve youll youd hes shes theyre theyve theyll theyd weve
dont doesnt didnt isnt arent wasnt werent cant couldnt wouldnt shouldnt hasnt havent hadnt
mustnt thats theres heres whos wheres whens itll
""".split())

# Irregular forms the stemmer cannot join to their base word ("lost" and "lose").
IRREGULAR_FORMS = {
    form: base
    for base, forms in {
        "arise": "arose arisen", "bear": "bore borne", "beat": "beaten", "become": "became",
        "begin": "began begun", "bite": "bit bitten", "break": "broke broken", "bring": "brought",
        "build": "built", "buy": "bought", "catch": "caught", "choose": "chose chosen", "come": "came",
        "deal": "dealt", "draw": "drew drawn", "drive": "drove driven", "eat": "ate eaten",
        "fall": "fell fallen", "feed": "fed", "feel": "felt", "fight": "fought", "flee": "fled",
        "fly": "flew flown", "forbid": "forbade forbidden", "forget": "forgot forgotten",
        "freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
        "grow": "grew grown", "hide": "hid hidden", "hold": "held", "keep": "kept", "know": "knew known",
        "lead": "led", "leave": "left", "lose": "lost", "make": "made", "mean": "meant", "meet": "met",
        "overthrow": "overthrew overthrown", "pay": "paid", "rise": "rose risen", "run": "ran",
        "say": "said", "see": "saw seen", "seek": "sought", "sell": "sold", "send": "sent",
        "shake": "shook shaken", "shoot": "shot", "speak": "spoke spoken", "spend": "spent",
        "stand": "stood", "steal": "stole stolen", "strike": "struck stricken", "swear": "swore sworn",
        "take": "took taken", "teach": "taught", "tell": "told", "think": "thought",
        "throw": "threw thrown", "understand": "understood", "undertake": "undertook undertaken",
        "win": "won", "withdraw": "withdrew withdrawn", "write": "wrote written",
    }.items()
    for form in forms.split()
}
IRREGULAR_FORMS.update({
    "jan": "january", "feb": "february", "apr": "april", "jun": "june", "jul": "july", "aug": "august",
    "sep": "september", "sept": "september", "oct": "october", "nov": "november", "dec": "december",
})
DEFAULT_STOPWORDS = ENGLISH_STOPWORDS | QUESTION_STOPWORDS | UNAPOSTROPHED_STOPWORDS


def _load_common_words() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "common_english.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # a broken install must not stop answering; weighting just gets cruder
        return frozenset()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


COMMON_ENGLISH_WORDS = _load_common_words()

MONTHS = frozenset(
    "january february march april may june july august september october november december".split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens twice half "
    "third quarter percent times".split())

# What a length, distance or span is counted in: "How long is the border?" is answered by "1,084 km",
# "How long is a term?" by "three years" (not by a year or a bare count).
LENGTH_AND_SPAN_UNITS = frozenset("""
km kilometre kilometres kilometer kilometers mile miles metre metres meter meters m feet foot ft yard yards
inch inches cm mm year years month months week weeks day days hour hours minute minutes second seconds
decade decades century centuries
""".split())

# Capitalised in questions but not names: title abbreviations and units ("Sr", "Celsius").
TITLE_ABBREVIATIONS = frozenset(
    "sr jr dr mr mrs ms mx st prof gen col lt sgt capt rev hon esq no vol".split())
UNIT_WORDS = frozenset("""
celsius fahrenheit kelvin centigrade kilometre kilometres kilometer kilometers metre metres meter meters
kilogram kilograms gram grams tonne tonnes mile miles mph kph km kg cm mm ml litre litres liter liters
hertz watt watts volt volts ampere amperes joule joules newton newtons pascal pascals calorie calories
byte bytes kilobyte kilobytes megabyte megabytes gigabyte gigabytes dollar dollars euro euros pound pounds
""".split())

# A question that asks what is *not* the case ("Which city did not sign?") cannot be answered by a
# passage that says nothing negative. Question side: plain negations; text side, more ways to say it.
QUESTION_NEGATIONS = frozenset("not never no nor cannot n't".split())
TEXT_NEGATIONS = QUESTION_NEGATIONS | frozenset("""
neither none nobody nothing nowhere without lack lacked lacking lacks fail failed fails failure refuse
refused refuses unable absent except instead rather unlike only
""".split())
