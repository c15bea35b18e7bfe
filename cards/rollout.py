"""The roll-out's cards (issue 16): the confirmation naming exactly what will happen, and the progress card the job
updates in place (done / skipped / failed, the failures' reasons, then the final state). Buttons carry a verb and the
stored roll-out's id only."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate, clip
from cards.render import render
from desk.store.rollouts import Counts, Rollout

CONFIRM, CANCEL = "rollout_confirm", "rollout_cancel"
NAMES_SHOWN = 5


def confirm_card(t: Translate, rollout: Rollout, names: list[str]) -> dict[str, Any]:
    """What Confirm will do: the customer, how many people and who, the install and the welcome card."""
    shown = ", ".join(clip(name, 60) for name in names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    who = t("rollout.who_more", names=shown, more=rest) if rest > 0 else shown
    return render(
        "rollout",
        heading=t("rollout.confirm_title", customer=rollout.customer_name),
        lines=[
            t("rollout.confirm_count", count=len(names), customer=rollout.customer_name, target=rollout.target),
            who,
            t("rollout.confirm_what"),
        ],
        facts=[],
        actions=[
            execute(t("rollout.confirm"), CONFIRM, rollout.id, style="positive"),
            execute(t("rollout.cancel"), CANCEL, rollout.id),
        ],
    )


def progress_card(t: Translate, rollout: Rollout, counts: Counts, final: bool) -> dict[str, Any]:
    """The roll-out's counts so far (or at the end) and why people failed."""
    key = "rollout.done_title" if final else "rollout.progress_title"
    facts = [
        {"title": t("rollout.installed"), "value": str(counts.installed)},
        {"title": t("rollout.skipped"), "value": str(counts.skipped)},
        {"title": t("rollout.failed"), "value": str(counts.failed)},
        {"title": t("rollout.pending"), "value": str(counts.pending)},
    ]
    lines = [t("rollout.failure", name=clip(name, 60), reason=clip(reason, 120)) for name, reason in counts.reasons]
    return render(
        "rollout",
        heading=t(key, customer=rollout.customer_name, count=counts.total),
        lines=lines,
        facts=facts,
        actions=[],
    )


def cancelled_card(t: Translate, rollout: Rollout) -> dict[str, Any]:
    """The confirmation after Cancel: nothing was done."""
    return render(
        "rollout", heading=t("rollout.cancelled", customer=rollout.customer_name), lines=[], facts=[], actions=[]
    )
