"""Ideas step by step: plugs /ideas, idea planning and the step buttons into the dialogue."""

from __future__ import annotations

from bot.features.ideas.overview import drop_idea, list_button, list_ideas, show_idea
from bot.features.ideas.planning import (
    DATE_FLOW,
    STEPS_FLOW,
    TITLE_FLOW,
    ask_title,
    chose_date,
    edit_steps,
    keep_steps,
    start_idea,
    take_suggestion,
    typed_date,
    typed_steps,
    typed_title,
)
from bot.features.ideas.steps import (
    EVIDENCE_FLOW,
    current_step,
    skip_evidence,
    step_action,
    typed_evidence,
)
from bot.kernel.i18n import N_
from bot.kernel.registry import Registry


def register(registry: Registry) -> None:
    """Plug /ideas, idea creation and the step buttons into the dialogue."""
    registry.command("ideas", N_("your improvement ideas, step by step"))(list_ideas)
    for prefix, handler in (
        ("inew", take_suggestion),
        ("iown", ask_title),
        ("ikeep", keep_steps),
        ("iedit", edit_steps),
        ("idt", chose_date),
        ("ils", list_button),
        ("iv", show_idea),
        ("istart", start_idea),
        ("icur", current_step),
        ("idrop", drop_idea),
        ("ist", step_action),
        ("iev", skip_evidence),
    ):
        registry.button(prefix)(handler)
    registry.flow(STEPS_FLOW)(typed_steps)
    registry.flow(DATE_FLOW)(typed_date)
    registry.flow(TITLE_FLOW)(typed_title)
    registry.flow(EVIDENCE_FLOW)(typed_evidence)
