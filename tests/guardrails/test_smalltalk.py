import pytest


@pytest.mark.parametrize(
    "text, intent",
    [("hey", "greet"), ("Hi there!", "greet"), ("thanks, take care", "thanks"), ("goodbye", "goodbye"),
     ("what can you do?", "capabilities"), ("hola", "greet"), ("muchas gracias", "thanks")],
)
def test_smalltalk_matches_whole_messages(smalltalk, text, intent):
    assert smalltalk.match(text).intent == intent


@pytest.mark.parametrize("text", ["hi, how much kratom should I take", "thanks, but is kratom legal?", "kratom", ""])
def test_smalltalk_does_not_swallow_questions(smalltalk, text):
    assert smalltalk.match(text) is None


def test_spanish_greeting_reply_is_spanish(smalltalk):
    assert smalltalk.match("hola", "es").text.startswith("Hola")


@pytest.mark.parametrize("text, intent", [("thx bye", "thanks"), ("hiii anyone there?", "greet"), ("ok cool ttyl", "goodbye")])
def test_short_messages_of_small_talk_words(smalltalk, text, intent):
    assert smalltalk.match(text).intent == intent


@pytest.mark.parametrize("text", ["yes", "ok", "lol ok", "is kratom ok"])
def test_bare_acknowledgements_are_left_to_the_follow_up_logic(smalltalk, text):
    assert smalltalk.match(text) is None


@pytest.mark.parametrize(("text", "intent"), [
    ("aight im out", "goodbye"),
    ("ok heading to bed now, peace", "goodbye"),
    ("va, gracias, ya me voy a dormir", "thanks"),
    ("seriously ur a lifesaver", "thanks"),
    ("good morning from rainy seattle!!", "greet"),
])
def test_a_judged_small_talk_message_gets_the_intent_its_words_name(smalltalk, text, intent):
    assert smalltalk.guess(text) == intent
