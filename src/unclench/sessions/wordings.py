"""The spoken text of a session, block by block, with several wordings per block.

A wording is a list of steps: a string is one spoken sentence, a number is a silent rest of about
that many seconds (stretched or shrunk when the session is fitted to its length). Placeholders:
``{name_comma}`` (", Anna" or nothing), ``{name_or_you}``, ``{minutes}``, ``{region}`` (the region's
plain-words ``spoken`` phrase from the body taxonomy) and ``{side}`` (" on the left side" or nothing).

Content rules (../shared/CONTENT.md §4, §6): say a technique "can help many people relax", never
promise that spasms stop; safety note first; for cramp-prone people tense gently and curl the toes
upward, never down; a release-only variant for people whose muscles spasm when tensed.
"""

from __future__ import annotations

from typing import Final

Step = str | float
Wording = list[Step]

OPENING: Final[list[Wording]] = [
    [
        "Welcome{name_comma}. This is your own relaxation session, about {minutes} minutes long.",
        "Please listen only where it is safe to let go: never while driving or operating machinery.",
        "If anything feels uncomfortable, you can open your eyes and stop at any time.",
        "Find a comfortable position, sitting or lying down, with your body supported.",
        "When you are ready, let your eyes close.",
    ],
    [
        "Hello{name_comma}, and welcome to this session, made for you and your body.",
        "Before we begin: only listen when you are somewhere safe, and never while you drive or use machinery.",
        "You stay in charge the whole time. If you need to, you can simply open your eyes and stop.",
        "Settle into a position that feels easy, lying down or sitting well supported.",
        "Allow your eyes to close whenever it feels right.",
    ],
    [
        "Welcome{name_comma}. For the next {minutes} minutes there is nothing you need to do except listen.",
        "A reminder for your safety: never listen while driving or operating machinery.",
        "If at any moment you feel distressed, open your eyes, move a little, and stop the session.",
        "Let your body be supported by the chair or the bed beneath you.",
        "And let your eyes gently close.",
    ],
]

SETTLE: Final[list[Wording]] = [
    ["Notice the places where your body touches the surface beneath you.", 3.0, "Let the surface hold your weight."],
    ["Take a slow breath in through your nose.", 3.0, "And let it flow out, a little longer than it came in.", 3.0],
    ["Let the sounds around you come and go.", 2.0, "Each sound can simply pass, like a cloud crossing the sky."],
]

# --- Inductions -----------------------------------------------------------------------------

BREATHING_INTRO: Final[list[Wording]] = [
    [
        "Let us begin with the breath.",
        "You do not need to breathe in any special way. Simply notice the air coming in, and going out.",
        3.0,
        "Now let each out-breath become a little slower and longer than the in-breath.",
    ],
    [
        "Bring your attention to your breathing.",
        "Feel the cool air at your nose as you breathe in, and the warm air as you breathe out.",
        3.0,
        "Let the breath settle into a slow, easy rhythm, the out-breath a little longer.",
    ],
]

BREATH_CYCLE: Final[list[Wording]] = [
    ["Breathe in slowly, two, three, four.", 1.5, "And out, two, three, four, five, six.", 3.0],
    ["In through the nose.", 2.5, "And out, slowly, letting go.", 4.0],
    ["Breathe in, and feel your belly rise.", 2.5, "Breathe out, and feel it soften.", 4.0],
    ["With the next breath in, gather any tension.", 2.5, "And as you breathe out, let it drift away.", 4.0],
]

PMR_INTRO: Final[list[Wording]] = [
    [
        "In this session we will tense and then release groups of muscles, one at a time.",
        "Tense each group only as much as is comfortable, for a few seconds, and then let go completely.",
        "The tension is only there so that you can feel the release more clearly.",
    ],
    [
        "We will move through your body group by group: a short, gentle tension, then a long release.",
        "Never tense so hard that it hurts. The letting go is the important part.",
    ],
]

