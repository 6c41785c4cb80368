"""Hand-written extraction cases, shared by tests/test_disclosures.py and bench_extraction.

Written for this project, not taken from LoCoMo: everyday disclosures that must become a
memory (with a phrase the memory must contain), and chit-chat, hypotheticals, questions,
farewells and commands that must become none.
"""

from datetime import datetime

WHEN = datetime(2024, 4, 17, 18, 30)  # a Wednesday

DISCLOSURES: list[tuple[str, str]] = [
    ("We adopted another puppy called Pixie yesterday!", "adopted another puppy called Pixie"),
    ("Work's been tough, so my outdoor activities have taken a backseat.", "outdoor activities"),
    ("Last week I ran my first half marathon in Porto.", "first half marathon in Porto"),
    ("My sister Ana just had a baby girl named Lia.", "sister Ana"),
    ("I started learning the cello in January.", "learning the cello"),
    ("I've been volunteering at the animal shelter on weekends.", "animal shelter"),
    ("Next month I'm flying to Tokyo for a conference.", "Tokyo"),
    ("I go swimming every morning before work.", "swimming every morning"),
    ("My husband and I bought a small cabin near the lake.", "cabin near the lake"),
    ("I can't stand horror movies, they give me nightmares.", "horror movies"),
    ("Honestly, I've been really into pottery lately.", "pottery"),
    ("I lost my job at the bakery two weeks ago.", "job at the bakery"),
    ("Since we last talked, I adopted a rescue cat named Mochi.", "rescue cat named Mochi"),
    ("We're moving to Denver in June.", "Denver"),
]

CHIT_CHAT: list[str] = [
    "Thanks so much, that really helps!",
    "Haha, that's hilarious.",
    "Bye! Talk to you tomorrow.",
    "I have to go now, see you later.",
    "Wow, that sounds amazing!",
    "How was your weekend?",
    "Do you think I should paint the fence blue?",
    "If I were rich I would buy a castle in Scotland.",
    "Imagine if we lived on Mars.",
    "I love this genre.",
    "I have one.",
    "I told him.",
    "Never heard of it, but it sounds interesting.",
    "Always a joy to see him so happy.",
    "That's so sweet of you to say.",
    "You should totally try the new ramen place.",
    "Your garden looks incredible!",
    "Good night, sleep well!",
    "I know, right?",
    "I'm so happy for you guys!",
    "Congrats on the new job!",
    "Let me know how it goes.",
    # A passing feeling, a reaction, or the other party in a rule's match.
    "I'm so excited!",
    "I'm thrilled for you.",
    "I love that you picked the blue one.",
    "I love how simple it is.",
    "I find it so relaxing.",
    # Talk about the talk, pep talk, and what "we" can do.
    "A lot has happened since we last talked.",
    "I couldn't agree more, Sam.",
    "I won't give up!",
    "We can get through anything together!",
    "Good friends keep us sane.",
    # What is left of a thank-you, and sentences with their subject left out.
    "Thanks for always having my back!",
    "Gives me a reason to smile every day.",
    "I've been thinking about something.",
]
