"""Memorable generated run names: ``<adjective>-<animal>-<number>``."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "able", "amber", "bold", "brave", "bright", "brisk", "calm", "clever", "cool", "crisp",
    "daring", "eager", "early", "fair", "fast", "fierce", "fleet", "gentle", "glad", "golden",
    "grand", "happy", "hardy", "honest", "humble", "keen", "kind", "lively", "loyal", "lucky",
    "merry", "mighty", "modest", "neat", "nimble", "noble", "patient", "plucky", "polite",
    "proud", "quick", "quiet", "rapid", "rare", "ready", "robust", "rustic", "serene", "sharp",
    "shiny", "silent", "silver", "sleek", "smart", "snowy", "solid", "steady", "stellar",
    "sunny", "swift", "tidy", "upbeat", "valiant", "vivid", "warm", "wise", "witty", "zesty",
)
_ANIMALS = (
    "ant", "badger", "bat", "bear", "bee", "bison", "boar", "bobcat", "crane", "crow", "deer",
    "dove", "eagle", "eel", "elk", "falcon", "ferret", "finch", "fox", "frog", "gecko", "goat",
    "goose", "hare", "hawk", "heron", "horse", "ibis", "jay", "koala", "lark", "lemur", "lion",
    "llama", "lynx", "mole", "moose", "moth", "newt", "otter", "owl", "panda", "pike", "puma",
    "quail", "rabbit", "raven", "robin", "salmon", "seal", "shark", "sheep", "shrew", "skunk",
    "sloth", "snail", "sparrow", "squid", "stork", "swan", "tapir", "tiger", "toad", "trout",
    "turtle", "viper", "whale", "wolf", "wren", "yak", "zebra",
)


def generate() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}-{random.randint(0, 999)}"