PMR_GENTLE_NOTE: Final[list[Wording]] = [
    [
        "Because your muscles can cramp, tense only gently, at about half your strength.",
        "When we come to your feet, curl your toes upward, towards you, never down.",
        "If a muscle starts to cramp, let go at once and simply breathe.",
    ],
]

PMR_PASSIVE_INTRO: Final[list[Wording]] = [
    [
        "In this session you will not tense anything at all.",
        "We will simply visit each group of muscles in turn, notice it, and invite it to let go.",
        "If a muscle does not want to relax, that is fine. Just notice it with kindness.",
    ],
    [
        "This is a release-only session. There is no tensing, only noticing and letting go.",
        "As we move through your body, let each part soften in its own time.",
    ],
]

PMR_TENSE_CUE: Final[list[str]] = [
    "Now {action}. Hold it.",
    "{action_cap}, and hold the tension.",
    "When you are ready, {action}. Hold.",
]
PMR_GENTLE_CUE: Final[list[str]] = [
    "Now gently, at half strength, {action}. Hold.",
    "Softly {action}, only a little. Hold.",
]
PMR_RELEASE_CUE: Final[list[str]] = [
    "And release. Let {target} go loose and heavy.",
    "And let go. Feel {target} soften.",
    "Release, and notice the difference in {target} as the tension drains away.",
]
PMR_RELEASE_FOLLOW: Final[list[str]] = [
    "Notice the warmth and the heaviness as the muscles let go.",
    "Stay with this feeling of release.",
    "Each breath out lets them soften a little more.",
]
PMR_PASSIVE_CUE: Final[list[str]] = [
    "Bring your attention to {target}. Notice what is there, and let it go.",
    "Now notice {target}. Let any tightness there melt and soften.",
    "Let your attention rest on {target}, and allow the muscles to loosen.",
]

BODY_SCAN_INTRO: Final[list[Wording]] = [
    [
        "Now we will move our attention slowly through the body, from the top of your head to your feet.",
        "There is nothing to change. Simply notice each part, and let it soften if it wants to.",
    ],
    [
        "Let your attention travel slowly down through your body, like warm light.",
        "Wherever it rests, the muscles can loosen a little.",
    ],
]
BODY_SCAN_PARTS: Final[list[str]] = [
    "the top of your head",
    "your forehead and the space between your eyebrows",
    "your eyes and the small muscles around them",
    "your jaw, letting your teeth part slightly",
    "your neck and throat",
    "your shoulders",
    "your arms, all the way down to your fingertips",
    "your chest, rising and falling with each breath",
    "your belly",
    "your back, from your shoulder blades down to your hips",
    "your hips and buttocks",
    "your thighs",
    "your knees and your calves",
    "your feet, all the way to the tips of your toes",
]
BODY_SCAN_CUE: Final[list[str]] = [
    "Bring your attention to {part}.",
    "Now notice {part}.",
    "Let your attention rest on {part}.",
]
BODY_SCAN_FOLLOW: Final[list[str]] = [
    "Let it soften.",
    "Allow it to rest.",
    "Nothing to do, just noticing, and letting go.",
]

AUTOGENIC_INTRO: Final[list[Wording]] = [
    [
        "Now I will offer some simple phrases. Repeat each one silently to yourself, slowly, and let it happen by itself.",
        "There is no effort in this, only a calm, passive attention.",
    ],
    [
        "In the next part, say each phrase silently in your mind, and let your body answer in its own time.",
    ],
]
AUTOGENIC_FORMULAS: Final[list[str]] = [
    "My right arm is heavy.",
    "My left arm is heavy.",
    "Both my arms are heavy.",
    "My legs are heavy.",
    "My arms and legs are heavy and warm.",
    "My heartbeat is calm and regular.",
    "My breathing is calm. It breathes me.",
    "My belly is pleasantly warm.",
    "My forehead is pleasantly cool.",
    "I am calm and at ease.",
]

