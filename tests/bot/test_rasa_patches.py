"""bot/rasa_patches.py, run in the Rasa environment (.venv-rasa) against Rasa's own functions.

Each patch makes a turn cheaper (BENCHMARKS.md); these tests prove none changes a result:
the same event classes, the same validation errors, the same predicted action at every turn,
the same events sent to the action server.
"""

import json
import subprocess

import pytest

from tests.conftest import REPO

RASA_PY = REPO / ".venv-rasa" / "bin" / "python"

SCRIPT = r"""
import asyncio, json, random, sys
from bot import rasa_patches
rasa_patches.install()
O = rasa_patches.ORIGINALS
case = sys.argv[1]
out = {}
if case == "events":
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.utils.common import all_subclasses
    names = sorted({c.type_name for c in all_subclasses(Event)})
    out["names"] = len(names)
    out["same"] = [n for n in names if Event.resolve_by_type(n) is O["resolve_by_type"](n)]
    out["twice"] = [n for n in names if Event.resolve_by_type(n) is Event.resolve_by_type(n)]
    try:
        Event.resolve_by_type("no_such_event")
        out["unknown"] = "resolved"
    except ValueError as e:
        out["unknown"] = str(e)
    out["default"] = Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
if case == "schema":
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig
    action = RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:9/webhook"))
    good = {"events": [{"event": "slot", "name": "reply_text", "value": "x"}], "responses": [{"text": "hi"}]}
    bad = [{"events": "not a list"}, {"responses": "nope"}, {"events": [{"no_event_key": 1}]}]
    out["good"] = [action._validate_action_result(good), O["validate_action_result"](action, good)]
    out["bad"] = []
    for response in bad * 2:  # the second time the validator comes from the cache
        got = []
        for fn in (action._validate_action_result, lambda r: O["validate_action_result"](action, r)):
            try:
                fn(response)
                got.append("passed")
            except ValidationError as e:
                got.append(e.message)
        out["bad"].append(got)
if case == "rules":
    from rasa.core.agent import load_agent
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.events import ActionExecuted, UserUttered, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker
    agent = asyncio.run(load_agent(sys.argv[2]))
    processor = agent.processor
    domain = processor.domain
    patched = RulePolicy._prediction_states
    def predict(tracker, states):
        RulePolicy._prediction_states = states
        try:
            p = processor._predict_next_with_tracker(tracker)
        finally:
            RulePolicy._prediction_states = patched
        return [p.max_confidence_index, p.policy_name, [round(x, 6) for x in p.probabilities]]
    rng = random.Random(7)
    intents = ["crisis", "redirect", "smalltalk", "ask"]
    tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], domain.slots)
    compared = disagreed = windowed = 0
    names = []
    for turn in range(60):
        intent = rng.choice(intents)
        tracker.update(UserUttered(f"message {turn}", intent={"name": intent, "confidence": 1.0}))
        tracker.update(SlotSet("reply_text", f"reply {turn}"))
        for step in range(3):  # the action, then listen
            a, b = predict(tracker, patched), predict(tracker, O["prediction_states"])
            compared += 1
            disagreed += a != b
            windowed += rasa_patches.recent_view(tracker) is not tracker
            name = domain.action_names_or_texts[a[0]]
            names.append(name)
            tracker.update(ActionExecuted(name))
            if name == "action_listen":
                break
    out.update(compared=compared, disagreed=disagreed, windowed=windowed, actions=sorted(set(names)))
if case == "call_format":
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import ActionExecuted, UserUttered, BotUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig
    events = [ActionExecuted("action_listen")]
    for i in range(12):
        events += [UserUttered(f"turn {i}", intent={"name": "ask", "confidence": 1.0}), ActionExecuted("action_answer"),
                   BotUttered(f"answer {i}"), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("t", events)
    domain = Domain.load(sys.argv[2])
    action = RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:9/webhook"))
    sent = action._action_call_format(tracker, domain)
    whole = O["call_format"](action, tracker, domain)
    out["users"] = [e.get("text") for e in sent["tracker"]["events"] if e["event"] == "user"]
    out["tail_equal"] = sent["tracker"]["events"] == whole["tracker"]["events"][-len(sent["tracker"]["events"]):]
    out["latest_equal"] = sent["tracker"]["latest_message"] == whole["tracker"]["latest_message"]
    out["slots_equal"] = sent["tracker"]["slots"] == whole["tracker"]["slots"]
    out["whole"] = len(whole["tracker"]["events"])
if case == "session":
    from rasa.utils.endpoints import EndpointConfig
    async def main():
        endpoint = EndpointConfig("http://127.0.0.1:9/webhook")
        async with endpoint.session() as a, endpoint.session() as b:
            pass
        return a is b, a.closed
    out["same"], out["closed"] = asyncio.run(main())
if case == "sql":
    import os, tempfile
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    domain = Domain.load(sys.argv[2])
    patched = {k: getattr(SQLTrackerStore, k) for k in ("_retrieve", "save", "_additional_events")}
    original = {"_retrieve": O["sql_retrieve"], "save": O["sql_save"], "_additional_events": O["sql_additional_events"]}
    def scenario(methods):
        for name, fn in methods.items():
            setattr(SQLTrackerStore, name, fn)
        db = os.path.join(tempfile.mkdtemp(), "t.db")
        store = SQLTrackerStore(domain, dialect="sqlite", db=db)
        counts = []
        sa.event.listen(store.engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *a: counts.append(statement) if "count(" in statement.lower() else None)
        clock = iter(range(int(__import__('time').time()) + 10, 2 * 10**10))  # after the first listen
        def ev(kind, i):
            e = {"user": lambda: UserUttered(f"q{i}", intent={"name": "ask", "confidence": 1.0}),
                 "bot": lambda: BotUttered(f"a{i}"), "act": lambda: ActionExecuted("action_answer"),
                 "listen": lambda: ActionExecuted("action_listen"), "session": lambda: SessionStarted()}[kind]()
            e.timestamp = float(next(clock))
            return e
        async def run():
            tracker = await store.get_or_create_tracker("s1")
            for turn in range(6):
                tracker = await store.retrieve("s1")
                for kind in ("user", "act", "bot", "listen"):
                    tracker.update(ev(kind, turn))
                await store.save(tracker)
                if turn == 2:  # saved twice by one object
                    tracker.update(ev("user", 99))
                    await store.save(tracker)
                if turn == 4:  # a new session inside a turn
                    tracker = await store.retrieve("s1")
                    for kind in ("act", "session", "listen", "user"):
                        tracker.update(ev(kind, turn))
                    await store.save(tracker)
            full = await store.retrieve_full_tracker("s1")
            return [(e.type_name, getattr(e, "text", None)) for e in full.events]
        rows = asyncio.run(run())
        for name, fn in patched.items():
            setattr(SQLTrackerStore, name, fn)
        return rows, len(counts)
    out["patched"], out["patched_counts"] = scenario(patched)
    out["original"], out["original_counts"] = scenario(original)
if case == "memory":
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import EventVerbosity
    domain = Domain.load(sys.argv[2])
    patched = {k: getattr(InMemoryTrackerStore, k) for k in ("_retrieve", "save")}
    original = {"_retrieve": O["memory_retrieve"], "save": O["memory_save"]}
    slot = next(iter(domain.slots)).name
    def scenario(methods):
        for name, fn in methods.items():
            setattr(InMemoryTrackerStore, name, fn)
        store = InMemoryTrackerStore(domain)
        clock = iter(range(10**9, 2 * 10**9))
        def ev(kind, i):
            e = {"user": lambda: UserUttered(f"q{i}", intent={"name": "ask", "confidence": 1.0}),
                 "bot": lambda: BotUttered(f"a{i}", {"buttons": [{"title": "t", "payload": "p"}]}),
                 "act": lambda: ActionExecuted("action_answer"), "slot": lambda: SlotSet(slot, f"v{i}"),
                 "listen": lambda: ActionExecuted("action_listen"), "start": lambda: ActionExecuted("action_session_start"),
                 "session": lambda: SessionStarted()}[kind]()
            e.timestamp = float(next(clock))
            return e
        seen = []
        async def run():
            first = store.init_tracker("s1")
            first.update(ev("listen", -1))
            await store.save(first)
            for turn in range(12):
                tracker = await store.retrieve("s1")
                seen.append(tracker.current_state(EventVerbosity.ALL))
                for kind in ("user", "act", "slot", "bot", "listen"):
                    tracker.update(ev(kind, turn))
                await store.save(tracker)
                if turn == 2:  # saved twice by one object
                    tracker.update(ev("user", 99))
                    await store.save(tracker)
                if turn in (4, 8):  # a new session: reads now return the last session only
                    tracker = await store.retrieve("s1")
                    for kind in ("start", "session", "listen", "user"):
                        tracker.update(ev(kind, turn))
                    await store.save(tracker)
                if turn == 6:  # an old tracker object saved after a newer one
                    stale = await store.retrieve("s1")
                    fresh = await store.retrieve("s1")
                    fresh.update(ev("bot", 60))
                    await store.save(fresh)
                    stale.update(ev("bot", 61))
                    await store.save(stale)
            full = await store.retrieve_full_tracker("s1")
            seen.append(full.current_state(EventVerbosity.ALL))
            popped = store.store.pop("s1", None) is not None
            return popped, await store.retrieve("s1") is None
        popped, gone = asyncio.run(run())
        for name, fn in patched.items():
            setattr(InMemoryTrackerStore, name, fn)
        return json.loads(json.dumps(seen, default=str)), popped, gone
    out["patched"], out["patched_popped"], out["patched_gone"] = scenario(patched)
    out["original"], out["original_popped"], out["original_gone"] = scenario(original)
if case == "applied":
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, BotUttered, Restarted,
                                         SessionStarted, SlotSet, UserUttered, UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker
    rng = random.Random(7)
    makers = [lambda: UserUttered("hi", intent={"name": "ask", "confidence": 1.0}),
              lambda: ActionExecuted("action_listen"), lambda: ActionExecuted("action_answer"),
              lambda: ActionExecuted("some_form"), lambda: ActionExecuted("other_form"), lambda: BotUttered("a"),
              lambda: SlotSet("x", 1), lambda: ActionReverted(), lambda: UserUtteranceReverted(),
              lambda: ActiveLoop("some_form"), lambda: ActiveLoop(None), lambda: ActiveLoop("other_form"),
              lambda: Restarted(), lambda: SessionStarted()]
    weights = [20, 20, 10, 4, 3, 10, 5, 2, 2, 1, 1, 0.5, 0.5, 0.5]
    compared = differed = folded = 0
    for run in range(30):
        tracker = DialogueStateTracker(f"s{run}", [])
        for step in range(rng.choice([20, 80, 200])):
            tracker.update(rng.choices(makers, weights)[0]())
            if rng.random() < 0.7:
                before = tracker.__dict__.get(rasa_patches._APPLIED)
                got, want = tracker.applied_events(), O["applied_events"](tracker)
                compared += 1
                differed += [id(e) for e in got] != [id(e) for e in want]
                folded += before is not None
            if rng.random() < 0.02:
                tracker = tracker.copy()  # a copy starts without a kept result
    out.update(compared=compared, differed=differed, folded=folded)
    t = DialogueStateTracker("m", [])
    t.update(ActionExecuted("action_listen"))
    first = t.applied_events()
    first.append("junk")
    out["callers_own_their_list"] = t.applied_events() == [t.events[0]]
if case == "copy":
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,
                                         AllSlotsReset, BotUttered, ConversationPaused, ConversationResumed,
                                         FollowupAction, LoopInterrupted, Restarted, SessionStarted, SlotSet,
                                         UserUttered, UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
    domain = Domain.load(sys.argv[2])
    names = [slot.name for slot in domain.slots]
    rng = random.Random(11)
    makers = [lambda: UserUttered(f"u{rng.random()}", intent={"name": "ask", "confidence": 1.0}),
              lambda: ActionExecuted("action_listen"), lambda: ActionExecuted("action_answer"),
              lambda: ActionExecuted("some_form"), lambda: BotUttered(f"b{rng.random()}", {"buttons": []}),
              lambda: SlotSet(rng.choice(names), rng.choice([None, True, "x", {"k": 1}])),
              lambda: ActionReverted(), lambda: UserUtteranceReverted(), lambda: ActiveLoop("some_form"),
              lambda: ActiveLoop(None), lambda: LoopInterrupted(rng.random() < 0.5),
              lambda: ActionExecutionRejected("some_form"), lambda: FollowupAction("action_answer"),
              lambda: ConversationPaused(), lambda: ConversationResumed(), lambda: AllSlotsReset(),
              lambda: Restarted(), lambda: SessionStarted()]
    weights = [15, 15, 8, 4, 8, 10, 1, 1, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3]
    def fields(t):
        out = {}
        for key, value in vars(t).items():
            if key.startswith("_kratom"):
                continue
            if key == "events":
                value = [id(e) for e in value]
            elif key == "slots":
                value = {n: (repr(s.value), s._has_been_set, type(s).__name__) for n, s in value.items()}
            out[key] = value
        return out
    compared = differed = 0
    first_difference = None
    for run in range(40):
        tracker = DialogueStateTracker.from_events(f"s{run}", [], domain.slots)
        for step in range(rng.choice([10, 60, 150])):
            tracker.update(rng.choices(makers, weights)[0]())
            if rng.random() < 0.5:
                got, want = tracker.copy(), O["tracker_copy"](tracker)
                for _ in range(2):  # equal now, and after the same next event
                    compared += 1
                    a, b = fields(got), fields(want)
                    same = a == b and got.current_state(EventVerbosity.ALL) == want.current_state(EventVerbosity.ALL)
                    if not same and first_difference is None:
                        first_difference = repr({k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)})[:1500]
                    differed += not same
                    event = rng.choices(makers, weights)[0]()
                    got.update(event)
                    want.update(event)
    out.update(compared=compared, differed=differed, first_difference=first_difference)
print(json.dumps(out))
"""


