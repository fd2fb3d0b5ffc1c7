"""``bayfin voice``: the assistant's catalogue, and one assistant turn from the command line."""

from __future__ import annotations

import typer

from bayfin.cli.output import JsonOption, emit, progress
from bayfin.voice.catalogue import catalogue
from bayfin.voice.classifier import IntentClassifier
from bayfin.voice.corpus import generate_corpus, split_corpus
from bayfin.voice.dialogue import Dialogue, DialogueState

app = typer.Typer(help="Voice banking assistant and voiceprint factor.", no_args_is_help=True)
intents_app = typer.Typer(help="The assistant's intent catalogue.", no_args_is_help=True)
assistant_app = typer.Typer(help="Talk to the assistant in text.", no_args_is_help=True)
app.add_typer(intents_app, name="intents")
app.add_typer(assistant_app, name="assistant")


@intents_app.command("list")
def intents_list(as_json: bool = JsonOption) -> None:
    """Every function the assistant reaches, with its names, slots and deep link."""
    rows = [{"intent": i.key, "zh": i.names_zh[0], "en": i.names_en[0], "slots": ",".join(i.slots),
             "confirm": "yes" if i.moves_money else "", "deep_link": i.deep_link}
            for i in catalogue().values()]
    emit(rows, as_json=as_json, title=f"{len(rows)} functions")


@assistant_app.command("ask")
def assistant_ask(utterances: list[str] = typer.Argument(..., help="One or more turns, in order"),
                  per_intent: int = typer.Option(40, help="Corpus size per intent for training"),
                  as_json: bool = JsonOption) -> None:
    """Train the classifier on the generated corpus, then play the turns through one dialogue."""
    with progress("training the intent classifier"):
        model = IntentClassifier().fit(split_corpus(generate_corpus(per_intent))[0])
    dialogue, state, rows = Dialogue(model), DialogueState(), []
    for text in utterances:
        reply, state = dialogue.turn(text, state)
        rows.append({"you": text, "assistant": reply.text, "action": reply.action,
                     "intent": reply.intent or "", "deep_link": reply.deep_link or ""})
    emit(rows, as_json=as_json, title="assistant")