HYPNOTIC_INDUCTION: Final[list[Wording]] = [
    [
        "Before your eyes close completely, let your gaze rest on one spot in front of you.",
        "Keep looking at that spot, and notice how your eyelids begin to feel heavier.",
        3.0,
        "Heavier with each breath, until it feels easier to let them close.",
        "That's right. Let them close now.",
        3.0,
        "And as your eyes close, let a wave of relaxation flow down from your eyes, over your face, and through your whole body.",
    ],
    [
        "Imagine yourself in a place where you feel completely safe and at ease.",
        "It may be a place you know, or one you create now.",
        4.0,
        "Notice the colours, the light, the temperature of the air.",
        4.0,
        "The more you notice this place, the more comfortable you can become.",
    ],
    [
        "With every breath out, your body can sink a little deeper into comfort.",
        "You may notice your breathing becoming slower, your hands and feet heavier.",
        4.0,
        "Let whatever happens happen. There is nothing you need to do.",
    ],
]
HYPNOTIC_EXTRA: Final[list[Wording]] = [
    ["Let the safe place become clearer now.", 4.0, "Notice the sounds there, near and far.", 4.0],
    ["Feel the ground under your feet in that place, steady and supporting you.", 5.0],
    ["Perhaps there is a gentle breeze, or the warmth of the sun.", 5.0, "Let it wash over you."],
]

# --- Deepener -------------------------------------------------------------------------------

DEEPENER_INTRO: Final[list[Wording]] = [
    [
        "Now imagine a gentle staircase in front of you, with {count_from} soft steps leading down.",
        "With each step, and each number, you can drift twice as deep into relaxation.",
    ],
    [
        "In a moment I will count slowly down from {count_from} to one.",
        "With every number, let yourself become a little heavier, a little calmer.",
    ],
]
DEEPENER_STEP: Final[list[str]] = [
    "{count}.",
    "{count}. Deeper.",
    "{count}. Heavier and calmer.",
    "{count}. Letting go.",
]
DEEPENER_EXTRA: Final[list[Wording]] = [
    [
        "Feel how heavy your arms have become, as if they are sinking into the surface beneath you.",
        5.0,
        "And your legs, heavy and still.",
        5.0,
    ],
    ["Imagine floating on calm, warm water, completely supported.", 5.0, "Nothing to hold, nothing to do.", 5.0],
    ["Let your whole body feel like a heavy, warm blanket lying on the ground.", 6.0],
    ["Each breath out takes you deeper, and deeper still.", 6.0],
]

# --- Targeted suggestions for the person's own regions ----------------------------------------

TARGET_INTRO: Final[list[Wording]] = [
    ["Now let us spend a little time with the places where your body tends to hold tension."],
    ["Now bring your kind attention to the parts of your body that often tighten."],
]
TARGET_REGION: Final[list[Wording]] = [
    [
        "Bring your attention to {region}{side}.",
        3.0,
        "Imagine warmth spreading there, slowly, like sunlight on your skin.",
        4.0,
        "With each breath out, {region} can soften a little more.",
        5.0,
    ],
    [
        "Now notice {region}{side}.",
        3.0,
        "There is no need to force anything. Simply allow those muscles to become longer, looser, heavier.",
        5.0,
        "As if a knot is slowly untying itself.",
        5.0,
    ],
    [
        "Let your attention rest on {region}{side}.",
        3.0,
        "Breathe into that place, and as you breathe out, let it settle and grow quiet.",
        5.0,
        "The muscles there are allowed to rest now.",
        5.0,
    ],
]

# --- Stress and daily life ----------------------------------------------------------------------

