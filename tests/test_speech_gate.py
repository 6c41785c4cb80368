"""The speech gate's reasons, sentence by sentence: pure functions, no model.

Each class of junk found in the extraction benchmark's output has a case here, and so
has a sentence of the same shape that must still pass, so that a gate made too broad
fails as surely as one made too narrow.
"""

import pytest

from assistant.core.learning.disclosures import rule_is_junk
from assistant.core.learning.extract import extract_rules
from assistant.core.learning.speech import gate, sentences

DROPPED = [
    ("I'm so excited!", "a passing feeling"),
    ("I'm super thankful.", "social"),
    # Thanks in other words: gratitude is said to the moment, not filed away.
    ("I'm truly grateful for all the support I've got from friends and mentors.", "social"),
    ("I'm so lucky to have such a great support system around me.", "social"),
    ("I love how simple it is.", "needs its context"),
    ("I love how the light hits the water", "a reaction"),
    ("I find it so relaxing.", "needs its context"),
    ("I've been thinking about something.", "needs its context"),
    ("A lot has happened since we last talked.", "about the conversation"),
    ("I couldn't agree more", "about the conversation"),
    ("We haven't talked in ages", "about the conversation"),
    ("I won't give up on my dreams!", "pep talk"),
    ("I'm staying positive about the move", "pep talk"),
    ("We can get through anything together!", "about people in general"),
    ("Good friends keep us sane.", "about people in general"),
    ("Gives me a reason to smile every day.", "no subject"),
    ("Gonna finish my degree and look for jobs", "no subject"),
    ("for always having my back!", "no subject"),
    ("I could help", "needs its context"),
    ("We want it to spread understanding and acceptance.", "needs its context"),
    ("I bought them at the market on Saturday.", "needs its context"),
    ("Their support keeps me motivated.", "needs its context"),
    ("Her stories have been with me and still inspire me.", "needs its context"),
    ("Congrats on the cooking show, I'll definitely be tuning in.", "social"),
    ("Congratulations on the new job, I'm so proud of you!", "social"),
    ("I tackled something new.", "names nothing"),
    ("I've been working on something exciting too!", "names nothing"),
    ("Crazy things happened to me.", "names nothing"),
    ("I bet the nerves and excitement were quite a rush!", "a reaction"),
    ("Can't wait to experience it for myself!", "needs its context"),
    ("I'm using it to stay organized.", "needs its context"),
    ("I'd love to visit them one day.", "needs its context"),
    ("Moments like these remind me to appreciate my family.", "needs its context"),
    ("We have places like that near our homes.", "needs its context"),
    # After a clause in front, "they" with no one named before it.
    ("Even when times are hard, they always have my back.", "needs its context"),
    ("I had a little doll like this as a kid.", "needs its context"),
    ("We both have so much potential!", "about the other party"),
    ("I'll bring my recipes so we can both share desserts!", "about the other party"),
    ("I dream of visiting them one day.", "needs its context"),
    ("I actually just submitted a few more last week.", "needs its context"),
    ("I told him yesterday.", "needs its context"),
    ("I would recommend visiting some castles, they're magical!", "about the other party"),
    ("I reccomend finding a fantasy series to read through.", "about the other party"),
    ("I really like the idea and the acting.", "a reaction"),
    ("All my hard work is paying off.", "pep talk"),
    ("I'm gonna keep trying new things.", "pep talk"),
    ("I believe the right resources can make a lasting impact.", "pep talk"),
    ("I'll keep working at it and hopefully the next steps become clearer.", "pep talk"),
    ("There've been some tough times lately for me.", "names nothing"),
    # An -ing phrase as the subject of "could": advice weighed, nothing that happened.
    ("Reflecting on what went wrong could help me get back on track.", "hypothetical"),
    ("to have this outlet to share my stories.", "no subject"),
    ("I completely encourage it, it's such a blessing.", "needs its context"),
    ("I haven't seen pictures of them in a while!", "needs its context"),
    ("when are you coming back", "question"),
    ("I'm a huge fan!", "needs its context"),
    ("I'm feeling hopeful and inspired about the future!", "a passing feeling"),
    # Every content word is general: effort, praise, plans, people in the abstract.
    ("I've been working really hard lately.", "names nothing"),
    ("I had quite the experience.", "names nothing"),
    ("I always try to do the right thing.", "names nothing"),
]

