"""The state behind the Ramp emulator: users, cards, deferred card tasks, and the rules Ramp applies to them.

Plain data with the few rules that matter to offboard. Deactivation makes a user
``USER_INACTIVE`` and reactivation ``USER_ACTIVE``; only an active (or onboarding) user can be
deactivated, only an inactive one reactivated. A card task starts ``STARTED``, answers
``IN_PROGRESS`` to its first ``task_polls`` status reads, then finishes: SUCCESS with the card
changed, or ERROR with ``data.error`` when the change does not apply (the card is terminated,
already so, or its user is inactive for an unsuspension) or when ``task_error`` says every task
fails. An idempotency key names its task for good: the same key again answers the same task.

``deactivation_suspends_cards`` follows Ramp's help ("Physical cards: Suspended (reactivated if
user is reactivated); Virtual cards: Suspended"), which describes the web app; whether the API's
deactivation does the same is not documented, so it is off by default, and tests turn it on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

ACTIVE_USERS = ("USER_ACTIVE", "USER_ONBOARDING")
USER_STATUSES = ("INVITE_DELETED", "INVITE_EXPIRED", "INVITE_PENDING", "USER_INACTIVE", "USER_ACTIVE",
                 "USER_ONBOARDING", "USER_SUSPENDED")
CARD_STATES = ("ACTIVE", "CHIP_LOCKED", "SUSPENDED", "TERMINATED", "UNACTIVATED")
OPERATIONS = ("suspension", "unsuspension", "termination")
BUSINESS_ID = "9abffcf0-dd7d-42f0-b806-ce0502ab6496"
ENTITY_ID = "0e90959a-28ba-4f7d-a75b-9c241f384b9a"


@dataclass
class Task:
    id: str
    card_id: str
    operation: str
    key: str
    acting_user_id: str
    polls_left: int
    fails_with: str = ""  # set when created while ``task_error`` was on
    status: str = "STARTED"
    error: str = ""

    def render(self) -> dict[str, Any]:
        data: dict[str, Any] = {"card_id": self.card_id}
        if self.error:
            data["error"] = self.error
        return {"id": self.id, "status": self.status, "data": data,
                "context": {"acting_user_id": self.acting_user_id, "card_id": self.card_id}}


@dataclass
class Org:
    """One Ramp business: users and cards by id, the card tasks and the idempotency keys that name them."""

    task_polls: int = 1  # status reads answered IN_PROGRESS before a task finishes
    task_error: str = ""  # when set, every new task ends in ERROR with this message
    deactivation_suspends_cards: bool = False
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # idempotency key -> task id
    suspended_by_deactivation: dict[str, set[str]] = field(default_factory=dict)  # user id -> card ids

    # -- building

    def add_user(self, email: str, first_name: str, last_name: str = "", *, role: str = "BUSINESS_USER",
                 status: str = "USER_ACTIVE") -> str:
        if status not in USER_STATUSES:
            raise ValueError(f"unknown Ramp user status {status!r}")
        uid = str(uuid.uuid4())
        self.users[uid] = {
            "id": uid, "business_id": BUSINESS_ID, "entity_id": ENTITY_ID, "email": email,
            "first_name": first_name, "last_name": last_name, "role": role, "status": status,
            "department_id": None, "location_id": None, "manager_id": None, "is_manager": False,
            "employee_id": "", "phone": "", "custom_fields": [],
        }
        return uid

    def add_card(self, user_id: str, display_name: str, *, physical: bool = False, state: str = "ACTIVE") -> str:
        if state not in CARD_STATES:
            raise ValueError(f"unknown Ramp card state {state!r}")
        cid = str(uuid.uuid4())
        holder = self.users[user_id]
        self.cards[cid] = {
            "id": cid, "display_name": display_name, "last_four": f"{len(self.cards) + 3751:04d}"[-4:],
            "cardholder_id": user_id, "cardholder_name": f"{holder['first_name']} {holder['last_name']}".strip(),
            "card_program_id": None, "entity_id": ENTITY_ID, "created_at": "2024-05-04T00:00:00+00:00",
            "expiration": "0229", "is_physical": physical, "has_program_overridden": False, "state": state,
            "spending_restrictions": {"amount": 5000, "interval": "MONTHLY", "suspended": state == "SUSPENDED",
                                      "auto_lock_date": None, "blocked_categories": [], "categories": [],
                                      "transaction_amount_limit": None},
            "fulfillment": {"fulfillment_status": "DELIVERED"} if physical else None,
        }
        return cid

    # -- Ramp's rules

    def deactivate(self, uid: str) -> str | None:
        """The reason it cannot be done, or None once done."""
        user = self.users[uid]
        if user["status"] == "USER_INACTIVE":
            return "User is already deactivated"
        if user["status"] not in ACTIVE_USERS:
            return f"User cannot be deactivated in status {user['status']}"
        user["status"] = "USER_INACTIVE"
        if self.deactivation_suspends_cards:
            held = {cid for cid, c in self.cards.items() if c["cardholder_id"] == uid and c["state"] in ("ACTIVE", "CHIP_LOCKED")}
            for cid in held:
                self._set_state(cid, "SUSPENDED")
            self.suspended_by_deactivation[uid] = held
        return None

    def reactivate(self, uid: str) -> str | None:
        user = self.users[uid]
        if user["status"] != "USER_INACTIVE":
            return f"User cannot be reactivated in status {user['status']}"
        user["status"] = "USER_ACTIVE"
        for cid in self.suspended_by_deactivation.pop(uid, set()):
            if self.cards[cid]["is_physical"] and self.cards[cid]["state"] == "SUSPENDED":
                self._set_state(cid, "ACTIVE")
        return None

    def _set_state(self, cid: str, state: str) -> None:
        self.cards[cid]["state"] = state
        self.cards[cid]["spending_restrictions"]["suspended"] = state == "SUSPENDED"

    def submit(self, card_id: str, operation: str, key: str, acting_user_id: str) -> Task | None:
        """The key's task (made now if the key is new); None when the key names a task of another request."""
        if key in self.keys:
            task = self.tasks[self.keys[key]]
            return task if (task.card_id, task.operation) == (card_id, operation) else None
        task = Task(str(uuid.uuid4()), card_id, operation, key, acting_user_id, max(0, self.task_polls), self.task_error)
        self.tasks[task.id] = task
        self.keys[key] = task.id
        return task

    def poll(self, task_id: str) -> Task:
        """One status read: a running task counts it down, then finishes."""
        task = self.tasks[task_id]
        if task.status in ("SUCCESS", "ERROR"):
            return task
        if task.polls_left > 0:
            task.polls_left -= 1
            task.status = "IN_PROGRESS"
            return task
        problem = task.fails_with or self._refusal(task)
        if problem:
            task.status, task.error = "ERROR", problem
        else:
            self._set_state(task.card_id, {"suspension": "SUSPENDED", "unsuspension": "ACTIVE",
                                           "termination": "TERMINATED"}[task.operation])
            task.status = "SUCCESS"
        return task

    def _refusal(self, task: Task) -> str:
        card = self.cards[task.card_id]
        state = card["state"]
        if state == "TERMINATED":
            return "Card is terminated"
        if task.operation == "suspension" and state == "SUSPENDED":
            return "Card is already suspended"
        if task.operation == "unsuspension":
            if state != "SUSPENDED":
                return "Card is not suspended"
            if self.users[card["cardholder_id"]]["status"] not in ACTIVE_USERS:
                return "Cannot unsuspend a card whose cardholder is not active"
        return ""
