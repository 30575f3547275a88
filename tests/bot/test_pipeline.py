"""The pipeline's decide, render and check steps, on a deterministic fake embedder."""

import pytest

from bot.contract import Decision, OutMessage, ReplyData, Route, Turn
from bot.pipeline import LAST_RESORT_LINES, MAX_SOURCES_SHOWN, format_answer, last_resort
from guardrails import ReplyBook, check_output


def test_answer_is_the_entry_verbatim_with_its_strongest_sources(fake_assistant):
    reply = fake_assistant.reply(Turn("Can kratom hurt my liver?", "US"))
    assert reply.route is Route.ANSWER
    entry = fake_assistant.kb.entries[reply.decision.entry_id]
    text = reply.messages[0].text
    assert text.startswith(entry.answer)
    shown = entry.sources[:MAX_SOURCES_SHOWN]
    for source in shown:
        assert source.url in text
    for source in entry.sources[MAX_SOURCES_SHOWN:]:
        assert source.url not in text
    assert f"Reviewed {entry.reviewed_on.isoformat()}" in text
    data = reply.messages[0].data
    assert [s.url for s in data.sources] == [s.url for s in shown]
    assert data.more_sources == len(entry.sources) - len(shown)


def test_no_reply_lists_more_than_three_sources(fake_assistant):
    for entry in fake_assistant.kb.entries.values():
        shown = entry.shown_sources(MAX_SOURCES_SHOWN)
        text = format_answer(entry, entry.answer, tuple(shown))
        assert sum(s.url in text for s in entry.sources) <= 3, entry.id


def test_every_entry_answer_passes_the_output_check(fake_assistant):
    for entry in fake_assistant.kb.entries.values():
        assert check_output(format_answer(entry, entry.answer, ())).allowed, entry.id
        if entry.es is not None and entry.es.answer:
            assert check_output(entry.es.answer).allowed, entry.id


def test_fallback_says_so_and_offers_help(fake_assistant):
    reply = fake_assistant.reply(Turn("zxqv blorp wibble", "US"))
    assert reply.route is Route.FALLBACK
    assert "1-800-662-4357" in reply.messages[0].text
    assert 1 <= len(reply.messages[0].buttons) <= fake_assistant.config.max_suggestions


def test_after_a_crisis_replies_keep_the_regions_crisis_line(fake_assistant):
    plain = fake_assistant.reply(Turn("is kratom legal?", "UK"))
    after = fake_assistant.reply(Turn("is kratom legal?", "UK", after_crisis=True))
    assert len(after.messages) == len(plain.messages) + 1
    assert "116 123" in after.messages[-1].text and "988" not in after.messages[-1].text


def test_crisis_reply_carries_no_knowledge_base_text(fake_assistant):
    reply = fake_assistant.reply(Turn("I want to kill myself, kratom withdrawal is too much", "US"))
    assert reply.route is Route.CRISIS
    assert len(reply.messages) == 1
    assert "Sources:" not in reply.messages[0].text and "988" in reply.messages[0].text


def test_output_rail_replaces_a_dose_like_reply(fake_assistant):
    decision = fake_assistant.decide(Turn("is kratom legal?", "US"))
    message = OutMessage("Take 5 g twice.", ReplyData(Route.ANSWER, "answer"))
    checked = fake_assistant.check(message, decision, "US")
    assert checked.data.blocked and checked.data.route is Route.REDIRECT
    assert "5 g" not in checked.text


def test_output_rail_checks_buttons_too(fake_assistant):
    decision = fake_assistant.decide(Turn("hello", "US"))
    message = OutMessage("Hi there.", ReplyData(Route.SMALLTALK, "smalltalk"), ("Should I take 10 capsules?",))
    checked = fake_assistant.check(message, decision, "US")
    assert checked.data.blocked
    assert "10 capsules" not in " ".join((checked.text, *checked.buttons))


def test_a_dose_like_small_talk_reply_is_replaced(fake_assistant, monkeypatch):
    intent = fake_assistant.smalltalk.intent("greet")
    monkeypatch.setitem(intent.reply, "en", "Hi! Most people take 4 g.")
    reply = fake_assistant.reply(Turn("hello", "US"))
    assert reply.messages[0].data.blocked
    assert "4 g" not in reply.messages[0].text