KEPT = [
    "We're moving to Denver in June.",
    "We went biking along the coast last weekend",
    "Our dog Max died last week",
    "My sister's support keeps me motivated.",
    "I made this painting to show my journey",
    "I was really excited about my new job at the library",
    "For me, adoption is a way of giving back",
    "I ran my first half marathon in Porto",
    "I bought some new things for my garden",
    "I'm super stoked for the Harry Potter stuff",
    "I want to visit Japan to see it for myself",
    "For my son's 10th birthday we're taking him to Disney.",
    "My car broke down, so I need to fix it.",
    "I love hiking, camping and things like that.",
    "My wife and I both love jazz.",
    "Jo and I both work at the hospital.",
    "My son loves dinosaurs and I enjoy reading about them.",
    "I want to travel more.",
    "I moved to Lisbon last week.",
    "I recommend Dune to everyone I meet.",
    "I love the smell of rain after a storm.",
    "I'm working hard on my thesis about coral reefs.",
    "To celebrate, I went to Paris with my sister.",
    "I'm signing up for a pottery class that starts next month.",
    "When I was 10, I broke my arm falling off a horse.",
    "Where I grew up, everyone fished for trout.",
    "I haven't seen my brother in ages.",
    "I'm a huge fan of Lord of the Rings!",
    "I'm a huge Liverpool fan.",
    "I'm excited about the future of my bakery.",
    "I've been working really hard on my garden lately.",
    "I had quite the experience at the dentist.",
    "I want to help people with disabilities.",
    "I always try to be home for dinner.",
    "I was lucky to get tickets to the final at Wembley.",
    "I'm grateful for my new job at Google.",  # thanks that names a fact
    "I'm planning a trip that could take us to Peru in May.",
    "I had some good times in Lisbon with my brother.",
    "I keep working at the bakery on weekends.",
    "When my parents visit, they always cook paella.",
    "Even when work is hard, I go climbing on Fridays.",
]


@pytest.mark.parametrize(("sentence", "reason"), DROPPED)
def test_junk_sentences_are_dropped_for_their_reason(sentence: str, reason: str) -> None:
    assert gate(sentence) == reason


@pytest.mark.parametrize("sentence", KEPT)
def test_disclosures_of_the_same_shape_pass(sentence: str) -> None:
    assert gate(sentence) is None


def test_talk_preambles_and_names_of_the_listener_are_cut_not_the_fact() -> None:
    assert sentences("Since we last spoke, I went to Paris. I could help, Maria.") == [
        "I went to Paris.",
        "I could help.",
    ]
    assert sentences("Since our last chat, I've started pottery!") == ["I've started pottery!"]
    # Fillers inside a sentence go; the same words meant as words stay.
    assert sentences("From a distance I mean, since I'm allergic.") == [
        "From a distance, since I'm allergic."
    ]
    assert sentences("Work has been mad, you know, deadlines everywhere.") == [
        "Work has been mad, deadlines everywhere."
    ]
    assert sentences("I mean it when I say I love Rome.") == ["I mean it when I say I love Rome."]
    assert sentences("I'll let you know!") == ["I'll let you know!"]
    assert sentences("To be honest my job is boring. Tbh I hate mornings.") == [
        "my job is boring.",
        "I hate mornings.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "I'm thrilled for you.",  # the other party
        "I love that you chose pottery.",
        "I'm excited.",  # a passing feeling
        "I love how uncomplicated it is.",  # a reaction to what was said
        "I am as well.",  # no content word
        "I'm the same.",
        "I'm a huge fan of it, that's why I go!",  # "it" is only named earlier
        "I love their work.",  # whose work, only the conversation says
        "I'm a huge fan.",  # of what?
        "I love it and that'll keep my confidence up.",
        "I love the color and texture!",  # of what was just shown
        "I like the idea and the acting.",
    ],
)
def test_a_rule_match_goes_through_the_same_gate(text: str) -> None:
    produced = extract_rules(text)
    assert produced, f"the rules no longer fire on {text!r}: pick another case"
    assert all(rule_is_junk(c) for c in produced), produced


