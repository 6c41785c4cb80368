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
]