def test_an_error_inside_the_pipeline_gets_the_regions_last_resort(fake_assistant, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("index broke")

    monkeypatch.setattr(fake_assistant.kb, "search", boom)
    monkeypatch.setattr(fake_assistant.kb, "search_vector", boom)
    reply = fake_assistant.reply(Turn("is kratom legal?", "UK"))
    assert reply.decision.rule == "fail_closed.check_error"
    assert "116 123" in reply.messages[0].text and "988" not in reply.messages[0].text


@pytest.mark.parametrize("region", sorted(LAST_RESORT_LINES))
def test_last_resort_without_any_files_names_the_regions_numbers(region):
    book = ReplyBook.from_files()
    text = last_resort(region, "en").text
    reg = book.region(region)
    assert reg.crisis_lines[0].phone in text
    assert reg.emergency.phone in text


def test_spanish_answer_is_in_spanish_or_carries_a_spanish_note(fake_assistant):
    reply = fake_assistant.reply(Turn("¿qué es el kratom?", "US"))
    assert reply.route is Route.ANSWER, reply.decision
    entry = fake_assistant.kb.entries[reply.decision.entry_id]
    if_spanish = entry.es is not None and bool(entry.es.answer)
    expected = entry.es.answer if if_spanish else entry.answer
    assert reply.messages[0].text.startswith(expected)
    assert any("español" in m.text for m in reply.messages[1:]) is (not if_spanish)


def test_yes_tell_me_more_follows_the_first_suggestion(fake_assistant):
    first = fake_assistant.reply(Turn("Can kratom hurt my liver?", "US"))
    suggestions = first.messages[0].buttons
    assert suggestions
    more = fake_assistant.reply(Turn("yes, tell me more", "US", suggestions=suggestions))
    assert more.route is Route.ANSWER
    assert fake_assistant.kb.entries[more.decision.entry_id].question == suggestions[0]


def test_yes_without_suggestions_is_not_an_answer(fake_assistant):
    assert fake_assistant.reply(Turn("yes, tell me more", "US")).route is not Route.ANSWER


def test_a_decision_taken_in_rasa_is_only_rendered(fake_assistant, monkeypatch):
    decided = fake_assistant.decide(Turn("Can kratom hurt my liver?", "US"))

    def must_not_search(*args, **kwargs):
        raise AssertionError("the action server searched again")

    monkeypatch.setattr(fake_assistant.kb, "search", must_not_search)
    monkeypatch.setattr(fake_assistant.kb, "search_vector", must_not_search)
    reply = fake_assistant.reply(Turn("Can kratom hurt my liver?", "US"), Decision.decode(decided.encode()))
    assert reply.decision == decided and reply.route is Route.ANSWER


def test_a_decision_taken_in_rasa_is_revisited_for_a_split_request(fake_assistant):
    decided = fake_assistant.decide(Turn("how much?", "US"))
    turn = Turn("how much?", "US", context=("I'm coming off oxy and I have kratom",))
    assert fake_assistant.reply(turn, decided).route is Route.REDIRECT


@pytest.mark.parametrize("text", ["hi there", "appreciate it", "thanks, bye"])
def test_small_talk_after_a_redirect_is_small_talk_not_a_split_request(fake_assistant, text):
    reply = fake_assistant.reply(Turn(text, "US", context=("how much kratom should a beginner take",)))
    assert reply.route is Route.SMALLTALK, reply.decision


def test_small_talk_only_the_judge_saw_is_revisited_in_context(fake_assistant):
    from bot.contract import Decision
    from guardrails.verdict import InputVerdict

    judged = Decision.small_talk(InputVerdict("pass", None, None, None, "en", judge={"smalltalk": 0.97}), "greet")
    turn = Turn("is that ok?", "US", context=("I take 8 grams of kratom every morning for my withdrawal",))
    assert fake_assistant.reply(turn, judged).route is Route.REDIRECT
    plain = Decision.small_talk(InputVerdict("pass", None, None, None, "en"), "greet")
    assert fake_assistant.reply(Turn("hi there", "US", context=turn.context), plain).route is Route.SMALLTALK


def test_a_worker_gets_the_redirect_written_for_someone_helping_another_person(fake_assistant):
    text = "how many grams of kratom should I take"
    person = fake_assistant.reply(Turn(text, "US")).messages[0]
    worker = fake_assistant.reply(Turn(text, "US", audience="worker")).messages[0]
    assert person.data.route is worker.data.route is Route.REDIRECT
    assert worker.text == fake_assistant.book.render("redirect_dosing", "US", "en", "worker").text
    assert worker.text != person.text


def test_a_third_person_crisis_report_gets_the_helpers_crisis_reply_on_every_channel(fake_assistant):
    for audience in ("person", "worker"):
        reply = fake_assistant.reply(Turn("my client says he wants to end his life, what do I do", "US", audience=audience))
        message = reply.messages[0]
        assert message.data.route is Route.CRISIS
        assert message.text == fake_assistant.book.render("crisis_other", "US", "en", audience).text
        assert "988" in message.text and "911" in message.text


def _conversations():
    from tests.conftest import REPO, read_jsonl

    return read_jsonl(REPO / "data" / "eval" / "conversations.jsonl")


def test_revisiting_in_context_decides_as_deciding_with_the_context_would(assistant):
    """The action server re-decides only the context step; on every conversation of the eval
    split (and on each of their last turns taken alone) that gives the route and rule the
    full decision with context gives."""
    for conv in _conversations():
        turns = conv["turns"]
        for context in (tuple(turns[:-1]), tuple(turns[-2:-1])):
            turn = Turn(turns[-1], "US", context=context)
            full = assistant.decide(turn)
            revisited = assistant.revisit(assistant.decide(Turn(turns[-1], "US")), turn)
            assert (revisited.route, revisited.rule) == (full.route, full.rule), (turns, context)


def test_revisiting_a_complete_question_embeds_nothing_again(assistant, monkeypatch):
    """The real guard: its judge decides what is a follow-up."""
    text = "What are the signs that someone is going through opioid withdrawal and how long does it usually last for most people?"
    decided = assistant.decide(Turn(text, "US"))
    calls = []
    embed = assistant.guard.embedder.embed
    monkeypatch.setattr(assistant.guard.embedder, "embed", lambda texts: calls.append(texts) or embed(texts))
    again = assistant.revisit(decided, Turn(text, "US", context=("how much kratom should I take",)))
    assert again == decided and calls == []
    # A short follow-up is judged with the turns before it: only then is anything embedded.
    assistant.revisit(assistant.decide(Turn("and with xanax?", "US")),
                           Turn("and with xanax?", "US", context=("can I take kratom with my oxy",)))
    assert len(calls) == 1


def test_a_hinted_answer_comes_with_the_crisis_line_first_and_keeps_its_answer(fake_assistant):
    from dataclasses import replace

    turn = Turn("Can kratom hurt my liver?", "UK")
    decided = fake_assistant.decide(turn)
    assert decided.route is Route.ANSWER
    hinted = replace(decided, verdict=replace(decided.verdict, crisis_hint=True))
    reply = fake_assistant.reply(turn, hinted)
    first, answer = reply.messages[0], reply.messages[1]
    assert first.data.kind == "crisis_hint" and first.text == fake_assistant.book.render("crisis_hint", "UK").text
    assert "116 123" in first.text and "999" in first.text
    assert answer.text == fake_assistant.reply(turn, decided).messages[0].text  # the answer itself is unchanged
    assert reply.route is Route.ANSWER


def test_no_hint_on_a_crisis_reply_or_without_the_mark(fake_assistant):
    crisis = fake_assistant.reply(Turn("I want to end my life", "US"))
    assert all(m.data.kind != "crisis_hint" for m in crisis.messages)
    plain = fake_assistant.reply(Turn("Can kratom hurt my liver?", "US"))
    assert all(m.data.kind != "crisis_hint" for m in plain.messages)


def test_a_suggestion_the_assistant_offered_is_answered_not_read_as_a_split_request(assistant):
    context = ("how many grams of kratom should I take",)
    first = assistant.reply(Turn(context[0], "US"))
    suggestion = first.messages[0].buttons[0]
    turn = Turn(suggestion, "US", context=context, suggestions=first.messages[0].buttons)
    assert assistant.decide(turn).route is Route.ANSWER
    assert assistant.revisit(assistant.decide(Turn(suggestion, "US")), turn).route is Route.ANSWER
    # Typed by hand with the same context, a short follow-up is still read with it.
    assert assistant.decide(Turn("how much would I need?", "US", context=context)).route is Route.REDIRECT


def test_every_question_the_assistant_offers_as_a_button_is_answered(assistant):
    offered = {q for t in assistant.book.templates.values() for q in t.suggest}
    offered |= {q for i in assistant.smalltalk.intents for q in i.suggest}
    assert len(offered) >= 10
    wrong = {q: assistant.decide(Turn(q, "US")).route.value for q in sorted(offered)}
    # answered: by an entry, or (the "what can you do" kind) by the small-talk reply that says so
    assert {q: r for q, r in wrong.items() if r not in ("answer", "smalltalk")} == {}


def _judge_sees_crisis_everywhere(assistant):
    from dataclasses import replace

    guard = assistant.guard
    return replace(assistant, guard=replace(guard, judge=replace(guard.judge, thresholds={**guard.judge.thresholds, "crisis": 0.0, "not_crisis": 0.999})))


@pytest.mark.parametrize("text", ["ttyl gotta go", "nevermind, all good", "👋"])
def test_a_whole_small_talk_message_only_the_judge_calls_crisis_gets_its_reply_with_the_crisis_line_first(assistant, text):
    strict = _judge_sees_crisis_everywhere(assistant)
    reply = strict.reply(Turn(text=text, region="us"))
    assert reply.decision.route is Route.SMALLTALK
    assert [m.data.kind for m in reply.messages][:2] == ["crisis_hint", "smalltalk"]


def test_a_crisis_rule_is_never_softened_into_small_talk(assistant):
    strict = _judge_sees_crisis_everywhere(assistant)
    assert strict.reply(Turn(text="bye everyone, i want to die", region="us")).decision.route is Route.CRISIS
    assert strict.reply(Turn(text="what is kratom", region="us")).decision.route is Route.CRISIS