@pytest.mark.parametrize(
    "text",
    [
        "I have two cats",
        "I'm allergic to peanuts",
        "I love hiking",
        "I love the smell of rain",
        "Always cite your sources",
        "I'm a huge fan of jazz, that's why I go",
    ],
)
def test_explicit_statements_still_pass_the_rule_gate(text: str) -> None:
    produced = extract_rules(text)
    assert produced
    assert not any(rule_is_junk(c) for c in produced), produced


def test_a_saying_with_an_ing_subject_is_not_given_the_user_as_its_subject() -> None:
    assert sentences("Trying new things takes guts and it can be so rewarding.") == [
        "Trying new things takes guts and it can be so rewarding."
    ]
    assert gate("Trying new things takes guts and it can be so rewarding.") == (
        "not about the user"
    )
    # The chat shorthand it must not swallow: the user's own news, "I" dropped.
    assert sentences("Trying out a new sourdough recipe tonight.") == [
        "I'm trying out a new sourdough recipe tonight."
    ]


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("Passed the bar exam!!", "I passed the bar exam!!"),
        ("Grew up on a farm in Iowa.", "I grew up on a farm in Iowa."),
        ("Excited for the Lisbon trip!", "I'm excited for the Lisbon trip!"),
        (
            "Learning Japanese right now, about a year in.",
            "I'm learning Japanese right now, about a year in.",
        ),
        ("Love gardening and hiking.", "I love gardening and hiking."),
        # Not the user's news: an -ing subject, a name, a saying, a reaction to a photo.
        ("Writing isn't always easy.", "Writing isn't always easy."),
        ("Learning German has been tough.", "Learning German has been tough."),
        ("Love is magic.", "Love is magic."),
        ("Love the blue vase in the pic!", "Love the blue vase in the pic!"),
        ("Meeting went well.", "Meeting went well."),
        ("Need to finish my thesis by Friday.", "Need to finish my thesis by Friday."),
        ("Jared and I went to Rome.", "Jared and I went to Rome."),  # a name in -ed
        (
            "Trying chocolate, raspberry, and coconut has been a blast.",
            "Trying chocolate, raspberry, and coconut has been a blast.",
        ),
        ("Working on my novel, it is going well.", "I'm working on my novel, it is going well."),
        # The verb after a comma has a subject of its own: the training is the user's news.
        (
            "Training for the Berlin marathon, my knees are sore.",
            "I'm training for the Berlin marathon, my knees are sore.",
        ),
        ("Gonna be a dad in May!", "I'm gonna be a dad in May!"),
        ("Moving to Oslo in May!", "I'm moving to Oslo in May!"),  # the month, not "may"
        ("Gonna be a great night!", "Gonna be a great night!"),  # "it", not "I"
        ("Gonna be fun.", "Gonna be fun."),
        ("Was super nervous before my talk.", "I was super nervous before my talk."),
        ("Was a great show.", "Was a great show."),
        ("Did you know I ran a marathon?", "Did you know I ran a marathon?"),  # asked
        ("Love you guys!", "Love you guys!"),
        (
            "Always been interested in other cultures.",
            "I've always been interested in other cultures.",
        ),
    ],
)
def test_a_dropped_i_is_put_back_only_where_the_sentence_is_the_users_news(
    said: str, read: str
) -> None:
    assert sentences(said) == [read]


@pytest.mark.parametrize(
    ("said", "read"),
    [
        # A piece after a dash goes on about the piece before it, in its tense.
        (
            "It was hard work - getting sponsors and coordinating with the city.",
            ["It was hard work", "I was getting sponsors and coordinating with the city."],
        ),
        (
            "Last year was rough \u2014 working two jobs.",
            ["Last year was rough", "I was working two jobs."],
        ),
        # The same shape in the present stays the user's news now.
        ("Been busy - moving house.", ["I've been busy", "I'm moving house."]),
        ("Life is hectic - working two jobs.", ["Life is hectic", "I'm working two jobs."]),
        # A past tense without a dash does not reach the next sentence.
        (
            "It was hard work. Working on my novel now.",
            ["It was hard work.", "I'm working on my novel now."],
        ),
    ],
)
def test_a_piece_after_a_dash_takes_the_tense_of_what_it_goes_on_about(
    said: str, read: list[str]
) -> None:
    assert sentences(said) == read