def run(case, *args):
    done = subprocess.run([str(RASA_PY), "-c", SCRIPT, case, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_event_types_resolve_to_rasas_own_classes_and_unknown_names_still_raise():
    got = run("events")
    assert got["names"] >= 20
    assert len(got["same"]) == got["names"] and len(got["twice"]) == got["names"]
    assert got["unknown"] == "Unknown event name 'no_such_event'."
    assert got["default"] is True


def test_the_cached_schema_accepts_and_rejects_exactly_what_rasa_does():
    got = run("schema")
    assert got["good"] == [True, True]
    assert len(got["bad"]) == 6
    for patched, original in got["bad"]:
        assert patched != "passed"
        assert patched == original


@pytest.mark.model
def test_rules_on_the_recent_turns_predict_what_the_whole_conversation_does():
    got = run("rules", REPO / "build" / "models" / "kratom.tar.gz")
    assert got["compared"] >= 120
    assert got["windowed"] >= 100  # most predictions really used the window
    assert got["disagreed"] == 0
    assert {"utter_crisis", "utter_guard", "action_answer", "action_listen"} <= set(got["actions"])


def test_the_action_server_gets_the_last_four_user_turns_exactly_as_rasa_would_send_them():
    got = run("call_format", REPO / "bot" / "rasa_project" / "domain.yml")
    assert got["users"] == ["turn 8", "turn 9", "turn 10", "turn 11"]
    assert got["tail_equal"] and got["latest_equal"] and got["slots_equal"]
    assert got["whole"] > 40


def test_action_calls_share_one_open_http_session():
    got = run("session")
    assert got == {"same": True, "closed": False}


def test_sql_saves_store_the_same_events_without_counting_them_first():
    got = run("sql", REPO / "bot" / "rasa_project" / "domain.yml")
    assert len(got["patched"]) >= 30
    assert got["patched"] == got["original"]
    assert got["original_counts"] >= 8  # Rasa counts before every save
    assert got["patched_counts"] == 1  # only the first save of a tracker the store had not read


def test_the_in_memory_store_gives_back_what_rasas_own_would():
    got = run("memory", REPO / "bot" / "rasa_project" / "domain.yml")
    assert len(got["patched"]) == 13
    assert got["patched"] == got["original"]
    reads = [len(state["events"]) for state in got["patched"]]
    assert reads[4] == 22 and reads[5] == 4  # after a new session (turn 4) a read holds that session only
    assert reads[8] == 20
    assert got["patched_popped"] and got["patched_gone"] and got["original_popped"] and got["original_gone"]


def test_applied_events_carried_forward_equal_rasas_own_walk():
    got = run("applied")
    assert got["compared"] > 2000
    assert got["folded"] > 1500  # most answers really came from the kept result
    assert got["differed"] == 0
    assert got["callers_own_their_list"] is True


def test_a_tracker_copied_by_its_state_equals_rasas_replayed_copy():
    got = run("copy", REPO / "bot" / "rasa_project" / "domain.yml")
    assert got["compared"] > 3000
    assert got["first_difference"] is None
    assert got["differed"] == 0
