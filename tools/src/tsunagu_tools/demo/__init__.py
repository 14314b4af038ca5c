"""`make demo`: the demo story against the running stack (see story.play_story)."""

from tsunagu_tools.demo.story import play_story
from tsunagu_tools.demo.summary import Summary

__all__ = ["Summary", "play_story", "run"]


def run() -> Summary:
    """Play the story against the stack the environment points at, printing to stdout."""
    import asyncio

    from tsunagu_tools.stack import StackUrls, Tokens

    return asyncio.run(play_story(StackUrls.from_env(), Tokens()))