STRESS: Final[list[Wording]] = [
    ["When you feel pressure during the day, you can notice it early, and let your shoulders drop.", 4.0],
    ["A slow breath out can be your signal to soften, wherever you are.", 4.0],
    ["You can handle difficult moments calmly, one step at a time.", 4.0],
    ["When something weighs on you, you can pause, breathe, and choose what to do next.", 4.0],
    ["Your body can move easily and freely, loose and comfortable.", 4.0],
    ["Tension can come, and tension can go. You know how to let it go.", 4.0],
]
POST_WAKE: Final[list[Wording]] = [
    ["Later today, whenever you notice tightness, one slow breath out can bring back this feeling.", 4.0],
    ["Each time you practise, letting go can become a little easier and more familiar.", 4.0],
    ["You can carry this calm with you into the rest of your day.", 4.0],
    ["Whenever you sit for a long time, you can remember to move, stretch, and soften.", 4.0],
]
POST_SLEEP: Final[list[Wording]] = [
    ["As you sleep tonight, your body can keep resting, loose and comfortable.", 5.0],
    ["Each time you practise, letting go can become a little easier and more familiar.", 5.0],
    ["Your muscles can stay soft and heavy through the night.", 5.0],
    ["Tomorrow can begin from a calmer place.", 5.0],
]

# --- Endings -------------------------------------------------------------------------------

WAKE: Final[list[Wording]] = [
    [
        "In a moment I will count from one to five. With each number you will become more awake and alert.",
        "One. Beginning to come back.",
        "Two. Feeling the surface beneath you.",
        "Three. Moving your fingers and toes a little.",
        "Four. Taking a deeper breath.",
        "Five. Eyes open, awake, refreshed and calm.",
        "Take your time, and sit up slowly.",
    ],
    [
        "Now it is time to return, bringing this calm with you.",
        "One. Becoming aware of the room around you.",
        "Two. Hearing the sounds around you.",
        "Three. Gently stretching, if you like.",
        "Four. Feeling awake and clear.",
        "Five. Open your eyes. Welcome back{name_comma}.",
        "Please sit up slowly, and wait a moment before you stand.",
    ],
]
SLEEP: Final[list[Wording]] = [
    [
        "There is nothing more you need to do now.",
        "If you are ready to sleep, simply let go, and drift wherever the night takes you.",
        "Sleep well{name_comma}.",
    ],
    [
        "You can stay in this calm, heavy comfort as long as you like.",
        "Let sleep come when it is ready.",
        "Goodnight{name_comma}.",
    ],
]

QUIET_REST: Final[list[Wording]] = [
    ["For the next little while, simply rest here. There is nothing you need to do.", 45.0],
    ["Let the quiet hold you now. I will speak again in a little while.", 45.0],
    ["Rest in this calm, and let the feeling of heaviness and warmth grow all by itself.", 45.0],
    ["Stay with the slow rhythm of your breathing for a while.", 45.0],
]
PMR_SECOND_PASS: Final[list[Wording]] = [
    ["Now we will go through the same muscles once more, this time without tensing. Only letting go."],
    ["Let us travel through your body again, simply releasing each group a little further."],
]
BODY_SCAN_RETURN: Final[list[Wording]] = [
    ["Now let your attention travel slowly back up through your body, from your feet to the top of your head."],
    ["Once more, let your attention move through your body, this time from your feet upward."],
]

# --- Adaptive sessions: an extra release cue where the sensor finds the muscle still holding on -------------------
# Gentle and permissive: the cue invites, never insists, and says nothing about what the muscle "should" do.
# ``{target}`` is the muscle in plain words (a PMR group's own words, else the body taxonomy's ``spoken``).

ADAPTIVE_RELEASE_CUES: Final[dict[str, str]] = {
    "still-holding": "There may still be a little holding on in {target}. That is all right. "
    "See if you can let go a little more.",
    "some-tightness": "If there is still some tightness in {target}, you can let it go now, a little at a time, "
    "with each breath out.",
    "notice-again": "Once more, notice {target}. Perhaps the muscles there can grow a little heavier and looser, "
    "with no effort at all.",
    "no-hurry": "There is no hurry. With each slow breath out, let a little more softness come into {target}.",
}
"""The release cues by a key that names the wording, not the muscle: what a person's decisions rank across sessions
(``SessionOptions.cue_preferences``). A key is never renamed or reused for other words (logged decisions map to it)."""
ADAPTIVE_RELEASE_CUE: Final[list[str]] = list(ADAPTIVE_RELEASE_CUES.values())
